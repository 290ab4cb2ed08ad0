/**
 * The validator compile pool when one of its workers dies mid-request: the request is
 * answered (the caller compiles the jobs itself, the same code), and the other workers are
 * stopped, so none is left appending to a spool its owner closes after the run
 * (src/codegen/validators.ts createCompilePool, fail). The Worker class is wrapped to get
 * hold of the workers the pool starts; they are real worker threads.
 */
import { describe, expect, it, vi } from 'vitest';

const started: Array<import('node:worker_threads').Worker> = [];
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class RecordedWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      started.push(this);
    }
  }
  return { ...real, default: { ...real, Worker: RecordedWorker }, Worker: RecordedWorker };
});

const { compileValidators, createCompilePool, startValidators, VALIDATOR_CHUNK } = await import('../../src/codegen/validators.js');
const { Spool, isSpooled } = await import('../../src/codegen/spool.js');

describe('compile pool: a worker that dies', () => {
  it('answers the request with the same code and stops the other workers', async () => {
    const entries = Array.from({ length: 12 * VALIDATOR_CHUNK }, (_, i) => ({
      name: `validateE${i}`,
      what: `payload of message E${i}`,
      schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: i }, s: { type: 'string', maxLength: 10 + i } } },
    }));
    const inMemory = compileValidators(entries);
    const pool = createCompilePool({ maxWorkers: 2, spreadAt: 2 });
    const spool = new Spool();
    try {
      let killed = false;
      const build = await startValidators(
        entries,
        pool,
        undefined,
        (p) => {
          // The first chunk back: kill the first worker, the second is still working.
          if (!killed && p.compiled > 0) {
            killed = true;
            void started[0]!.terminate();
          }
        },
        spool,
      );
      const compiled = await build.finish();
      expect(killed).toBe(true);
      expect(started).toHaveLength(2);
      // Same code, wherever each chunk was compiled (spooled by a worker, or compiled here and held).
      const text = (c: string | import('../../src/codegen/spool.js').SpooledText) => (isSpooled(c) ? spool.text(c) : c);
      expect(compiled.firstError.map(text)).toEqual(inMemory.firstError);
      expect(compiled.allErrors.map(text)).toEqual(inMemory.allErrors);
      // Both workers are stopped: a stopped worker reports no resource limits.
      await vi.waitFor(() => expect(started.map((w) => Object.keys(w.resourceLimits ?? {}).length)).toEqual([0, 0]), { timeout: 5000 });
    } finally {
      await pool.close();
    }
  });
});
