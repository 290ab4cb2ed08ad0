/**
 * The inbox: exactly-once effects for a handler that writes to PostgreSQL. Each attempt
 * runs in one transaction that first records the event in the inbox table, then runs the
 * handler with that transaction (`ctx.tx`), then commits; the transport acknowledges only
 * after the commit. So the handler's writes and the mark commit together or not at all:
 *
 * - the handler throws → rollback: no writes, no mark; the pipeline retries (a new
 *   transaction) or dead-letters, as without an inbox;
 * - the process dies before COMMIT → nothing happened; the broker redelivers;
 * - the process dies after COMMIT, before the ack → the redelivery finds the mark and is
 *   acknowledged without calling the handler;
 * - two deliveries of one event at once (a rebalance, a Redis takeover) → the second
 *   INSERT waits on the first's row lock; when the first commits it finds the mark and
 *   rolls back ('duplicate'), when the first rolls back it proceeds.
 *
 * The mark is (consumer group, event source, event id), as `dedupeKey`; it expires after
 * the client's `dedupeTtlMs` (an expired mark is taken over by a redelivery) and expired
 * rows are deleted every `cleanupIntervalMs`.
 */
import type { EventContext } from '../client-types.js';
import { ConfigurationError, EventContractsError } from '../errors.js';
import type { InboxMark, InboxOutcome, TransactionClient, TransactionalInbox } from '../transaction.js';
import { bareName, codeOf, createOnce, openPool, tableName, type PgConnectionOptions, type PgPool, type PgPoolClient } from './pg.js';

export interface PostgresInboxOptions extends PgConnectionOptions {
  /** Default `evc_inbox`; `schema.table` allowed. Created when missing. */
  table?: string;
  /** Set false when the table is made by your migrations (`inboxTableSql(table)`). Default true. */
  createTable?: boolean;
  /** How often expired marks are deleted (ms, at most once per interval, by whichever attempt comes first). Default 600 000. */
  cleanupIntervalMs?: number;
}

/**
 * `C`: the type handlers get from `tx(ctx)`, e.g. pg's `PoolClient` when you pass a
 * `pg.Pool`: `createPostgresInbox<PoolClient>({ pool })`.
 */
export interface PostgresInbox<C extends TransactionClient = TransactionClient> extends TransactionalInbox {
  readonly table: string;
  /** The handler's transaction, typed; throws when the handler does not run in an inbox. */
  tx(ctx: EventContext): C;
  /** Creates the table (done on first use too). */
  init(): Promise<void>;
  /** Deletes expired marks now; resolves how many. */
  cleanup(): Promise<number>;
  /** Whether (group, source, id) is marked and unexpired. */
  has(group: string, source: string, id: string): Promise<boolean>;
  /** Closes the pool when it was made from a connection string. */
  close(): Promise<void>;
}

/** The inbox table's DDL, for migrations. */
export function inboxTableSql(table = 'evc_inbox'): string {
  const t = tableName(table, 'inbox');
  return `CREATE TABLE IF NOT EXISTS ${t} (
  consumer_group text NOT NULL,
  source text NOT NULL,
  event_id text NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (consumer_group, source, event_id)
);
CREATE INDEX IF NOT EXISTS ${bareName(t)}_expires ON ${t} (expires_at);`;
}

/**
 * @example
 * import pg from 'pg';
 * import { createPostgresInbox } from '@event-contracts/runtime/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const inbox = createPostgresInbox<pg.PoolClient>({ pool });
 * const sdk = createChatClient({ transport, inbox });
 * await sdk.onMessageSent(async (event, ctx) => {
 *   // one transaction: this insert and the event's inbox mark commit together
 *   await inbox.tx(ctx).query('INSERT INTO notifications (user_id, text) VALUES ($1, $2)', [event.to, event.text]);
 * });
 */
export function createPostgresInbox<C extends TransactionClient = TransactionClient>(options: PostgresInboxOptions): PostgresInbox<C> {
  const table = tableName(options.table ?? 'evc_inbox', 'inbox');
  const { pool, owned } = openPool(options, 'createPostgresInbox');
  const cleanupEvery = options.cleanupIntervalMs ?? 600_000;
  let initialised: Promise<void> | undefined = options.createTable === false ? Promise.resolve() : undefined;
  let nextCleanup = Date.now() + cleanupEvery;
  let cleaning: Promise<unknown> | undefined;
  let closed = false;

  const init = (): Promise<void> => {
    initialised ??= createOnce(pool, `evc-inbox:${table}`, inboxTableSql(table)).catch((err) => {
      initialised = undefined;
      throw err;
    });
    return initialised;
  };

  const marker = inboxMarker(table);
  /** BEGIN and the mark; true when this delivery is the first (or the mark had expired). */
  const begin = (c: PgPoolClient, m: InboxMark): Promise<boolean> => marker(c, 'BEGIN', m, UNDO_TRANSACTION);

  async function cleanup(): Promise<number> {
    await init();
    const r = await pool.query(`DELETE FROM ${table} WHERE expires_at <= now()`);
    return r.rowCount ?? 0;
  }

  return {
    table,
    init,
    cleanup,
    tx(ctx) {
      if (ctx.tx === undefined) throw new ConfigurationError(`inbox ${table}: ctx.tx is set only in a handler whose subscription uses an inbox`);
      return ctx.tx as C;
    },
    async has(group, source, id) {
      await init();
      const r = await pool.query(`SELECT 1 FROM ${table} WHERE consumer_group = $1 AND source = $2 AND event_id = $3 AND expires_at > now()`, [
        group,
        source,
        id,
      ]);
      return (r.rowCount ?? 0) > 0;
    },
    async run(mark, fn): Promise<InboxOutcome> {
      if (closed) throw new ConfigurationError(`inbox ${table} is closed`);
      await init();
      if (Date.now() >= nextCleanup && !cleaning) {
        nextCleanup = Date.now() + cleanupEvery;
        cleaning = cleanup()
          .catch(() => undefined)
          .finally(() => (cleaning = undefined));
      }
      const c = await pool.connect();
      // A client whose ROLLBACK failed may be in any state: the pool must not hand it out again.
      let broken = false;
      try {
        if (!(await begin(c, mark))) {
          await c.query('ROLLBACK');
          return 'duplicate';
        }
        await fn(c);
        const done = (await c.query('COMMIT')) as { command?: string };
        // A statement that failed inside the handler, its error caught, aborted the
        // transaction: COMMIT then rolls back (and says so). Nothing was written: not handled.
        if (done.command === 'ROLLBACK')
          throw new TransactionAbortedError(`inbox ${table}: the handler's transaction was aborted by a failed statement, so nothing was committed`);
        return 'handled';
      } catch (err) {
        await c.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      } finally {
        c.release(broken);
      }
    },
    async close() {
      closed = true;
      await cleaning;
      if (owned) await pool.end();
    },
  };
}

/**
 * The inbox's mark on `table`, run after `before` (e.g. `BEGIN`): resolves true when this
 * delivery is the first (or the mark had expired), false for an unexpired mark. One
 * delivery's case of `inboxBatchMarker(table).first` (see there): shared by the
 * per-delivery and the group-commit inbox, so both write the same mark.
 *
 * The mark is first a plain INSERT: the common case (a new event) costs PostgreSQL less
 * than an upsert (bench: the per-delivery inbox ran at 0.55x against 0.48x of an
 * autocommit INSERT with `ON CONFLICT DO UPDATE ... WHERE`, 6 rotated rounds). When the
 * mark is there (a redelivery, or the same event earlier in this transaction), it fails
 * with unique_violation, which aborts the transaction: `undo` (UNDO_TRANSACTION after a
 * `before` ending in BEGIN, UNDO_TO_SAVEPOINT after one ending in `SAVEPOINT evc_item`)
 * goes back to where `before` left off, and the mark is taken again as the upsert, which
 * replaces an expired mark and leaves an unexpired one alone. A redelivery thus costs one
 * more round trip, and PostgreSQL logs the unique violation.
 */
export function inboxMarker(table: string): (c: PgPoolClient, before: string, mark: InboxMark, undo: string) => Promise<boolean> {
  const { first } = inboxBatchMarker(table);
  return async (c, before, mark, undo) => (await first(c, before, [mark], undo))[0]!;
}

/**
 * The marks of several deliveries. `first(c, before, marks, undo)`: after `before`, one
 * multi-row plain INSERT (with pg's `escapeLiteral`, `before` and the INSERT go in one
 * round trip: a simple query may hold several statements, but no parameters; two
 * otherwise); when any mark is there already (unique_violation), `undo` goes back to
 * where `before` left off and each mark is taken with an upsert of its own, all sent in
 * one round trip (one per mark without `escapeLiteral`), each answering for its own
 * delivery by its row count. A later mark of an event already among `marks` is false (it
 * is the same event earlier in this transaction). `join(c, mark)`: one more mark inside
 * the open transaction, as the upsert, which does not abort the transaction over a mark
 * that is there (other failures, a lock timeout or a deadlock, still do). Both resolve,
 * per mark, whether this delivery is the first (or the mark had expired); a mark without
 * an id is always first and writes nothing; an error of `before` rejects as it is. Rows
 * are written in key order, so that two transactions marking the same events take their
 * locks in one order.
 */
export function inboxBatchMarker(table: string): {
  first(c: PgPoolClient, before: string, marks: readonly InboxMark[], undo?: string): Promise<boolean[]>;
  join(c: PgPoolClient, mark: InboxMark): Promise<boolean>;
} {
  const insert = (values: string): string => `INSERT INTO ${table} AS m (consumer_group, source, event_id, expires_at) VALUES ${values}`;
  // An expired mark is replaced (the event counts as new again); an unexpired one is a conflict: 0 rows.
  const upsert = (values: string): string =>
    `${insert(values)} ON CONFLICT (consumer_group, source, event_id) DO UPDATE SET handled_at = now(), expires_at = EXCLUDED.expires_at WHERE m.expires_at <= now()`;
  const ttlOf = (m: InboxMark): number => Math.max(1, Math.ceil(m.ttlMs));
  const literalRow = (e: (v: string) => string, m: InboxMark): string =>
    `(${e(m.group)}, ${e(m.source)}, ${e(m.id!)}, now() + interval '${ttlOf(m)} milliseconds')`;
  /** A row of placeholders $k+1..$k+4, and its params. */
  const paramRow = (k: number): string => `($${k + 1}, $${k + 2}, $${k + 3}, now() + $${k + 4} * interval '1 millisecond')`;
  const paramsOf = (m: InboxMark): unknown[] => [m.group, m.source, m.id, ttlOf(m)];

  /** After `before`, an upsert per mark: whether each wrote its row. Exact per mark, whatever the table's column types make of the text. */
  async function upsertEach(c: PgPoolClient, before: string, marks: readonly InboxMark[]): Promise<boolean[]> {
    const e = c.escapeLiteral?.bind(c);
    if (e) {
      const r = await c.query([...(before ? [before] : []), ...marks.map((m) => upsert(literalRow(e, m)))].join('; '));
      const results = (Array.isArray(r) ? r : [r]) as { rowCount: number | null }[];
      return results.slice(-marks.length).map((x) => x.rowCount === 1);
    }
    if (before) await c.query(before);
    const written: boolean[] = [];
    for (const m of marks) written.push((await c.query(upsert(paramRow(0)), paramsOf(m))).rowCount === 1);
    return written;
  }

  return {
    async first(c, before, marks, undo = UNDO_TRANSACTION) {
      const out = marks.map(() => true);
      const seen = new Set<string>();
      const toWrite: { m: InboxMark; i: number; key: string }[] = [];
      marks.forEach((m, i) => {
        if (m.id === undefined) return;
        const key = `${m.group}\u0000${m.source}\u0000${m.id}`;
        if (seen.has(key)) out[i] = false;
        else {
          seen.add(key);
          toWrite.push({ m, i, key });
        }
      });
      if (toWrite.length === 0) {
        await c.query(before);
        return out;
      }
      toWrite.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      try {
        const e = c.escapeLiteral?.bind(c);
        if (e) await c.query(`${before}; ${insert(toWrite.map((x) => literalRow(e, x.m)).join(', '))}`);
        else {
          await c.query(before);
          await c.query(
            insert(toWrite.map((_, k) => paramRow(4 * k)).join(', ')),
            toWrite.flatMap((x) => paramsOf(x.m)),
          );
        }
        return out;
      } catch (err) {
        if (codeOf(err) !== UNIQUE_VIOLATION) throw err;
      }
      const written = await upsertEach(
        c,
        undo,
        toWrite.map((x) => x.m),
      );
      toWrite.forEach((x, k) => {
        out[x.i] = written[k]!;
      });
      return out;
    },
    async join(c, mark) {
      if (mark.id === undefined) return true;
      return (await upsertEach(c, '', [mark]))[0]!;
    },
  };
}

const UNIQUE_VIOLATION = '23505';
/** What takes the marker back to just after a `before` that ends in BEGIN: a new transaction. */
export const UNDO_TRANSACTION = 'ROLLBACK; BEGIN';
/** What takes the marker back to just after a `before` that ends in `SAVEPOINT evc_item`. */
export const UNDO_TO_SAVEPOINT = 'ROLLBACK TO SAVEPOINT evc_item';

/** COMMIT found the transaction aborted (a statement inside failed and its error was caught). Retried like any handler error. */
export class TransactionAbortedError extends EventContractsError {
  constructor(message: string) {
    super(message, { retriable: true });
  }
}

export type { PgPool, PgPoolClient };
