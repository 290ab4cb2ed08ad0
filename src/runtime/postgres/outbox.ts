/**
 * The transactional outbox: `publish(op, payload, { tx })` on a client made with
 * `{ outbox }` validates and envelopes the event exactly as a normal publish does (the
 * same publisher), then inserts it here, in the caller's transaction. It exists for the
 * broker only once that transaction commits; the relay (relay.ts) sends it then.
 *
 * Order per key: the insert takes a transaction-scoped advisory lock on the event's key,
 * so two transactions writing the same key serialize, and the later one's row id (taken
 * after the lock) is higher: row id order is commit order for each key, which is the
 * order the relay sends in. Transactions that write the same keys in opposite orders can
 * deadlock (PostgreSQL aborts one); write several keys in a stable order.
 */
import type { OutboxRecord, OutboxWriter, TransactionClient } from '../transaction.js';
import { bareName, createOnce, openPool, tableName, type PgConnectionOptions, type PgPool } from './pg.js';

export interface PostgresOutboxOptions extends PgConnectionOptions {
  /** Default `evc_outbox`; `schema.table` allowed. Created when missing. */
  table?: string;
  /** Set false when the table is made by your migrations (`outboxTableSql(table)`). Default true. */
  createTable?: boolean;
}

export interface PostgresOutbox extends OutboxWriter {
  readonly table: string;
  /** The pool the relay and the table creation use. */
  readonly pool: PgPool;
  /** Creates the table (done before the first write too). */
  init(): Promise<void>;
  /** Rows not sent yet, and the age of the oldest (ms; 0 when none). */
  lag(): Promise<{ rows: number; oldestAgeMs: number }>;
  /** Closes the pool when it was made from a connection string. */
  close(): Promise<void>;
}

/** The outbox table's DDL, for migrations. */
export function outboxTableSql(table = 'evc_outbox'): string {
  const t = tableName(table, 'outbox');
  return `CREATE TABLE IF NOT EXISTS ${t} (
  id bigserial PRIMARY KEY,
  event_id text,
  channel text NOT NULL,
  key text,
  value text NOT NULL,
  headers json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX IF NOT EXISTS ${bareName(t)}_unsent ON ${t} (id) WHERE sent_at IS NULL;`;
}

/**
 * @example
 * const outbox = createPostgresOutbox({ pool });
 * const sdk = createSkafuClient({ transport, outbox });
 * const tx = await pool.connect();
 * await tx.query('BEGIN');
 * await tx.query('INSERT INTO projects (id, name) VALUES ($1, $2)', [id, name]);
 * await sdk.publishProjectCreated({ data: { projectId: id, name } }, { tx }); // a row in evc_outbox, same transaction
 * await tx.query('COMMIT');
 * tx.release();
 * const relay = startOutboxRelay({ outbox, transport });                     // sends it after the commit
 */
export function createPostgresOutbox(options: PostgresOutboxOptions): PostgresOutbox {
  const table = tableName(options.table ?? 'evc_outbox', 'outbox');
  const { pool, owned } = openPool(options, 'createPostgresOutbox');
  let initialised: Promise<void> | undefined = options.createTable === false ? Promise.resolve() : undefined;
  const init = (): Promise<void> => {
    initialised ??= createOnce(pool, `evc-outbox:${table}`, outboxTableSql(table)).catch((err) => {
      initialised = undefined;
      throw err;
    });
    return initialised;
  };
  const lockSpace = `hashtext('evc-outbox-key:${table}')`;
  const columns = 'event_id, channel, key, value, headers';
  const insertKeyed = `INSERT INTO ${table} (${columns}) SELECT $1, $2, $3::text, $4, $5::json FROM (SELECT pg_advisory_xact_lock(${lockSpace}, hashtext($3::text))) AS l RETURNING id`;
  const insertUnkeyed = `INSERT INTO ${table} (${columns}) VALUES ($1, $2, NULL, $3, $4::json) RETURNING id`;
  // Several rows: locks first (the lateral runs per row), then ids in the given order (the sort materialises before the insert draws ids).
  const insertMany = `INSERT INTO ${table} (${columns})
    SELECT u.event_id, u.channel, u.key, u.value, u.headers::json
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(event_id, channel, key, value, headers, n)
    LEFT JOIN LATERAL (SELECT pg_advisory_xact_lock(${lockSpace}, hashtext(u.key)) WHERE u.key IS NOT NULL) AS l ON true
    ORDER BY u.n
    RETURNING id`;

  return {
    table,
    pool,
    init,
    async write(tx: TransactionClient, records: OutboxRecord[]): Promise<string[]> {
      await init();
      if (records.length === 1) {
        const r = records[0]!;
        const res =
          r.key === undefined
            ? await tx.query(insertUnkeyed, [r.eventId ?? null, r.channel, r.value, JSON.stringify(r.headers)])
            : await tx.query(insertKeyed, [r.eventId ?? null, r.channel, r.key, r.value, JSON.stringify(r.headers)]);
        return [String(res.rows[0].id)];
      }
      const res = await tx.query(insertMany, [
        records.map((r) => r.eventId ?? null),
        records.map((r) => r.channel),
        records.map((r) => r.key ?? null),
        records.map((r) => r.value),
        records.map((r) => JSON.stringify(r.headers)),
      ]);
      // RETURNING follows the insert order; sort anyway, the ids were drawn in record order.
      return res.rows.map((row: { id: string | number }) => String(row.id)).sort((a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : 1));
    },
    async lag() {
      await init();
      const r = await pool.query(
        `SELECT count(*)::int AS rows, coalesce(extract(epoch FROM (now() - min(created_at))) * 1000, 0)::float8 AS age FROM ${table} WHERE sent_at IS NULL`,
      );
      const row = r.rows[0] as { rows: number; age: number };
      return { rows: row.rows, oldestAgeMs: Math.max(0, Math.round(row.age)) };
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}
