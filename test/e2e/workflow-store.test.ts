/**
 * The DB writer's store receives stage results and the terminal event from different
 * streams, so in any order (CI once saw workflow.completed land before
 * deployment.confirmed and the row kept last_stage "testing"). Every order of one
 * workflow's events must give the same row, on memory and on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryWorkflowStore,
  createPostgresWorkflowStore,
  type PersistableEvent,
  type WorkflowStore,
} from '../../src/flows/agent-workflows/workflow-store.js';
import { DATABASE_URL, dropTables, postgresAvailable, tablePrefix } from './agent-workflows.postgres.js';

function events(workflowId: string): PersistableEvent[] {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();
  return [
    { id: randomUUID(), type: 'generation.completed', workflow_id: workflowId, timestamp: at(1), data: { n: 1 } },
    { id: randomUUID(), type: 'audit.completed', workflow_id: workflowId, timestamp: at(2), data: { n: 2 } },
    { id: randomUUID(), type: 'testing.completed', workflow_id: workflowId, timestamp: at(3), data: { n: 3 } },
    { id: randomUUID(), type: 'deployment.confirmed', workflow_id: workflowId, timestamp: at(4), data: { n: 4 } },
    { id: randomUUID(), type: 'workflow.completed', workflow_id: workflowId, timestamp: at(5), data: { url: 'x' } },
  ];
}

/** A few orders: in order, terminal first, reversed, and a shuffle that puts the last stage last. */
const ORDERS: number[][] = [
  [0, 1, 2, 3, 4],
  [4, 0, 1, 2, 3],
  [0, 1, 2, 4, 3],
  [4, 3, 2, 1, 0],
  [2, 4, 0, 3, 1],
];

async function check(store: WorkflowStore): Promise<void> {
  for (const order of ORDERS) {
    const id = `wf-${randomUUID().slice(0, 8)}`;
    const evs = events(id);
    for (const i of order) expect(await store.apply(evs[i]!)).toBe(true);
    const row = await store.workflow(id);
    expect(row, `order ${order}`).toMatchObject({ workflow_id: id, status: 'completed', last_stage: 'deployment', result: { url: 'x' } });
    expect(Date.parse(row!.updated_at), `order ${order}`).toBe(Date.parse(evs[4]!.timestamp));
    expect((await store.stageResults(id)).map((r) => r.stage)).toEqual(['generation', 'audit', 'testing', 'deployment']);
    // A redelivered stage result (same id) changes nothing.
    expect(await store.apply(evs[1]!)).toBe(false);
    expect(await store.workflow(id)).toEqual(row);
  }
}

describe('workflow store: any arrival order gives the same row', () => {
  it('memory', async () => {
    await check(createMemoryWorkflowStore());
  });

  const tables: string[] = [];
  afterAll(async () => {
    await dropTables(tables);
  });
  it('PostgreSQL', async (ctx) => {
    if (!(await postgresAvailable())) return ctx.skip();
    const store = createPostgresWorkflowStore({ connectionString: DATABASE_URL, tablePrefix: tablePrefix('ws') });
    tables.push(...store.tables);
    await store.init();
    try {
      await check(store);
    } finally {
      await store.close();
    }
  });
});
