/**
 * Worker thread of `createCompilePool`: goes through the jobs of a request in order,
 * compiles each one it claims first (`claims[i]` 0 -> 1; the requesting thread claims
 * from the other end) and posts each chunk back as soon as it is done, then `done`. With a
 * spool the chunk's code is appended to it here, and the chunk posted without it.
 */
import { parentPort } from 'node:worker_threads';
import { appendTo, type SpoolTarget } from './spool.js';
import { type CompiledChunk, compileJob, type CompileJob } from './validators.js';

parentPort!.on('message', (m: { id: number; jobs: CompileJob[]; claims: Int32Array; spool?: SpoolTarget }) => {
  for (let index = 0; index < m.jobs.length; index++) {
    if (Atomics.compareExchange(m.claims, index, 0, 1) !== 0) continue;
    let chunk: CompiledChunk;
    try {
      chunk = compileJob(m.jobs[index]!);
    } catch {
      // The requesting thread compiles a failed job again and reports the error itself.
      parentPort!.postMessage({ id: m.id, index });
      continue;
    }
    // With a spool, the code goes there from this thread and only where it went is posted;
    // when the spool cannot take it (a full disk), the chunk comes with its code, held.
    let at: { offset: number; bytes: number } | undefined;
    if (m.spool) {
      try {
        at = appendTo(m.spool, chunk.code);
        chunk.code = '';
      } catch {
        // Posted with its code.
      }
    }
    parentPort!.postMessage(at ? { id: m.id, index, chunk, at } : { id: m.id, index, chunk });
  }
  parentPort!.postMessage({ id: m.id, done: true });
});
