/**
 * The event store as a PostgreSQL table (append-only; `position` is the append order):
 *
 *   <table>(position bigserial, event_id uuid PRIMARY KEY, system, event_type,
 *           correlation_id, causation_id, sequence, occurred_at, channel, key,
 *           headers jsonb, payload jsonb, stored_at)
 *
 * An event id already stored is ignored (ON CONFLICT DO NOTHING).
 */
import pg from 'pg';
import type { EventFilter, EventStore, StoredEvent } from './store.js';

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** Default `evc_event_store`. */
  table?: string;
  max?: number;
}

export function createPostgresEventStore(o: PostgresEventStoreOptions): EventStore & { readonly table: string } {
  const table = o.table ?? 'evc_event_store';
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`table name must be lower-case letters, digits and _: ${JSON.stringify(table)}`);
  const pool = new pg.Pool({ connectionString: o.connectionString, max: o.max ?? 4 });
  pool.on('error', () => undefined);

  function where(f: EventFilter | undefined): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    if (f?.system !== undefined) parts.push(`system = $${params.push(f.system)}`);
    if (f?.correlationId !== undefined) parts.push(`correlation_id = $${params.push(f.correlationId)}`);
    if (f?.from) parts.push(`occurred_at >= $${params.push(f.from.toISOString())}`);
    if (f?.to) parts.push(`occurred_at < $${params.push(f.to.toISOString())}`);
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  return {
    kind: 'postgres',
    table,
    async init() {
      await pool.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          position bigserial NOT NULL,
          event_id uuid PRIMARY KEY,
          system text NOT NULL,
          event_type text NOT NULL,
          correlation_id text,
          causation_id text,
          sequence integer,
          occurred_at timestamptz NOT NULL,
          channel text NOT NULL,
          key text,
          headers jsonb NOT NULL,
          payload json NOT NULL, -- json, not jsonb: keeps the published text (key order) for replay
          stored_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS ${table}_position ON ${table} (position);
        CREATE INDEX IF NOT EXISTS ${table}_correlation ON ${table} (correlation_id);`);
    },
    async append(e) {
      const r = await pool.query(
        `INSERT INTO ${table} (event_id, system, event_type, correlation_id, causation_id, sequence, occurred_at, channel, key, headers, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING`,
        [
          e.eventId,
          e.system,
          e.eventType,
          e.correlationId ?? null,
          e.causationId ?? null,
          e.sequence ?? null,
          e.occurredAt,
          e.channel,
          e.key ?? null,
          JSON.stringify(e.headers),
          JSON.stringify(e.payload),
        ],
      );
      return r.rowCount === 1;
    },
    async read(filter) {
      const w = where(filter);
      const r = await pool.query(`SELECT * FROM ${table} ${w.sql} ORDER BY position`, w.params);
      return r.rows.map(
        (x: Record<string, unknown>): StoredEvent => ({
          system: String(x.system),
          eventId: String(x.event_id),
          eventType: String(x.event_type),
          correlationId: (x.correlation_id as string | null) ?? undefined,
          causationId: (x.causation_id as string | null) ?? undefined,
          sequence: (x.sequence as number | null) ?? undefined,
          occurredAt: x.occurred_at instanceof Date ? x.occurred_at.toISOString() : String(x.occurred_at),
          channel: String(x.channel),
          key: (x.key as string | null) ?? undefined,
          headers: x.headers as Record<string, string>,
          payload: x.payload,
        }),
      );
    },
    async count(filter) {
      const w = where(filter);
      const r = await pool.query(`SELECT count(*)::int AS n FROM ${table} ${w.sql}`, w.params);
      return (r.rows[0] as { n: number }).n;
    },
    async close() {
      await pool.end();
    },
  };
}
