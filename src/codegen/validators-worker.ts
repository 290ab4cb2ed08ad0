/**
 * Worker thread of `createCompilePool`: goes through the jobs of a request in order,
 * compiles each one it claims first (`claims[i]` 0 -> 1; the requesting thread claims
 * from the other end) and posts each chunk back as soon as it is done, then `done`.
 */
import { parentPort } from 'node:worker_threads';
import { compileJob, type CompileJob } from './validators.js';

parentPort!.on('message', (m: { id: number; jobs: CompileJob[]; claims: Int32Array }) => {
  for (let index = 0; index < m.jobs.length; index++) {
    if (Atomics.compareExchange(m.claims, index, 0, 1) !== 0) continue;
    try {
      parentPort!.postMessage({ id: m.id, index, chunk: compileJob(m.jobs[index]!) });
    } catch {
      // The requesting thread compiles a failed job again and reports the error itself.
      parentPort!.postMessage({ id: m.id, index });
    }
  }
  parentPort!.postMessage({ id: m.id, done: true });
});
