/**
 * The PostgreSQL inbox with group commit: the same table, the same mark and the same
 * outcomes as `createPostgresInbox`, but deliveries that arrive while every transaction
 * is busy join one (or wait and go together into the next), and share its COMMIT. By
 * default a transaction has no savepoints:
 *
 *   BEGIN; INSERT <the marks of the deliveries it starts with>   -- one round trip
 *   <handler 1's statements through ctx.tx>
 *   <handler 2's statements>
 *   INSERT <mark 3> ON CONFLICT ... (a delivery that joined)
 *   <handler 3's statements>
 *   ...
 *   <deferred statements>; COMMIT
 *
 * One statement of ours per delivery (its share of the marks) and one COMMIT per
 * transaction, against BEGIN + mark and COMMIT per delivery for the per-delivery inbox. A
 * failure rolls it all back: the delivery whose handler threw is rejected with its error
 * and the others run again in a new transaction (their handlers are called again); when
 * whose failure it was cannot be told (a handler swallowed a failed statement, a mark, a
 * deferred statement or the COMMIT failed), they all run again with `savepoints: true`:
 *
 *   BEGIN; SAVEPOINT evc_item; INSERT <mark 1>      -- one round trip
 *   <handler 1's statements through ctx.tx>
 *   RELEASE SAVEPOINT evc_item; SAVEPOINT evc_item; INSERT <mark 2>
 *   <handler 2's statements>
 *   ...
 *   RELEASE SAVEPOINT evc_item; COMMIT
 *
 * where what fails is undone to its delivery's savepoint alone.
 *
 * Which transaction a delivery goes into: a free connection starts a new one (what waits
 * is spread over the free connections); when every connection is busy, the delivery joins
 * the open transaction with the fewest deliveries still to run (up to `maxBatch`), which
 * runs it after those and commits it with them. A transaction takes no more once its last
 * handler is done. So the deliveries in flight, not only those of one turn of the event
 * loop, share COMMITs: a pipeline whose deliveries come one after another (each one's ack
 * lets the next in) still fills transactions.
 *
 * What each delivery gets is what the per-delivery inbox promises: its mark and its
 * writes commit together or not at all; a handler that throws has its attempt rejected
 * with that error, its writes and mark undone; with savepoints, a handler that swallowed
 * a failed statement left the transaction aborted, which the next RELEASE reports
 * (25P02): it is rolled back to its savepoint and rejected with TransactionAbortedError;
 * a mark already there (committed before, unexpired, or written earlier in the same
 * transaction) is 'duplicate', the handler not called. No attempt resolves before the
 * COMMIT of its transaction went through (the pipeline acks only then); a COMMIT that
 * fails again with savepoints rejects every attempt in it. A lone delivery starts at
 * once (waiting happens only while a transaction is busy: then the deliveries of one
 * turn of the event loop are taken together); with savepoints, a transaction of one
 * delivery is the per-delivery inbox's, without a savepoint.
 *
 * The trade-offs (docs/exactly-once.md):
 * - Handlers of one transaction run one after another: `connections` transactions run
 *   side by side, whatever the subscription's concurrency; a slow handler delays the
 *   commit (and the ack) of the others in its transaction.
 * - A transaction holds the row locks of all its deliveries until COMMIT. Two of them
 *   (`connections` > 1, or several processes) updating the same rows in opposite orders
 *   deadlock; PostgreSQL breaks that after deadlock_timeout (1 s) by failing one
 *   statement, whose delivery is rolled back and retried. Handlers avoid it by handing
 *   their writes to shared rows to `deferToCommit`: they run at the end of the
 *   transaction, before COMMIT, sorted by key, in one round trip, so every transaction
 *   takes those locks in one order. With `connections: 1` this inbox never has two
 *   transactions open, so its own deliveries cannot deadlock each other (other writers
 *   of the same rows still can).
 */
import { ConfigurationError } from '../errors.js';
import type { InboxMark, InboxOutcome, TransactionClient } from '../transaction.js';
import {
  createPostgresInbox,
  inboxBatchMarker,
  inboxMarker,
  TransactionAbortedError,
  UNDO_TO_SAVEPOINT,
  UNDO_TRANSACTION,
  type PostgresInbox,
  type PostgresInboxOptions,
} from './inbox.js';
import { codeOf, lastResult, openPool, type PgPoolClient } from './pg.js';

export interface GroupCommitInboxOptions extends PostgresInboxOptions {
  /**
   * Deliveries per transaction. Default 32: how much a failure rolls back and runs again;
   * with savepoints each one is a subtransaction, and PostgreSQL caches 64 per backend
   * before snapshots get slower.
   */
  maxBatch?: number;
  /**
   * Transactions in flight at once (pool connections used). Default 4. Handlers that
   * update rows other deliveries also update put those writes through `deferToCommit`,
   * or transactions may deadlock (PostgreSQL fails one after deadlock_timeout; it is
   * retried); with 1 they cannot deadlock each other.
   */
  connections?: number;
  /**
   * Each delivery in a SAVEPOINT of its own from the start, so that a handler that throws
   * is rolled back alone. Default false: the transaction has no savepoints (one statement
   * of ours per delivery instead of three, about a fifth more deliveries per second in
   * bench/outbox.ts), and a failure rolls back the whole transaction: the delivery whose
   * handler threw is rejected, the others run again in a new transaction (their handlers
   * are called again; what they wrote was rolled back). When which handler failed cannot
   * be told (one swallowed a failed statement), they all run again with savepoints.
   */
  savepoints?: boolean;
}

export interface GroupCommitInbox<C extends TransactionClient = TransactionClient> extends PostgresInbox<C> {
  /** Transactions committed and deliveries they held, since start. */
  readonly stats: { transactions: number; deliveries: number };
}

interface Item {
  mark: InboxMark;
  fn: (tx: TransactionClient) => Promise<void> | void;
  resolve(outcome: InboxOutcome): void;
  reject(err: unknown): void;
  outcome?: InboxOutcome;
}

const IN_FAILED_TRANSACTION = '25P02';

/** Whether `err`, or an error it wraps (`cause`, a few levels), is PostgreSQL's "current transaction is aborted". */
function inFailedTransaction(err: unknown): boolean {
  let e = err;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    if (codeOf(e) === IN_FAILED_TRANSACTION) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

interface Deferred {
  item: Item;
  key: string;
  sql: string;
}

/** The open group-commit transaction of a connection: what its handlers deferred, and whose handler runs now. */
interface Batch {
  deferred: Deferred[];
  current: Item | undefined;
}

const batches = new WeakMap<object, Batch>();

interface OpenTransaction {
  items: Item[];
  /** Index of the next delivery to run. */
  next: number;
}

/** Runs a delivery's handler in the transaction, as the one `deferToCommit` gives its statements to. */
async function runHandler(c: PgPoolClient, batch: Batch, it: Item): Promise<void> {
  batch.current = it;
  try {
    await it.fn(c);
    it.outcome = 'handled';
  } finally {
    batch.current = undefined;
  }
}

/** The deferred statements of a transaction, in key order (a stable sort keeps delivery order within a key), each followed by `; `. */
const deferredSql = (batch: Batch): string =>
  [...batch.deferred]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((d) => `${d.sql}; `)
    .join('');

/** Whether `tx` is a group-commit transaction running a handler now (so deferToCommit takes statements). */
export function inGroupCommit(tx: TransactionClient): boolean {
  return batches.get(tx)?.current !== undefined;
}

/**
 * In a handler running in a group-commit transaction (`tx` is its `ctx.tx`): runs `sql`
 * (one complete statement, values inlined as literals with pg's `escapeLiteral`) at the
 * end of the transaction, before COMMIT, with the other deferred statements sorted by
 * `key` (delivery order within a key). It belongs to the delivery: dropped when the
 * delivery is rolled back. If it fails, the whole transaction fails and every delivery
 * in it is rejected (and retried; without savepoints they first run again with a savepoint
 * each, and are rejected only if it fails again). Returns false, running nothing, when `tx` is not such
 * a transaction: then run it yourself.
 */
export function deferToCommit(tx: TransactionClient, key: string, sql: string): boolean {
  const batch = batches.get(tx);
  if (!batch?.current) return false;
  batch.deferred.push({ item: batch.current, key, sql });
  return true;
}

/**
 * @example
 * import pg from 'pg';
 * import { createGroupCommitInbox } from '@event-contracts/runtime/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
 * const inbox = createGroupCommitInbox<pg.PoolClient>({ pool, connections: 4 });
 * const sdk = createChatClient({ transport, inbox });
 * await sdk.onMessageSent(async (event, ctx) => {
 *   await inbox.tx(ctx).query('INSERT INTO notifications (user_id, text) VALUES ($1, $2)', [event.to, event.text]);
 * });
 */
export function createGroupCommitInbox<C extends TransactionClient = TransactionClient>(options: GroupCommitInboxOptions): GroupCommitInbox<C> {
  const { pool, owned } = openPool(options, 'createGroupCommitInbox');
  // DDL, cleanup, `has` and `tx(ctx)` are the per-delivery inbox's, on the same pool and table.
  const inbox = createPostgresInbox<C>({ ...options, pool });
  const table = inbox.table;
  const mark = inboxMarker(table);
  const marks = inboxBatchMarker(table);
  const alwaysSavepoints = options.savepoints ?? false;
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 32));
  const connections = Math.max(1, Math.floor(options.connections ?? 4));
  const cleanupEvery = options.cleanupIntervalMs ?? 600_000;
  let nextCleanup = Date.now() + cleanupEvery;
  let cleaning: Promise<unknown> | undefined;
  const queue: Item[] = [];
  /** Attempts accepted by run() and not queued yet (waiting for the table). */
  let entering = 0;
  let active = 0;
  let pumpSoon: ReturnType<typeof setImmediate> | undefined;
  let closed = false;
  const idle: (() => void)[] = [];
  const stats = { transactions: 0, deliveries: 0 };
  const aborted = (): TransactionAbortedError =>
    new TransactionAbortedError(`inbox ${table}: the handler's transaction was aborted by a failed statement, so nothing was committed`);

  /**
   * A transaction that takes deliveries arriving while every connection is busy, until its
   * last handler is done (then it commits): `items` grows while it runs.
   */
  const joinable = new Set<OpenTransaction>();

  /** A connection for a transaction (joinable while it runs, when `joinable`); undefined, with every item rejected, when the pool fails. */
  async function checkOut(open: OpenTransaction, items: Item[], canJoin: boolean): Promise<PgPoolClient | undefined> {
    if (canJoin) joinable.add(open);
    try {
      return await pool.connect();
    } catch (err) {
      joinable.delete(open);
      for (const it of items) it.reject(err);
      return undefined;
    }
  }

  async function runBatch(items: Item[], savepoints: boolean): Promise<void> {
    const open: OpenTransaction = { items, next: 0 };
    const c = await checkOut(open, items, savepoints);
    if (!c) return;
    let broken = false;
    const batch: Batch = { deferred: [], current: undefined };
    batches.set(c, batch);
    /** Items whose mark (and writes) sit in the transaction, to settle at COMMIT. */
    const held: Item[] = [];
    /** The item whose savepoint the next statement releases, while its handler may have aborted the transaction. */
    let last: Item | undefined;
    /** Items rejected on their own (rolled back to their savepoint). */
    const dropped = new Set<Item>();
    const drop = (it: Item, err: unknown): void => {
      dropped.add(it);
      const i = held.indexOf(it);
      if (i >= 0) held.splice(i, 1);
      batch.deferred = batch.deferred.filter((d) => d.item !== it);
      it.outcome = undefined;
      it.reject(err);
    };
    let begun = false;
    try {
      // `items` may grow during the loop (deliveries joining); it ends when none is left.
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        open.next = i + 1;
        const before = begun ? 'RELEASE SAVEPOINT evc_item; SAVEPOINT evc_item' : savepoints ? 'BEGIN; SAVEPOINT evc_item' : 'BEGIN';
        let first: boolean;
        try {
          first = await mark(c, before, it.mark, savepoints ? UNDO_TO_SAVEPOINT : UNDO_TRANSACTION);
          begun = true;
        } catch (err) {
          if (codeOf(err) === IN_FAILED_TRANSACTION && last) {
            // The previous handler left the transaction aborted: undo it alone, then this item again.
            await c.query('ROLLBACK TO SAVEPOINT evc_item');
            drop(last, aborted());
            last = undefined;
            try {
              first = await mark(c, 'RELEASE SAVEPOINT evc_item; SAVEPOINT evc_item', it.mark, UNDO_TO_SAVEPOINT);
            } catch (again) {
              await c.query('ROLLBACK TO SAVEPOINT evc_item');
              drop(it, again);
              continue;
            }
          } else if (!savepoints) {
            throw err;
          } else {
            // The mark failed (a lock timeout, a deadlock): this item alone is undone. When
            // even BEGIN or the savepoint did not go through, the rollback fails too and the
            // whole batch is rejected below.
            await c.query('ROLLBACK TO SAVEPOINT evc_item').catch(() => {
              throw err;
            });
            begun = true;
            last = undefined;
            drop(it, err);
            continue;
          }
        }
        held.push(it);
        last = undefined;
        if (!first) {
          it.outcome = 'duplicate';
          continue;
        }
        try {
          await runHandler(c, batch, it);
          last = it;
        } catch (err) {
          if (!savepoints) throw err;
          await c.query('ROLLBACK TO SAVEPOINT evc_item');
          drop(it, err);
        }
      }
      // No delivery joins once the last handler is done: what comes now waits for a connection.
      joinable.delete(open);
      if (begun) {
        // The deferred writes, in key order (a stable sort keeps delivery order within a key), then COMMIT.
        const tail = (): string => deferredSql(batch);
        let done: unknown;
        try {
          done = await c.query(`${savepoints ? 'RELEASE SAVEPOINT evc_item; ' : ''}${tail()}COMMIT`);
        } catch (err) {
          // 25P02 comes only from the RELEASE (after it the transaction is not aborted), or
          // without savepoints from a deferred statement: the last handler's doing.
          if (codeOf(err) !== IN_FAILED_TRANSACTION || !last) throw err;
          if (!savepoints) throw aborted();
          await c.query('ROLLBACK TO SAVEPOINT evc_item');
          drop(last, aborted());
          done = await c.query(`${tail()}COMMIT`);
        }
        if (lastResult(done)?.command === 'ROLLBACK') throw aborted();
        stats.transactions++;
        stats.deliveries += held.length;
      }
      for (const it of held) it.resolve(it.outcome!);
    } catch (err) {
      joinable.delete(open);
      await c.query('ROLLBACK').catch(() => (broken = true));
      // Those held in the transaction and those not reached yet (a connection error
      // mid-batch): not committed, retried by the pipeline.
      for (const it of items) if (!dropped.has(it)) it.reject(err);
    } finally {
      batches.delete(c);
      c.release(broken);
    }
  }

  /**
   * A transaction without savepoints (the default): BEGIN and the marks of the deliveries
   * taken, in one statement; their handlers one after another, each delivery joining
   * meanwhile with its own mark (an upsert, which cannot abort the transaction); the
   * deferred statements and COMMIT. Any failure rolls all of it back (see `savepoints`).
   */
  async function runWhole(items: Item[]): Promise<void> {
    const open: OpenTransaction = { items, next: 0 };
    const c = await checkOut(open, items, true);
    if (!c) return;
    let broken = false;
    const batch: Batch = { deferred: [], current: undefined };
    batches.set(c, batch);
    /** Set when a handler threw: the others run again without it. */
    let thrower: { item: Item; err: unknown } | undefined;
    let committed = false;
    try {
      // The marks of those here now; a later delivery of an event already among them finds
      // that mark (it is 'duplicate' once the first is handled).
      const initial = items.length;
      const fresh = await marks.first(
        c,
        'BEGIN',
        items.map((it) => it.mark),
      );
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        open.next = i + 1;
        const first = i < initial ? fresh[i]! : await marks.join(c, it.mark);
        if (!first) {
          it.outcome = 'duplicate';
          continue;
        }
        try {
          await runHandler(c, batch, it);
        } catch (err) {
          // A failed statement the handler threw on, or one an earlier handler swallowed
          // (25P02, also when wrapped in the thrown error's causes: which handler's doing
          // cannot be told here): the savepoint run below tells.
          if (!inFailedTransaction(err)) thrower = { item: it, err };
          throw err;
        }
      }
      joinable.delete(open);
      const done = await c.query(`${deferredSql(batch)}COMMIT`);
      if (lastResult(done)?.command === 'ROLLBACK') throw aborted();
      committed = true;
      stats.transactions++;
      stats.deliveries += items.length;
    } catch {
      joinable.delete(open);
      await c.query('ROLLBACK').catch(() => (broken = true));
    } finally {
      batches.delete(c);
      c.release(broken);
    }
    if (committed) {
      for (const it of items) it.resolve(it.outcome!);
      return;
    }
    for (const it of items) it.outcome = undefined;
    if (thrower) {
      thrower.item.reject(thrower.err);
      const rest = items.filter((it) => it !== thrower!.item);
      if (rest.length > 0) await runWhole(rest);
      return;
    }
    // An aborted transaction, a failed mark, deferred statement or COMMIT, a lost
    // connection: with a savepoint each, what was one delivery's doing is rejected alone,
    // and anything else rejects them all (as before).
    await runBatch(items, true);
  }

  function pump(): void {
    while (active < connections && queue.length > 0) {
      // Spread what waits over the free connections: one long transaction beside idle ones would run its handlers one after another.
      const items = queue.splice(0, Math.min(maxBatch, Math.ceil(queue.length / (connections - active))));
      // A lone delivery on an idle inbox needs no savepoint: its transaction is the per-delivery
      // inbox's (BEGIN + mark, the handler, COMMIT), and any failure rolls it all back. Under
      // load, transactions use savepoints from the start so that later deliveries can join them.
      const savepoints = items.length > 1 || active > 0;
      active++;
      void (alwaysSavepoints ? runBatch(items, savepoints) : runWhole(items)).finally(() => {
        active--;
        pump();
        settle();
      });
    }
  }

  /** Wakes close() once nothing is accepted, queued or in flight. */
  function settle(): void {
    if (active === 0 && queue.length === 0 && entering === 0) for (const done of idle.splice(0)) done();
  }

  return {
    table,
    stats,
    init: () => inbox.init(),
    cleanup: () => inbox.cleanup(),
    has: (group, source, id) => inbox.has(group, source, id),
    tx: (ctx) => inbox.tx(ctx),
    async run(m, fn) {
      if (closed) throw new ConfigurationError(`inbox ${table} is closed`);
      entering++;
      try {
        await inbox.init();
      } catch (err) {
        entering--;
        // This attempt ends here: a close() waiting on it must still wake.
        settle();
        throw err;
      }
      entering--;
      if (Date.now() >= nextCleanup && !cleaning) {
        nextCleanup = Date.now() + cleanupEvery;
        cleaning = inbox
          .cleanup()
          .catch(() => undefined)
          .finally(() => (cleaning = undefined));
      }
      const outcome = new Promise<InboxOutcome>((resolve, reject) => {
        const item: Item = { mark: m, fn, resolve, reject };
        // Every connection busy: join the open transaction with the fewest deliveries still to run.
        if (active >= connections) {
          let best: OpenTransaction | undefined;
          for (const t of joinable) if (t.items.length < maxBatch && (!best || t.items.length - t.next < best.items.length - best.next)) best = t;
          if (best) {
            best.items.push(item);
            return;
          }
        }
        queue.push(item);
        // Nothing in flight: start now. Otherwise wait for this turn of the event loop to
        // end, so the deliveries it brings (those the last COMMIT acked, typically) go
        // into one transaction instead of the first of them into one of its own.
        if (active === 0) pump();
        else if (!pumpSoon)
          pumpSoon = setImmediate(() => {
            pumpSoon = undefined;
            pump();
          });
      });
      settle();
      return outcome;
    },
    /** Waits for the deliveries queued and in flight (they commit or reject as usual), then closes the pool when it was made from a connection string. */
    async close() {
      closed = true;
      if (active > 0 || queue.length > 0 || entering > 0) await new Promise<void>((resolve) => idle.push(resolve));
      await cleaning;
      await inbox.close();
      if (owned) await pool.end();
    },
  };
}
