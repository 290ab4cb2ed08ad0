/**
 * The append-only event store (seed 002, "Event Replay Architecture"): every event of a
 * system as it was on the wire, so that replay can hand the same bytes (same event ids)
 * to a consumer group again. Two backends: a PostgreSQL table, a JSONL file.
 *
 * Appends are idempotent by event id: a redelivered event is stored once.
 */

/** One stored event. `payload` is the event exactly as published (the envelope included). */
export interface StoredEvent {
  /** System id, e.g. `skafu`. */
  system: string;
  eventId: string;
  eventType: string;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  sequence?: number | undefined;
  /** The envelope's time (ISO 8601), what --from/--to filter on. */
  occurredAt: string;
  /** Concrete address the event was published to. */
  channel: string;
  key?: string | undefined;
  /** Transport headers (evc-*, traceparent, ...). */
  headers: Record<string, string>;
  payload: unknown;
}

export interface EventFilter {
  system?: string | undefined;
  /** Inclusive lower bound on occurredAt. */
  from?: Date | undefined;
  /** Exclusive upper bound on occurredAt. */
  to?: Date | undefined;
  correlationId?: string | undefined;
}

export interface EventStore {
  readonly kind: 'postgres' | 'file';
  /** Creates the table / file when missing. */
  init(): Promise<void>;
  /** Appends; false when an event with this id is stored already. */
  append(event: StoredEvent): Promise<boolean>;
  /** Stored events matching the filter, in append order. */
  read(filter?: EventFilter): Promise<StoredEvent[]>;
  count(filter?: EventFilter): Promise<number>;
  close(): Promise<void>;
}

export function matches(e: StoredEvent, f: EventFilter | undefined): boolean {
  if (!f) return true;
  if (f.system !== undefined && e.system !== f.system) return false;
  if (f.correlationId !== undefined && e.correlationId !== f.correlationId) return false;
  const t = Date.parse(e.occurredAt);
  if (f.from && !(t >= f.from.getTime())) return false;
  if (f.to && !(t < f.to.getTime())) return false;
  return true;
}
