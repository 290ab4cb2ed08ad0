/**
 * Where the DB writer keeps workflow state and results: PostgreSQL when DATABASE_URL is
 * set, an in-memory store with the same semantics otherwise.
 *
 * Idempotent by construction (an inbox): each event id is recorded in
 * `<prefix>processed_events` in the same transaction as its effect, and an event whose id
 * is already there changes nothing. A terminal status (completed, failed, cancelled) is
 * never overwritten, so a stage result redelivered late cannot move a workflow back.
 *
 * The PostgreSQL store also has the runtime's inbox (`<prefix>inbox`): the DB writer
 * handles each event in the inbox's transaction and applies it with that transaction
 * (`apply(event, ctx.tx)`), so the rows, the processed-event row and the (group, source,
 * id) dedupe mark commit together, and a redelivery whose mark committed is acknowledged
 * without running the handler. By default deliveries share transactions (the runtime's
 * createGroupCommitInbox: one INSERT of their marks, no savepoints), and an event's writes
 * are one statement: about one round trip per event and one commit per batch instead of
 * five and one per event.
 */
import pg from 'pg';
import type { TransactionClient } from '@event-contracts/runtime';
import {
  createGroupCommitInbox,
  createPostgresInbox,
  deferToCommit,
  inGroupCommit,
  type GroupCommitInboxOptions,
  type PostgresInbox,
} from '@event-contracts/runtime/postgres';

export type TerminalStatus = 'completed' | 'failed' | 'cancelled';
export type StoredStatus = 'running' | TerminalStatus;

/** The fields of a seed 004 event the writer persists. */
export interface PersistableEvent {
  id: string;
  type: string;
  workflow_id: string;
  timestamp: string;
  data: unknown;
}

export interface WorkflowRow {
  workflow_id: string;
  status: StoredStatus;
  last_stage: string | null;
  /** Data of the terminal event, null while running. */
  result: unknown;
  updated_at: string;
}

export interface StageResultRow {
  event_id: string;
  workflow_id: string;
  stage: string;
  event_type: string;
  data: unknown;
  occurred_at: string;
}

export interface StoreCounts {
  workflows: number;
  stageResults: number;
  processedEvents: number;
}

export interface WorkflowStore {
  readonly kind: 'postgres' | 'memory';
  /** Creates the tables when they do not exist. */
  init(): Promise<void>;
  /** PostgreSQL: the inbox the DB writer's subscriptions run in. */
  readonly inbox?: PostgresInbox | undefined;
  /** Applies an event; false when its id was applied before (nothing changed). `tx`: in this open transaction (the inbox's), else in one of its own. */
  apply(event: PersistableEvent, tx?: TransactionClient): Promise<boolean>;
  workflow(workflowId: string): Promise<WorkflowRow | undefined>;
  stageResults(workflowId: string): Promise<StageResultRow[]>;
  counts(): Promise<StoreCounts>;
  close(): Promise<void>;
}

const TERMINAL: Record<string, TerminalStatus> = {
  'workflow.completed': 'completed',
  'workflow.failed': 'failed',
  'workflow.cancelled': 'cancelled',
};

/** Stage results: the event type → its stage. */
const STAGE_RESULT: Record<string, string> = {
  'generation.completed': 'generation',
  'audit.completed': 'audit',
  'testing.completed': 'testing',
  'deployment.confirmed': 'deployment',
};

export function createMemoryWorkflowStore(): WorkflowStore {
  const processed = new Set<string>();
  const workflows = new Map<string, WorkflowRow>();
  const results = new Map<string, StageResultRow>();
  const lastStageAt = new Map<string, string>();
  return {
    kind: 'memory',
    async init() {},
    async apply(e) {
      if (processed.has(e.id)) return false;
      processed.add(e.id);
      const terminal = TERMINAL[e.type];
      const stage = STAGE_RESULT[e.type];
      const existing = workflows.get(e.workflow_id);
      // Stage results and the terminal event arrive on different streams, so in any
      // order: the last stage is the newest stage result whenever it arrives, and the
      // status moves from running to a terminal one once.
      if (stage) {
        results.set(e.id, { event_id: e.id, workflow_id: e.workflow_id, stage, event_type: e.type, data: e.data, occurred_at: e.timestamp });
        const at = lastStageAt.get(e.workflow_id);
        if (at === undefined || at <= e.timestamp) {
          lastStageAt.set(e.workflow_id, e.timestamp);
          if (!existing)
            workflows.set(e.workflow_id, { workflow_id: e.workflow_id, status: 'running', last_stage: stage, result: null, updated_at: e.timestamp });
          else {
            existing.last_stage = stage;
            if (existing.updated_at < e.timestamp) existing.updated_at = e.timestamp;
          }
        }
      } else if (terminal) {
        if (!existing)
          workflows.set(e.workflow_id, { workflow_id: e.workflow_id, status: terminal, last_stage: null, result: e.data, updated_at: e.timestamp });
        else if (existing.status === 'running') {
          existing.status = terminal;
          existing.result = e.data;
          if (existing.updated_at < e.timestamp) existing.updated_at = e.timestamp;
        }
      }
      return true;
    },
    async workflow(id) {
      const w = workflows.get(id);
      return w ? { ...w } : undefined;
    },
    async stageResults(id) {
      return [...results.values()].filter((r) => r.workflow_id === id).sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
    },
    async counts() {
      return { workflows: workflows.size, stageResults: results.size, processedEvents: processed.size };
    },
    async close() {},
  };
}

export interface PostgresWorkflowStoreOptions {
  connectionString: string;
  /** Table name prefix (tests use a random one). Default `agent_workflows_`. */
  tablePrefix?: string;
  /** Pool size (each handler in flight holds one for its transaction). Default 8. */
  max?: number;
  /**
   * Deliveries share transactions (the runtime's createGroupCommitInbox): default on. `false`: the
   * runtime's inbox as it is, one transaction per delivery (the bench compares both).
   */
  groupCommit?: boolean | Pick<GroupCommitInboxOptions, 'maxBatch' | 'connections'>;
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

export function createPostgresWorkflowStore(o: PostgresWorkflowStoreOptions): WorkflowStore & { readonly tables: string[] } {
  const p = o.tablePrefix ?? 'agent_workflows_';
  if (!/^[a-z_][a-z0-9_]*$/.test(p)) throw new Error(`table prefix must be lower-case letters, digits and _: ${JSON.stringify(p)}`);
  const t = { workflows: `${p}workflows`, results: `${p}stage_results`, processed: `${p}processed_events`, inbox: `${p}inbox` };
  const pool = new pg.Pool({ connectionString: o.connectionString, max: o.max ?? 8 });
  pool.on('error', () => undefined); // idle client errors surface on the next query
  const inbox: PostgresInbox =
    o.groupCommit === false
      ? createPostgresInbox({ pool, table: t.inbox })
      : createGroupCommitInbox({ pool, table: t.inbox, ...(typeof o.groupCommit === 'object' ? o.groupCommit : {}) });
  const oneStatement = o.groupCommit !== false;

  /**
   * The event's writes as one statement (a round trip): the processed-event row, and only
   * when it is new (RETURNING feeds the other inserts) the stage result and the workflow
   * row, with the same conditions as the statements of `applyIn`.
   */
  const STAGE_SQL = `WITH seen AS (
      INSERT INTO ${t.processed} (event_id, event_type, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    ), result AS (
      INSERT INTO ${t.results} (event_id, workflow_id, stage, event_type, data, occurred_at)
      SELECT event_id, $3, $4, $2, $5::jsonb, $6::timestamptz FROM seen ON CONFLICT (event_id) DO NOTHING
    ), workflow AS (
      INSERT INTO ${t.workflows} AS w (workflow_id, status, last_stage, last_stage_at, result, updated_at)
      SELECT $3, 'running', $4, $6::timestamptz, NULL, $6::timestamptz FROM seen
      ON CONFLICT (workflow_id) DO UPDATE SET last_stage = EXCLUDED.last_stage, last_stage_at = EXCLUDED.last_stage_at,
        updated_at = GREATEST(w.updated_at, EXCLUDED.updated_at)
      WHERE w.last_stage_at IS NULL OR w.last_stage_at <= EXCLUDED.last_stage_at
    ) SELECT count(*)::int AS n FROM seen`;
  const TERMINAL_SQL = `WITH seen AS (
      INSERT INTO ${t.processed} (event_id, event_type, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    ), workflow AS (
      INSERT INTO ${t.workflows} AS w (workflow_id, status, last_stage, result, updated_at)
      SELECT $3, $4, NULL, $5::jsonb, $6::timestamptz FROM seen
      ON CONFLICT (workflow_id) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result,
        updated_at = GREATEST(w.updated_at, EXCLUDED.updated_at)
      WHERE w.status = 'running'
    ) SELECT count(*)::int AS n FROM seen`;
  const OTHER_SQL = `INSERT INTO ${t.processed} (event_id, event_type, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`;

  /** The stage result's rows without the workflow row. */
  const STAGE_ROWS_SQL = `WITH seen AS (
      INSERT INTO ${t.processed} (event_id, event_type, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    ), result AS (
      INSERT INTO ${t.results} (event_id, workflow_id, stage, event_type, data, occurred_at)
      SELECT event_id, $3, $4, $2, $5::jsonb, $6::timestamptz FROM seen ON CONFLICT (event_id) DO NOTHING
    ) SELECT count(*)::int AS n FROM seen`;

  /** The workflow row's upsert with the values inlined (for deferToCommit), the same statements as applyIn's. */
  function workflowUpsert(lit: (v: string) => string, e: PersistableEvent, stage: string | undefined, terminal: string | undefined): string {
    const at = `${lit(e.timestamp)}::timestamptz`;
    if (stage)
      return `INSERT INTO ${t.workflows} AS w (workflow_id, status, last_stage, last_stage_at, result, updated_at) VALUES (${lit(e.workflow_id)}, 'running', ${lit(stage)}, ${at}, NULL, ${at})
        ON CONFLICT (workflow_id) DO UPDATE SET last_stage = EXCLUDED.last_stage, last_stage_at = EXCLUDED.last_stage_at,
          updated_at = GREATEST(w.updated_at, EXCLUDED.updated_at)
        WHERE w.last_stage_at IS NULL OR w.last_stage_at <= EXCLUDED.last_stage_at`;
    return `INSERT INTO ${t.workflows} AS w (workflow_id, status, last_stage, result, updated_at) VALUES (${lit(e.workflow_id)}, ${lit(terminal!)}, NULL, ${lit(JSON.stringify(e.data))}::jsonb, ${at})
        ON CONFLICT (workflow_id) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result,
          updated_at = GREATEST(w.updated_at, EXCLUDED.updated_at)
        WHERE w.status = 'running'`;
  }

  async function applyInOne(c: TransactionClient, e: PersistableEvent): Promise<boolean> {
    const stage = STAGE_RESULT[e.type];
    const terminal = TERMINAL[e.type];
    if (!stage && !terminal) return (await c.query(OTHER_SQL, [e.id, e.type, e.workflow_id])).rowCount === 1;
    const escapeLiteral = (c as { escapeLiteral?: (v: string) => string }).escapeLiteral;
    if (escapeLiteral && inGroupCommit(c)) {
      // In a group-commit transaction: this event's own rows now, the shared workflow row
      // at the end, in workflow order with the other transactions' (no deadlocks).
      const isNew = stage
        ? (await c.query(STAGE_ROWS_SQL, [e.id, e.type, e.workflow_id, stage, JSON.stringify(e.data), e.timestamp])).rows[0]?.n === 1
        : (await c.query(OTHER_SQL, [e.id, e.type, e.workflow_id])).rowCount === 1;
      if (isNew) deferToCommit(c, e.workflow_id, workflowUpsert(escapeLiteral.bind(c), e, stage, terminal));
      return isNew;
    }
    const r = await c.query(stage ? STAGE_SQL : TERMINAL_SQL, [e.id, e.type, e.workflow_id, stage ?? terminal, JSON.stringify(e.data), e.timestamp]);
    return (r.rows[0] as { n: number } | undefined)?.n === 1;
  }

  /** The event's writes in `c`'s open transaction; false when its id was processed before. */
  async function applyIn(c: TransactionClient, e: PersistableEvent): Promise<boolean> {
    if (oneStatement) return applyInOne(c, e);
    const seen = await c.query(`INSERT INTO ${t.processed} (event_id, event_type, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`, [
      e.id,
      e.type,
      e.workflow_id,
    ]);
    if (seen.rowCount === 0) return false;
    const stage = STAGE_RESULT[e.type];
    const terminal = TERMINAL[e.type];
    if (stage) {
      await c.query(
        `INSERT INTO ${t.results} (event_id, workflow_id, stage, event_type, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
        [e.id, e.workflow_id, stage, e.type, JSON.stringify(e.data), e.timestamp],
      );
      await c.query(
        `INSERT INTO ${t.workflows} AS w (workflow_id, status, last_stage, last_stage_at, result, updated_at) VALUES ($1, 'running', $2, $3, NULL, $3)
         ON CONFLICT (workflow_id) DO UPDATE SET last_stage = EXCLUDED.last_stage, last_stage_at = EXCLUDED.last_stage_at,
           updated_at = GREATEST(w.updated_at, EXCLUDED.updated_at)
         WHERE w.last_stage_at IS NULL OR w.last_stage_at <= EXCLUDED.last_stage_at`,
        [e.workflow_id, stage, e.timestamp],
      );
    } else if (terminal) {
      await c.query(
        `INSERT INTO ${t.workflows} AS w (workflow_id, status, last_stage, result, updated_at) VALUES ($1, $2, NULL, $3, $4)
         ON CONFLICT (workflow_id) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result,
           updated_at = GREATEST(w.updated_at, EXCLUDED.updated_at)
         WHERE w.status = 'running'`,
        [e.workflow_id, terminal, JSON.stringify(e.data), e.timestamp],
      );
    }
    return true;
  }

  const rowOf = (r: Record<string, unknown>): WorkflowRow => ({
    workflow_id: String(r.workflow_id),
    status: r.status as StoredStatus,
    last_stage: (r.last_stage as string | null) ?? null,
    result: r.result ?? null,
    updated_at: iso(r.updated_at),
  });

  return {
    kind: 'postgres',
    tables: Object.values(t),
    inbox,
    async init() {
      await pool.query(`
        CREATE TABLE IF NOT EXISTS ${t.workflows} (
          workflow_id text PRIMARY KEY,
          status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
          last_stage text,
          last_stage_at timestamptz,
          result jsonb,
          updated_at timestamptz NOT NULL
        );
        ALTER TABLE ${t.workflows} ADD COLUMN IF NOT EXISTS last_stage_at timestamptz;
        CREATE TABLE IF NOT EXISTS ${t.results} (
          event_id uuid PRIMARY KEY,
          workflow_id text NOT NULL,
          stage text NOT NULL,
          event_type text NOT NULL,
          data jsonb NOT NULL,
          occurred_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ${t.results}_workflow ON ${t.results} (workflow_id);
        CREATE TABLE IF NOT EXISTS ${t.processed} (
          event_id uuid PRIMARY KEY,
          event_type text NOT NULL,
          workflow_id text NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now()
        );`);
      await inbox.init();
    },
    async apply(e, tx) {
      if (tx) return applyIn(tx, e);
      const c = await pool.connect();
      let broken = false;
      try {
        await c.query('BEGIN');
        const applied = await applyIn(c, e);
        await c.query(applied ? 'COMMIT' : 'ROLLBACK');
        return applied;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      } finally {
        c.release(broken);
      }
    },
    async workflow(id) {
      const r = await pool.query(`SELECT * FROM ${t.workflows} WHERE workflow_id = $1`, [id]);
      return r.rows[0] ? rowOf(r.rows[0]) : undefined;
    },
    async stageResults(id) {
      const r = await pool.query(`SELECT * FROM ${t.results} WHERE workflow_id = $1 ORDER BY occurred_at, event_id`, [id]);
      return r.rows.map((x: Record<string, unknown>) => ({
        event_id: String(x.event_id),
        workflow_id: String(x.workflow_id),
        stage: String(x.stage),
        event_type: String(x.event_type),
        data: x.data,
        occurred_at: iso(x.occurred_at),
      }));
    },
    async counts() {
      const r = await pool.query(
        `SELECT (SELECT count(*) FROM ${t.workflows})::int AS w, (SELECT count(*) FROM ${t.results})::int AS s, (SELECT count(*) FROM ${t.processed})::int AS p`,
      );
      const row = r.rows[0] as { w: number; s: number; p: number };
      return { workflows: row.w, stageResults: row.s, processedEvents: row.p };
    },
    async close() {
      await inbox.close();
      await pool.end();
    },
  };
}
