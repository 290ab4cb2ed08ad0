/** Worker thread of `createCompilePool`: compiles one mode per request and posts the code back. */
import { parentPort } from 'node:worker_threads';
import { compileMode, type ValidatorEntry } from './validators.js';

parentPort!.on('message', (m: { id: number; entries: ValidatorEntry[]; allErrors: boolean }) => {
  try {
    parentPort!.postMessage({ id: m.id, code: compileMode(m.entries, m.allErrors) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
