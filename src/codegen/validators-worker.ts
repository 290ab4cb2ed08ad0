/**
 * Worker thread of `createCompilePool`: goes through the jobs of a request in order,
 * compiles each one it claims first (`claims[i]` 0 -> 1; the requesting thread claims
 * from the other end) and posts each chunk back as soon as it is done, then `done`. With a
 * spool the chunk's code is appended to it here, and the chunk posted without it.
 */
import { parentPort } from 'node:worker_threads';
import { appendTo, type SpoolTarget } from './spool.js';
import { compileJob, type CompileJob } from './validators.js';

parentPort!.on('message', (m: { id: number; jobs: CompileJob[]; claims: Int32Array; spool?: SpoolTarget }) => {
  for (let index = 0; index < m.jobs.length; index++) {
    if (Atomics.compareExchange(m.claims, index, 0, 1) !== 0) continue;
    try {
      const chunk = compileJob(m.jobs[index]!);
      // With a spool, the code goes there from this thread and only where it went is posted.
      if (m.spool) {
        const at = appendTo(m.spool, chunk.code);
        chunk.code = '';
        parentPort!.postMessage({ id: m.id, index, chunk, at });
      } else parentPort!.postMessage({ id: m.id, index, chunk });
    } catch {
      // The requesting thread compiles a failed job again and reports the error itself.
      parentPort!.postMessage({ id: m.id, index });
    }
  }
  parentPort!.postMessage({ id: m.id, done: true });
});
