/**
 * The outbox relay: sends committed outbox rows to the broker and marks them sent.
 *
 * One pass: in a transaction, take up to `batchSize` unsent rows in id order with
 * `FOR UPDATE SKIP LOCKED` and mark them sent in the same statement (`UPDATE ... WHERE id
 * IN (SELECT ...) RETURNING`, sent with BEGIN in one round trip), publish them (grouped by
 * channel, in order), commit. The mark is part of the transaction, so it counts only if
 * the publish succeeded and the COMMIT went through; a failed publish rolls it back. Every row read in a pass also takes a transaction-scoped advisory lock on its
 * key (rows without a key: on their id), and a row whose key another relay holds is
 * skipped, so several relays (processes) share the work without sending a row twice and
 * without two of them sending one key's rows out of order.
 *
 * A failed publish rolls back (the rows stay unsent) and the pass is tried again after a
 * growing delay (broker restarts need no restart here). A relay that dies between the
 * broker's acknowledgement and its COMMIT sends those rows again: at least once, with the
 * same event ids, which consumers' dedupe or inbox recognise.
 */
import { errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { LocalCounter, prometheusText, type Collector, type MetricValue } from '../metric-series.js';
import type { Transport, WireMessage } from '../transport.js';
import type { PostgresOutbox } from './outbox.js';
import type { PgPoolClient } from './pg.js';

export interface OutboxRelayOptions {
  outbox: PostgresOutbox;
  /** Where the rows go. Connected by the relay; not closed by it. */
  transport: Transport;
  /** Rows per pass. Default 1000. */
  batchSize?: number;
  /** Wait after a pass that found no row (ms). Default 20. */
  pollIntervalMs?: number;
  /**
   * Wait after a pass that sent some rows but fewer than batchSize (ms): rows are arriving,
   * so the next pass comes sooner than an idle poll. Default 2 (at most pollIntervalMs).
   */
  busyPollIntervalMs?: number;
  /** Longest wait after failed passes (ms; the delay doubles from 100). Default 5000. */
  maxBackoffMs?: number;
  /** Delete sent rows older than this (ms), checked once a minute; false keeps them (e.g. the outbox is also an event store). Default 86 400 000. */
  retainSentMs?: number | false;
  /** How often the lag gauges are refreshed (ms). Default 1000. */
  lagIntervalMs?: number;
  logger?: Logger;
  /** Metric name prefix. Default `evc_`. */
  metricsPrefix?: string;
  /**
   * Commit the "sent" marks without waiting for PostgreSQL's WAL flush (`SET LOCAL
   * synchronous_commit = off` in the relay's own transaction; your services' transactions
   * are untouched). A PostgreSQL crash can then forget the marks of the last moments
   * (up to three times wal_writer_delay) and those rows are sent again: the same
   * at-least-once case as a relay killed between the broker's ack and its COMMIT, which
   * consumers' dedupe or inbox absorb. A pass then does not wait for a disk flush. Default
   * true; false waits for the flush.
   */
  asyncMarks?: boolean;
}

export interface OutboxRelayStats {
  sent: number;
  passes: number;
  failures: number;
  /** Last measured: unsent rows and the age of the oldest (ms). */
  lagRows: number;
  lagOldestMs: number;
}

export interface OutboxRelay {
  stats(): OutboxRelayStats;
  /**
   * `evc_outbox_sent_total`, `evc_outbox_lag_rows` and `evc_outbox_oldest_unsent_seconds`
   * (gauges, `{table}`): for the prom-client bridge or `metricsText()`.
   */
  readonly collectors: readonly Collector[];
  metricsText(): string;
  /** Resolves once no committed row is left unsent (a pass found none), or rejects after `timeoutMs`. */
  drained(timeoutMs?: number): Promise<void>;
  /** Finishes the pass under way and stops. */
  stop(): Promise<void>;
}

class Gauge implements Collector {
  readonly type = 'gauge' as const;
  value = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labels: Record<string, string>,
  ) {}
  values(): MetricValue[] {
    return [{ labels: this.labels, value: this.value }];
  }
  reset(): void {
    this.value = 0;
  }
}

interface Row {
  id: string;
  channel: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/**
 * @example
 * const relay = startOutboxRelay({ outbox, transport });
 * http.get('/metrics', () => relay.metricsText());
 * process.on('SIGTERM', () => relay.stop());
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { outbox, transport } = options;
  const table = outbox.table;
  const pool = outbox.pool;
  // An integer: it is written into the claim statement.
  const batchSize = Number.isFinite(options.batchSize) ? Math.max(1, Math.floor(options.batchSize!)) : 1000;
  const pollMs = Math.max(1, options.pollIntervalMs ?? 20);
  const busyPollMs = Math.min(pollMs, Math.max(0, options.busyPollIntervalMs ?? 2));
  const maxBackoff = options.maxBackoffMs ?? 5000;
  const retain = options.retainSentMs ?? 86_400_000;
  const lagEvery = options.lagIntervalMs ?? 1000;
  const logger = options.logger ?? silentLogger;
  const p = options.metricsPrefix ?? 'evc_';
  const labels = { table };
  const sentCounter = new LocalCounter(`${p}outbox_sent_total`, 'Outbox rows sent to the broker');
  const sentSeries = sentCounter.bind(labels);
  const lagRows = new Gauge(`${p}outbox_lag_rows`, 'Committed outbox rows not sent yet', labels);
  const lagAge = new Gauge(`${p}outbox_oldest_unsent_seconds`, 'Age of the oldest unsent outbox row', labels);
  const collectors: readonly Collector[] = [sentCounter, lagRows, lagAge];
  const stats: OutboxRelayStats = { sent: 0, passes: 0, failures: 0, lagRows: 0, lagOldestMs: 0 };

  const lockSpace = `hashtext('evc-outbox-relay:${table}')`;
  // Select, lock and mark in one statement, after BEGIN in the same simple query (batchSize is
  // our integer, the table a checked name): one round trip, and no id list sent back. Profiled
  // (20k rows to Redis, load average ~10, 3 alternating runs): 8.3-14.7k rows/s against
  // 7.7-10.5k for SELECT, then UPDATE ... WHERE id = ANY($1) after the publish.
  const asyncMarks = options.asyncMarks ?? true;
  const claim = `BEGIN;${asyncMarks ? ' SET LOCAL synchronous_commit = off;' : ''} UPDATE ${table} SET sent_at = now() WHERE id IN (
    SELECT o.id FROM ${table} AS o
    WHERE o.sent_at IS NULL AND pg_try_advisory_xact_lock(${lockSpace}, hashtext(coalesce(o.key, 'id:' || o.id::text)))
    ORDER BY o.id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
  RETURNING id::text AS id, channel, key, value, headers`;
  /** RETURNING follows no order: back to id order (ids are decimal bigint text without leading zeros). */
  const byId = (a: Row, b: Row): number => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  let stopping = false;
  let wake: (() => void) | undefined;
  const drainWaiters = new Set<() => void>();
  let lastLag = 0;
  let lastRetention = Date.now();

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  /**
   * Keys of the claim that still have an unsent row below the claim's first row of that
   * key. The claim holds each key's advisory lock, so no other relay is sending those rows:
   * sending this claim's rows first would break the key's order.
   */
  async function jumpedKeys(c: PgPoolClient, rows: readonly Row[]): Promise<Set<string>> {
    const first = new Map<string, string>();
    for (const r of rows) if (r.key !== null && !first.has(r.key)) first.set(r.key, r.id);
    if (first.size === 0) return new Set();
    const found = (await c.query(
      `SELECT c.key FROM unnest($1::text[], $2::bigint[]) AS c(key, first_id)
       WHERE EXISTS (SELECT 1 FROM ${table} AS o WHERE o.key = c.key AND o.sent_at IS NULL AND o.id < c.first_id)`,
      [[...first.keys()], [...first.values()]],
    )) as unknown as { rows: { key: string }[] };
    return new Set(found.rows.map((r) => r.key));
  }

  /** Set when a pass gave rows back: the table is not drained even if the pass sent none. */
  let pending = false;

  /** One pass; resolves how many rows it sent. */
  async function pass(): Promise<number> {
    const c: PgPoolClient = await pool.connect();
    let broken = false;
    try {
      const results = (await c.query(claim)) as unknown as { rows: Row[] }[];
      let rows = results[results.length - 1]!.rows.sort(byId);
      const jumped = await jumpedKeys(c, rows);
      if (jumped.size > 0) {
        // Another relay committed while this claim was scanning: its advisory lock on a key
        // came free mid-scan, so the claim took that key's later rows while earlier ones
        // stay unsent. Give those keys back; the next pass starts at their lowest row.
        const back = rows.filter((r) => r.key !== null && jumped.has(r.key));
        await c.query(`UPDATE ${table} SET sent_at = NULL WHERE id = ANY($1::bigint[])`, [back.map((r) => r.id)]);
        rows = rows.filter((r) => r.key === null || !jumped.has(r.key));
        pending = true;
      }
      if (rows.length === 0) {
        await c.query('COMMIT');
        return 0;
      }
      // Grouped by channel in row order; channels are sent side by side (a key's rows share its channel's order).
      const byChannel = new Map<string, WireMessage[]>();
      for (const r of rows) {
        let list = byChannel.get(r.channel);
        if (!list) byChannel.set(r.channel, (list = []));
        list.push({ key: r.key ?? undefined, value: r.value, headers: r.headers });
      }
      await Promise.all([...byChannel].map(([channel, messages]) => transport.publish(channel, messages)));
      await c.query('COMMIT');
      return rows.length;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      c.release(broken);
    }
  }

  async function housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - lastLag >= lagEvery) {
      lastLag = now;
      const lag = await outbox.lag();
      stats.lagRows = lagRows.value = lag.rows;
      stats.lagOldestMs = lag.oldestAgeMs;
      lagAge.value = lag.oldestAgeMs / 1000;
    }
    if (retain !== false && now - lastRetention >= 60_000) {
      lastRetention = now;
      await pool.query(`DELETE FROM ${table} WHERE sent_at < now() - $1 * interval '1 millisecond'`, [retain]);
    }
  }

  const loop = (async () => {
    let backoff = 0;
    await transport.connect();
    await outbox.init();
    while (!stopping) {
      try {
        const n = await pass();
        stats.passes++;
        stats.sent += n;
        sentSeries.value += n;
        backoff = 0;
        if (n === 0 && !pending) for (const w of drainWaiters) w();
        pending = false;
        await housekeeping().catch((err) => logger.warn('outbox relay: lag or retention query failed', { table, error: errorMessage(err) }));
        // A full batch: more rows are waiting. Some rows: more are arriving (traffic), look again soon. None: idle poll.
        if (n < batchSize && !stopping) await pause(n > 0 ? busyPollMs : pollMs);
      } catch (err) {
        stats.failures++;
        backoff = Math.min(backoff ? backoff * 2 : 100, maxBackoff);
        logger.warn('outbox relay: pass failed, rows stay unsent; retrying', { table, error: errorMessage(err), retryInMs: backoff });
        if (!stopping) await pause(backoff);
      }
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    stats: () => ({ ...stats }),
    collectors,
    metricsText: () => prometheusText(collectors),
    drained(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        // Two empty passes: the second started after this call, so every row committed before it was sent.
        let passesToWait = 2;
        const check = () => {
          if (--passesToWait > 0) return;
          clearTimeout(timer);
          drainWaiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          drainWaiters.delete(check);
          reject(new Error(`outbox relay (${table}): not drained after ${timeoutMs} ms (${stats.lagRows} rows unsent at the last count)`));
        }, timeoutMs);
        drainWaiters.add(check);
        wake?.();
      });
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake?.();
        await loop;
      })();
      return stopped;
    },
  };
}
