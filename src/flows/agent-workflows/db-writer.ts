/**
 * The database writer (seed 004, group `db_writers`): consumes the completion events
 * (workflow completed / failed / cancelled, each stage's result) and writes workflow
 * state and results through a WorkflowStore (PostgreSQL or memory). The store is
 * idempotent by event id, so a redelivered event (the runtime's dedupe forgot it, a
 * replay, another member) changes nothing. With PostgreSQL the subscriptions use the
 * store's inbox: each event is applied in the inbox's transaction (`ctx.tx`), so its rows
 * and its dedupe mark commit together, and a redelivery whose mark committed is
 * acknowledged without calling the handler.
 */
import type { EventContext, EventSubscription } from '@event-contracts/runtime';
import type { ServiceDeps } from './deps.js';
import type { PersistableEvent, WorkflowStore } from './workflow-store.js';

const SERVICE = 'db-writer';

export interface DbWriter {
  /** Events applied (first time) and skipped (seen before by the store). */
  readonly applied: number;
  readonly skipped: number;
  stop(): Promise<void>;
}

export async function startDbWriter(deps: ServiceDeps, store: WorkflowStore): Promise<DbWriter> {
  const client = deps.client(SERVICE);
  let applied = 0;
  let skipped = 0;
  const write = async (e: PersistableEvent, ctx: EventContext): Promise<void> => {
    if (await store.apply({ id: e.id, type: e.type, workflow_id: e.workflow_id, timestamp: e.timestamp, data: e.data }, ctx.tx)) applied++;
    else skipped++;
  };
  const o = store.inbox ? { ...deps.subscribe, inbox: store.inbox } : deps.subscribe;
  const subs: EventSubscription[] = await Promise.all([
    client.onDbWritersWorkflowCompleted(write, o),
    client.onDbWritersWorkflowFailed(write, o),
    client.onDbWritersWorkflowCancelled(write, o),
    client.onDbWritersGenerationCompleted(write, o),
    client.onDbWritersAuditCompleted(write, o),
    client.onDbWritersTestingCompleted(write, o),
    client.onDbWritersDeploymentConfirmed(write, o),
  ]);
  return {
    get applied() {
      return applied;
    },
    get skipped() {
      return skipped;
    },
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
      await client.client.close();
    },
  };
}
