/**
 * The DB writer's inbox with group commit: the runtime's PostgreSQL inbox (same table,
 * same mark, same outcomes) whose attempts share transactions.
 *
 * The runtime's inbox runs each delivery in a transaction of its own: BEGIN + mark, the
 * handler's statements, COMMIT, and one WAL flush per event. At seed 004's rate the DB
 * writer gets thousands of events a second, so here deliveries that arrive while a
 * transaction is busy wait and then go together into the next one, each inside a
 * SAVEPOINT of its own:
 *
 *   BEGIN; SAVEPOINT evc_item; INSERT <mark 1>      -- one round trip
 *   <handler 1's statements through ctx.tx>
 *   RELEASE SAVEPOINT evc_item; SAVEPOINT evc_item; INSERT <mark 2>
 *   <handler 2's statements>
 *   ...
 *   RELEASE SAVEPOINT evc_item; COMMIT
 *
 * What each event gets is what the runtime's inbox promises (docs/exactly-once.md): its
 * mark and its writes commit together or not at all; a handler that throws is rolled back
 * to its savepoint (its writes and its mark) and its attempt rejects, to be retried by
 * the pipeline, while the others go on; a handler that swallowed a failed statement left
 * the transaction aborted, which the next RELEASE reports (25P02): rolled back to its
 * savepoint and rejected with TransactionAbortedError, as the runtime's inbox does at
 * COMMIT; a mark already there (committed before, unexpired) is 'duplicate', the
 * handler not called. No attempt resolves before the COMMIT of its transaction went
 * through (the pipeline acks only then); a failed COMMIT rejects every attempt in it.
 * A lone delivery starts at once: waiting happens only while a transaction is busy.
 *
 * Several transactions run side by side (`connections`): one connection's transaction is
 * a chain of round trips, each waiting for the event loop of a busy process, so one at a
 * time caps the writer far below the bus. A transaction holds the row locks of all its
 * events until COMMIT, so two of them updating the same rows in opposite orders would
 * deadlock (PostgreSQL notices after deadlock_timeout, 1 s; measured: 14 in 150
 * workflows). Handlers avoid that by handing their writes to shared rows to
 * `deferToCommit`: they run at the end of the transaction, before COMMIT, sorted by key,
 * in one round trip, so every transaction takes those locks in one global order and none
 * waits for another that waits for it. Their outcome belongs to the whole transaction: if
 * they fail, every delivery in it is rejected (and retried), none is committed.
 */
import type { InboxMark, InboxOutcome, TransactionClient } from '@event-contracts/runtime';
import { TransactionAbortedError, type PgPool, type PgPoolClient, type PostgresInbox } from '@event-contracts/runtime/postgres';

export interface GroupCommitInboxOptions {
  pool: PgPool;
  /** The runtime inbox on the same table: its DDL, cleanup, `has` and `tx(ctx)` are used as they are. */
  inbox: PostgresInbox;
  /**
   * Deliveries per transaction. Default 32: every one is a subtransaction, and PostgreSQL
   * caches 64 per backend before snapshots get slower.
   */
  maxBatch?: number;
  /**
   * Transactions in flight at once (pool connections used). Default 4. Handlers that
   * update rows other deliveries also update put those writes through `deferToCommit`
   * (see above), or transactions may deadlock; with 1 they cannot.
   */
  connections?: number;
  /** How often expired marks are deleted (ms). Default 600 000, as the runtime's inbox. */
  cleanupIntervalMs?: number;
}

export interface GroupCommitInbox extends PostgresInbox {
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

/** Whether `tx` is a group-commit transaction running a handler now (so deferToCommit takes statements). */
export function inGroupCommit(tx: TransactionClient): boolean {
  return batches.get(tx)?.current !== undefined;
}

/**
 * In a handler running in a group-commit transaction (`tx` is its `ctx.tx`): runs `sql`
 * (one complete statement, values inlined as literals with `tx.escapeLiteral`) at the end
 * of the transaction, with the other deferred statements sorted by `key`. Returns false,
 * running nothing, when `tx` is not such a transaction: then run it yourself.
 */
export function deferToCommit(tx: TransactionClient, key: string, sql: string): boolean {
  const batch = batches.get(tx);
  if (!batch?.current) return false;
  batch.deferred.push({ item: batch.current, key, sql });
  return true;
}

const codeOf = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;

/** pg answers a multi-statement simple query with one result per statement. */
const resultsOf = (r: unknown): { rowCount: number | null; command?: string }[] =>
  (Array.isArray(r) ? r : [r]) as { rowCount: number | null; command?: string }[];

export function createGroupCommitInbox(o: GroupCommitInboxOptions): GroupCommitInbox {
  const { pool, inbox } = o;
  const table = inbox.table;
  const maxBatch = Math.max(1, o.maxBatch ?? 32);
  const connections = Math.max(1, o.connections ?? 4);
  const cleanupEvery = o.cleanupIntervalMs ?? 600_000;
  let nextCleanup = Date.now() + cleanupEvery;
  const queue: Item[] = [];
  let active = 0;
  let closed = false;
  let idle: (() => void) | undefined;
  const stats = { transactions: 0, deliveries: 0 };

  /** The same statement as the runtime inbox's mark: an expired mark is taken over, an unexpired one is a conflict (0 rows). */
  function markSql(c: PgPoolClient, m: InboxMark): string {
    if (m.id === undefined) return '';
    const e = (v: string): string => (c.escapeLiteral ? c.escapeLiteral(v) : `'${v.replace(/'/g, "''")}'`);
    const ttl = Math.max(1, Math.ceil(m.ttlMs));
    return `; INSERT INTO ${table} AS m (consumer_group, source, event_id, expires_at) VALUES (${e(m.group)}, ${e(m.source)}, ${e(m.id)}, now() + interval '${ttl} milliseconds')
     ON CONFLICT (consumer_group, source, event_id) DO UPDATE SET handled_at = now(), expires_at = EXCLUDED.expires_at WHERE m.expires_at <= now()`;
  }

  async function runBatch(items: Item[]): Promise<void> {
    const c = await pool.connect().catch((err: unknown) => {
      for (const it of items) it.reject(err);
    });
    if (!c) return;
    let broken = false;
    const batch: Batch = { deferred: [], current: undefined };
    batches.set(c, batch);
    /** Items whose mark (and writes) sit in the transaction, to settle at COMMIT. */
    const held: Item[] = [];
    /** The item whose savepoint the next statement releases, while its handler may have aborted the transaction. */
    let last: Item | undefined;
    const drop = (it: Item, err: unknown): void => {
      const i = held.indexOf(it);
      if (i >= 0) held.splice(i, 1);
      batch.deferred = batch.deferred.filter((d) => d.item !== it);
      it.reject(err);
    };
    const aborted = (): TransactionAbortedError =>
      new TransactionAbortedError(`inbox ${table}: the handler's transaction was aborted by a failed statement, so nothing was committed`);
    try {
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        const begin = `${i === 0 ? 'BEGIN' : 'RELEASE SAVEPOINT evc_item'}; SAVEPOINT evc_item${markSql(c, it.mark)}`;
        let r: unknown;
        try {
          r = await c.query(begin);
        } catch (err) {
          if (codeOf(err) === IN_FAILED_TRANSACTION && last) {
            // The previous handler left the transaction aborted: undo it alone, then this item again.
            await c.query('ROLLBACK TO SAVEPOINT evc_item');
            drop(last, aborted());
            last = undefined;
            try {
              r = await c.query(`RELEASE SAVEPOINT evc_item; SAVEPOINT evc_item${markSql(c, it.mark)}`);
            } catch (again) {
              await c.query('ROLLBACK TO SAVEPOINT evc_item');
              drop(it, again);
              continue;
            }
          } else if (i === 0) {
            throw err;
          } else {
            // The mark failed (a lock timeout, a deadlock): this item alone is undone.
            await c.query('ROLLBACK TO SAVEPOINT evc_item');
            drop(it, err);
            last = undefined;
            continue;
          }
        }
        const results = resultsOf(r);
        if (it.mark.id !== undefined && results[results.length - 1]?.rowCount !== 1) {
          it.outcome = 'duplicate';
          held.push(it);
          last = undefined;
          continue;
        }
        held.push(it);
        batch.current = it;
        try {
          await it.fn(c);
          it.outcome = 'handled';
          last = it;
        } catch (err) {
          await c.query('ROLLBACK TO SAVEPOINT evc_item');
          drop(it, err);
          last = undefined;
        } finally {
          batch.current = undefined;
        }
      }
      // The deferred writes, in key order (a stable sort keeps delivery order within a key), then COMMIT.
      const tail = (): string => {
        const sorted = [...batch.deferred].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        return sorted.map((d) => `${d.sql}; `).join('');
      };
      let done: unknown;
      try {
        done = await c.query(`RELEASE SAVEPOINT evc_item; ${tail()}COMMIT`);
      } catch (err) {
        // 25P02 comes only from the RELEASE (after it the transaction is not aborted): the last handler's doing.
        if (codeOf(err) !== IN_FAILED_TRANSACTION || !last) throw err;
        await c.query('ROLLBACK TO SAVEPOINT evc_item');
        drop(last, aborted());
        done = await c.query(`${tail()}COMMIT`);
      }
      const results = resultsOf(done);
      if (results[results.length - 1]?.command === 'ROLLBACK') throw aborted();
      stats.transactions++;
      stats.deliveries += held.length;
      for (const it of held) it.resolve(it.outcome!);
    } catch (err) {
      await c.query('ROLLBACK').catch(() => (broken = true));
      for (const it of held) it.reject(err);
      // Items not reached yet (a connection error mid-batch): not handled, retried by the pipeline.
      for (const it of items) if (it.outcome === undefined && !held.includes(it)) it.reject(err);
    } finally {
      batches.delete(c);
      c.release(broken);
    }
  }

  function pump(): void {
    while (active < connections && queue.length > 0) {
      const items = queue.splice(0, maxBatch);
      active++;
      void runBatch(items).finally(() => {
        active--;
        pump();
        if (active === 0 && queue.length === 0) idle?.();
      });
    }
  }

  return {
    table,
    stats,
    init: () => inbox.init(),
    cleanup: () => inbox.cleanup(),
    has: (group, source, id) => inbox.has(group, source, id),
    tx: (ctx) => inbox.tx(ctx),
    async run(mark, fn) {
      if (closed) throw new Error(`inbox ${table} is closed`);
      await inbox.init();
      if (Date.now() >= nextCleanup) {
        nextCleanup = Date.now() + cleanupEvery;
        void inbox.cleanup().catch(() => undefined);
      }
      return new Promise<InboxOutcome>((resolve, reject) => {
        queue.push({ mark, fn, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      if (active > 0 || queue.length > 0) await new Promise<void>((resolve) => (idle = resolve));
      await inbox.close();
    },
  };
}
