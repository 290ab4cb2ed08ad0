/**
 * `@event-contracts/runtime/postgres`: exactly-once effects with PostgreSQL (`pg` is an
 * optional peer dependency, loaded only when a connection string is given instead of a
 * pool). See docs/exactly-once.md.
 *
 * - `createPostgresInbox`: a handler's writes and the event's dedupe mark in one transaction.
 * - `createPostgresOutbox`: `publish(op, payload, { tx })` writes the event in your transaction.
 * - `startOutboxRelay`: sends committed outbox rows to the broker (also `evc relay`).
 */
export { createPostgresInbox, inboxTableSql, TransactionAbortedError, type PostgresInbox, type PostgresInboxOptions } from './inbox.js';
export { createPostgresOutbox, outboxTableSql, type PostgresOutbox, type PostgresOutboxOptions } from './outbox.js';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type OutboxRelayStats } from './relay.js';
export type { PgConnectionOptions, PgPool, PgPoolClient } from './pg.js';
export type { InboxMark, InboxOutcome, OutboxRecord, OutboxWriter, TransactionClient, TransactionalInbox } from '../transaction.js';
