/**
 * `@event-contracts/runtime/postgres`: exactly-once effects with PostgreSQL (`pg` is an
 * optional peer dependency, loaded only when a connection string is given instead of a
 * pool). See docs/exactly-once.md.
 *
 * - `createPostgresInbox`: a handler's writes and the event's dedupe mark in one transaction.
 * - `createGroupCommitInbox`: the same, with deliveries in flight sharing one transaction
 *   (a savepoint each, one COMMIT); `deferToCommit` for writes to rows they share.
 * - `createPostgresOutbox`: `publish(op, payload, { tx })` writes the event in your transaction.
 * - `startOutboxRelay`: sends committed outbox rows to the broker (also `evc relay`).
 */
export { createPostgresInbox, inboxTableSql, TransactionAbortedError, type PostgresInbox, type PostgresInboxOptions } from './inbox.js';
export { createGroupCommitInbox, deferToCommit, inGroupCommit, type GroupCommitInbox, type GroupCommitInboxOptions } from './group-commit-inbox.js';
export { createPostgresOutbox, outboxTableSql, type PostgresOutbox, type PostgresOutboxOptions } from './outbox.js';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type OutboxRelayStats } from './relay.js';
export type { PgConnectionOptions, PgPool, PgPoolClient } from './pg.js';
export type { InboxMark, InboxOutcome, OutboxRecord, OutboxWriter, TransactionClient, TransactionalInbox } from '../transaction.js';
