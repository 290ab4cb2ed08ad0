/**
 * Whether `evc validate` may run against a contract, and the AsyncAPI spec validation
 * that decides it moved off the critical path.
 *
 * Loading a contract with the spec validation takes about a second (the AsyncAPI parser:
 * importing it, compiling its schema, running its rules) and without it about a tenth of
 * that, while the messages need only the IR. So `evc validate` loads without it, starts
 * checking messages at once, and runs the full load in a worker thread meanwhile; what it
 * prints waits for the worker's verdict, which is the one the full load always gave.
 */
import type { ContractLimits } from '../contract/limits.js';
import { formatDiagnostics } from '../contract/diagnostics.js';
import { workerBoot } from '../contract/worker-boot.js';
import type { LoadResult, SystemModel } from '../contract/ir.js';

/** What the full load says: go on with its one system, or stop (exit 2) with this text. */
export type Verdict = { ok: true } | { ok: false; stderr: string } | { ok: false; usage: string };

/** Today's rules on a load result: errors (or no system) stop with the diagnostics; several systems are a usage error. */
export function judgeContract(loaded: LoadResult, contract: string): Verdict & { system?: SystemModel } {
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || loaded.systems.length === 0) {
    return {
      ok: false,
      stderr: `${formatDiagnostics(errors.length > 0 ? errors : loaded.diagnostics, 'text')}\nevc validate: the contract ${contract} has errors; nothing validated\n`,
    };
  }
  if (loaded.systems.length > 1) {
    return {
      ok: false,
      usage: `--contract ${contract} holds ${loaded.systems.length} contracts (${loaded.systems.map((s) => s.id).join(', ')}); name one file`,
    };
  }
  return { ok: true, system: loaded.systems[0]! };
}

export interface SpecCheckRequest {
  contract: string;
  limits: Partial<ContractLimits>;
  /** The contract root (`--root`): the folder `$ref`s may read from; default the contract's folder. */
  root?: string;
}

/**
 * The full load's verdict from a worker thread; undefined when the worker could not run
 * (the caller then loads in this thread, as before).
 */
export async function checkContractInWorker(request: SpecCheckRequest): Promise<Verdict | undefined> {
  let worker: import('node:worker_threads').Worker;
  try {
    const { Worker } = await import('node:worker_threads');
    worker = new Worker(workerBoot(import.meta.url, 'contract-check-worker'), { eval: true, workerData: request });
  } catch {
    return undefined;
  }
  return new Promise<Verdict | undefined>((resolve) => {
    worker.once('message', (v: Verdict) => {
      resolve(v);
      void worker.terminate();
    });
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
}
