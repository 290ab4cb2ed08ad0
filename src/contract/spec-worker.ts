/**
 * Worker thread of the AsyncAPI spec check (spec-validate.ts, startSpecWorker): loads the
 * parser, compiles the schema of the version it is told ahead of time, then answers each
 * `{ id, bundled }` with the parser's findings for that document, one document at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Found, parserFindings } from './spec-validate.js';

const { version } = (workerData ?? {}) as { version?: string };

// A minimal document of the expected version: running the rules on it loads the parser
// and compiles that version's schema (cached for the real document). Its findings are dropped.
// Without a hint, 3.0.0: the version most contracts are written in.
let queue: Promise<unknown> = parserFindings({ asyncapi: version ?? '3.0.0', info: { title: 'warm-up', version: '1.0.0' } }).catch(() => undefined);

parentPort!.on('message', (m: { id: number; bundled: unknown }) => {
  queue = queue.then(async () => {
    let found: Found[] | undefined;
    try {
      found = await parserFindings(m.bundled);
    } catch {
      // The caller runs the check itself and reports what that gives.
    }
    parentPort!.postMessage({ id: m.id, found });
  });
});
