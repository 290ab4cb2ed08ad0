/**
 * The event store as the transactional outbox (seed 002: "Command Handler → Event Store →
 * EventBridge"). A service writes its domain change and its events in one PostgreSQL
 * transaction (`publish(op, payload, { tx })` puts the enveloped event into the outbox
 * table); the relay sends committed rows to the bus and keeps them (`retainSentMs: false`),
 * so the outbox table is the append-only store replay reads. No event reaches the bus
 * without being stored, and none is stored without its domain change.
 *
 * Rows are the runtime's outbox layout (id = append order, event_id, channel, key, value =
 * the wire text, headers, created_at, sent_at). A StoredEvent is read back from the value
 * and the evc-* headers; `append` (an event that reached the bus some other way) inserts
 * the event as already sent, once per event id.
 */
import { getPointer, HEADER, type SystemDescriptor } from '@event-contracts/runtime';
import { createPostgresOutbox, type PostgresOutbox } from '@event-contracts/runtime/postgres';
import { matches, type EventStore, type StoredEvent } from './store.js';

interface OutboxRow {
  id: string;
  event_id: string | null;
  channel: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  created_at: Date | string;
}

/** An EventStore over `outbox`'s table, for `system`'s events. Closing it closes the outbox (its pool, when the outbox made it). */
export function createOutboxEventStore(outbox: PostgresOutbox, system: SystemDescriptor): EventStore & { readonly table: string } {
  const { table, pool } = outbox;
  const env = system.envelope;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

  function toStored(r: OutboxRow): StoredEvent {
    let payload: unknown;
    try {
      payload = JSON.parse(r.value);
    } catch {
      payload = r.value;
    }
    const h = r.headers;
    const at = (ptr: string | undefined): unknown => (ptr ? getPointer(payload, ptr) : undefined);
    const seq = h[HEADER.sequence] !== undefined ? Number(h[HEADER.sequence]) : at(env?.sequence);
    const time = str(at(env?.time));
    return {
      system: system.id,
      eventId: r.event_id ?? h[HEADER.id] ?? str(at(env?.id)) ?? `outbox:${r.id}`,
      eventType: h[HEADER.type] ?? str(at(env?.type)) ?? h[HEADER.message] ?? 'unknown',
      correlationId: h[HEADER.correlationId] ?? str(at(env?.correlationId)),
      causationId: h[HEADER.causationId] ?? str(at(env?.causationId)),
      sequence: typeof seq === 'number' && Number.isFinite(seq) ? seq : undefined,
      occurredAt: time ?? (r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at)),
      channel: r.channel,
      key: r.key ?? undefined,
      headers: h,
      payload,
    };
  }

  async function read(filter: Parameters<EventStore['read']>[0]): Promise<StoredEvent[]> {
    await outbox.init();
    // The correlation id is in the headers: filtered by PostgreSQL; the rest (envelope time) here.
    const byCorrelation = filter?.correlationId !== undefined;
    const r = await pool.query(
      `SELECT id::text AS id, event_id, channel, key, value, headers, created_at FROM ${table}
       ${byCorrelation ? `WHERE headers->>'${HEADER.correlationId}' = $1` : ''} ORDER BY id`,
      byCorrelation ? [filter!.correlationId] : [],
    );
    return (r.rows as OutboxRow[]).map(toStored).filter((e) => matches(e, filter));
  }

  return {
    kind: 'postgres',
    table,
    init: () => outbox.init(),
    async append(e) {
      await outbox.init();
      const r = await pool.query(
        `INSERT INTO ${table} (event_id, channel, key, value, headers, sent_at)
         SELECT $1::text, $2, $3, $4, $5::json, now() WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE event_id = $1::text)`,
        [e.eventId, e.channel, e.key ?? null, JSON.stringify(e.payload), JSON.stringify(e.headers)],
      );
      return r.rowCount === 1;
    },
    read,
    async count(filter) {
      return (await read(filter)).length;
    },
    close: () => outbox.close(),
  };
}

/** The outbox-backed store of a table, with a pool of its own (e.g. for `evc replay`). */
export function openOutboxEventStore(connectionString: string, table: string, system: SystemDescriptor): EventStore & { readonly table: string } {
  return createOutboxEventStore(createPostgresOutbox({ connectionString, table }), system);
}
