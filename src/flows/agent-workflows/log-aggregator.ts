/**
 * The log aggregator (seed 004, group `log_aggregators`): consumes every event and writes
 * one structured JSON line per event to a file:
 * `{"time","level","msg":"event","type","workflow_id","event_id","source_agent","stream","data"}`.
 * Failures are logged at level "error", everything else at "info".
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { EventContext, EventSubscription } from '@event-contracts/runtime';
import { AGENTS, type ServiceDeps } from './deps.js';

const SERVICE = 'log-aggregator';

export interface LogAggregator {
  readonly file: string;
  /** Lines written so far. */
  readonly lines: number;
  stop(): Promise<void>;
}

interface AnyEvent {
  id: string;
  type: string;
  workflow_id: string;
  source_agent: string;
  data: unknown;
}

export async function startLogAggregator(deps: ServiceDeps, file: string): Promise<LogAggregator> {
  mkdirSync(dirname(file), { recursive: true });
  const out: WriteStream = createWriteStream(file, { flags: 'a' });
  const client = deps.client(SERVICE);
  let lines = 0;
  const write = (e: AnyEvent, ctx: EventContext): void => {
    const level = e.type.endsWith('.failed') ? 'error' : 'info';
    out.write(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        msg: 'event',
        type: e.type,
        workflow_id: e.workflow_id,
        event_id: e.id,
        source_agent: e.source_agent,
        stream: ctx.channel,
        data: e.data,
      }) + '\n',
    );
    lines++;
  };
  const o = deps.subscribe;
  const subs: EventSubscription[] = await Promise.all([
    client.onLogAggregatorsWorkflowCreated(write, o),
    client.onLogAggregatorsWorkflowStarted(write, o),
    client.onLogAggregatorsWorkflowProgressed(write, o),
    client.onLogAggregatorsWorkflowCompleted(write, o),
    client.onLogAggregatorsWorkflowFailed(write, o),
    client.onLogAggregatorsWorkflowCancelled(write, o),
    client.onLogAggregatorsGenerationStarted(write, o),
    client.onLogAggregatorsGenerationCompleted(write, o),
    client.onLogAggregatorsGenerationFailed(write, o),
    client.onLogAggregatorsAuditStarted(write, o),
    client.onLogAggregatorsAuditCompleted(write, o),
    client.onLogAggregatorsAuditFailed(write, o),
    client.onLogAggregatorsTestingStarted(write, o),
    client.onLogAggregatorsTestingCompleted(write, o),
    client.onLogAggregatorsTestingFailed(write, o),
    client.onLogAggregatorsDeploymentStarted(write, o),
    client.onLogAggregatorsDeploymentConfirmed(write, o),
    client.onLogAggregatorsDeploymentFailed(write, o),
    // A2A: one stream per addressee, all of them read (same group, so one reader for all).
    ...AGENTS.flatMap((to_agent) => [
      client.onLogAggregatorsA2ARequest(write, { ...o, parameters: { to_agent } }),
      client.onLogAggregatorsA2AResponse(write, { ...o, parameters: { to_agent } }),
    ]),
  ]);
  return {
    file,
    get lines() {
      return lines;
    },
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
      await client.client.close();
      await new Promise<void>((resolve) => out.end(() => resolve()));
    },
  };
}
