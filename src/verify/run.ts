/**
 * One `evc verify` run as a library call: join, then either watch for a while or drive a
 * scenario, then leave and report. The CLI (src/cli/commands/verify.ts) and the tests use it.
 */
import type { Transport } from '@event-contracts/runtime';
import type { RuntimeSystem } from './descriptor.js';
import { startObserver, type Observer, type VerifyOptions } from './observer.js';
import type { FullReport } from './report.js';
import { scenarioRun, type Scenario, type ScenarioRun } from './scenario.js';

export interface RunVerifyOptions extends Omit<VerifyOptions, 'system' | 'transport' | 'onMessage'> {
  rt: RuntimeSystem;
  transport: Transport;
  /** Publish this scenario and wait for its expectations (then stop). */
  scenario?: Scenario;
  /** Without a scenario: how long to watch (default 30 s). */
  forMs?: number;
  /** Ends the watch early. */
  signal?: AbortSignal;
  /** Called once the observer has joined. */
  onJoined?: (observer: Observer) => void;
}

export async function runVerify(options: RunVerifyOptions): Promise<FullReport> {
  const { rt, transport, scenario, forMs, signal, onJoined, ...rest } = options;
  let run: ScenarioRun | undefined;
  const observer = await startObserver({ ...rest, system: rt.model, transport, onMessage: (m) => run?.observe(m) });
  onJoined?.(observer);
  if (scenario) {
    run = scenarioRun(scenario, rt, transport);
    const result = await run.run();
    return { ...(await observer.stop()), scenario: result };
  }
  await new Promise<void>((done) => {
    if (signal?.aborted) return done();
    const stop = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', stop);
      done();
    };
    const t = setTimeout(stop, forMs ?? 30_000);
    signal?.addEventListener('abort', stop, { once: true });
  });
  return observer.stop();
}
