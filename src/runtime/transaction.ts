/**
 * Exactly-once effects: the seams between the client and a database transaction. The core
 * knows no database; `@event-contracts/runtime/postgres` implements these with `pg`.
 *
 * - An inbox runs each handler attempt inside a transaction that also records the event
 *   (group, source, id), so the handler's writes and the mark commit together or not at
 *   all, and a redelivered event whose mark committed is acknowledged unhandled.
 * - An outbox writes a prepared (validated, enveloped) event into a table in the caller's
 *   transaction; a relay sends committed rows to the broker afterwards.
 */

/**
 * What a handler's `ctx.tx` and `publish(..., { tx })` take: a client inside an open
 * transaction. pg's `PoolClient` and `Client` fit as they are.
 */
export interface TransactionClient {
  // biome-ignore lint/suspicious/noExplicitAny: rows are whatever the caller's SQL returns (as pg types them)
  query(text: string, values?: any[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** Whether an inbox attempt ran the handler or found the event handled already. */
export type InboxOutcome = 'handled' | 'duplicate';

export interface TransactionalInbox {
  /**
   * Opens a transaction, records (group, source, id) unless it is recorded and unexpired
   * (then: rollback, 'duplicate'), runs `fn` with the transaction, commits. A throw from
   * `fn` rolls back the mark and the handler's writes together and rejects with it.
   * `id` undefined (an event without an id): `fn` runs in a transaction with no mark.
   */
  run(mark: InboxMark, fn: (tx: TransactionClient) => Promise<void> | void): Promise<InboxOutcome>;
  close?(): Promise<void>;
}

export interface InboxMark {
  group: string;
  source: string;
  id: string | undefined;
  ttlMs: number;
}

/** One event as the outbox stores it: what the publisher would have handed the transport. */
export interface OutboxRecord {
  /** The event id (from the envelope), when it has one. */
  eventId: string | undefined;
  /** Concrete address. */
  channel: string;
  key: string | undefined;
  /** The encoded message (JSON text). */
  value: string;
  headers: Record<string, string>;
}

export interface OutboxWriter {
  /** Inserts the records in `tx`, in order; they become visible to the relay when `tx` commits. Resolves their outbox positions. */
  write(tx: TransactionClient, records: OutboxRecord[]): Promise<string[]>;
}
