/**
 * skafu (seed 002) as a runnable flow: `evc run skafu`. See app.ts for the services and
 * API, services.ts for the flow and the error bus, and src/eventstore for the event
 * store and replay (`evc replay --system skafu --group project-read-model`).
 */
import { createSkafuClient, skafuOperations } from '../../../generated/skafu/index.js';
import { createMetrics } from '@event-contracts/runtime';
import type { DemoSummary, FlowRunOptions, FlowSystem, ReplayTarget, RunningFlow } from '../registry.js';
import { startSkafu, type SkafuRunning } from './app.js';

export { EVENT_STORE_OPERATIONS, openEventStore, skafuDedupe, skafuTables, startSkafu, type SkafuOptions, type SkafuRunning } from './app.js';
export { READ_MODEL_GROUP, startProjectsReadModel, type ProjectView, type ProjectsReadModel } from './read-model.js';
import { READ_MODEL_GROUP, startProjectsReadModel } from './read-model.js';

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function demo(running: RunningFlow, options: FlowRunOptions): Promise<DemoSummary> {
  const r = running as SkafuRunning;
  const lines: string[] = [];
  let ok = true;
  const create = async (name: string, correlationId: string): Promise<string> => {
    const res = await fetch(`${r.url}/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ name, ownerId: 'user-123', description: 'an event-driven orders API' }),
    });
    return String(((await res.json()) as { projectId: string }).projectId);
  };
  try {
    const projectId = await create('orders-api', 'req-12345');
    await until('ProjectConfigured', 15_000, () => r.readModel.get(projectId)?.status === 'configured');
    const v = r.readModel.get(projectId)!;
    lines.push(`orders-api (${projectId}): ${v.status}, template ${v.templateId}, repository ${v.repositoryUrl}, last sequence ${v.lastSequence}`);
    const chain = (await r.eventStore.read({ correlationId: 'req-12345' })).map((e) => `${e.sequence}:${e.eventType}`);
    lines.push(`event store, correlation req-12345: ${chain.join(' → ')}`);
    for (let i = 1; i <= 3; i++) await create('fail-github', `req-fail-${i}`);
    await until('the alert', 15_000, () => r.errors.alerts().length > 0);
    const alert = r.errors.alerts()[0]!;
    lines.push(
      `error bus: ${r.errors
        .aggregates()
        .map((a) => `${a.errorCode}/${a.source} ×${a.count}`)
        .join(', ')}; alert ${alert.alarmName} (${alert.severity})`,
    );
  } catch (err) {
    ok = false;
    lines.push((err as Error).message);
  }
  lines.push(`event store: ${await r.eventStore.count()} event(s) in ${r.eventStore.kind === 'file' ? `${options.workDir}/event-store.jsonl` : 'PostgreSQL'}`);
  return { ok, lines };
}

export const skafu: FlowSystem = {
  id: 'skafu',
  title: 'Skafu (seed 002): project creation across domains, error bus, event store and replay',
  transports: ['memory', 'redis'],
  start: (options) => startSkafu(options),
  demo,
};

export const skafuReplayTargets: Record<string, ReplayTarget> = {
  [READ_MODEL_GROUP]: {
    addresses: ['ProjectCreated', 'TemplateSelected', 'AIAnalysisCompleted', 'RepositoryCreated', 'ProjectConfigured'].map(
      (m) => skafuOperations[`eventStoreReceive${m}` as keyof typeof skafuOperations].channel.address,
    ),
    async start(transport) {
      const metrics = createMetrics();
      const client = createSkafuClient({ transport, closeTransport: false, metrics });
      const model = await startProjectsReadModel(client, READ_MODEL_GROUP);
      return {
        processed: async () => handledBy(await metrics.text(), READ_MODEL_GROUP),
        snapshot: () => model.snapshot(),
        async stop() {
          await model.stop();
          await client.client.close();
        },
      };
    },
  },
};

/** consumed + duplicates + dead-lettered of one group, from the runtime's Prometheus text. */
export function handledBy(metricsText: string, group: string): number {
  let n = 0;
  const re = /^evc_(?:consumed|duplicates|dead_lettered)_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm;
  for (const m of metricsText.matchAll(re)) if (m[1]!.includes(`group="${group}"`)) n += Number(m[2]);
  return n;
}
