/**
 * The transactional outbox and its relay, on the in-memory transport (the relay is the
 * same code on every transport; the fault tests run it against Kafka and Redis).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createMemoryTransport, isConfigurationError, isValidationError, type Delivery, type Transport } from '../../src/runtime/index.js';
import { createPostgresOutbox, startOutboxRelay, type OutboxRelay } from '../../src/runtime/postgres/index.js';
import { orderSystem, randomName, type OrderPlaced } from '../conformance/system.js';
import { waitFor } from '../conformance/wait-for.js';
import { DATABASE_URL, dropTables, postgresAvailable, query, tablePrefix } from '../e2e/agent-workflows.postgres.js';
import { spyTransport } from '../runtime/helpers.js';
import { recordingPool } from './recording-pool.js';

const available = await postgresAvailable();

describe.skipIf(!available)('postgres outbox and relay', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 12 });
  const tables: string[] = [];
  const relays: OutboxRelay[] = [];
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await dropTables(tables);
    await pool.end();
  });

  function setup(label: string, transport: Transport = createMemoryTransport()) {
    const table = `${tablePrefix(label)}outbox`;
    tables.push(table);
    const outbox = createPostgresOutbox({ pool, table });
    const t = orderSystem(randomName('evc-outbox'));
    const client = createClient(t.system, { transport, outbox, source: 'outbox-test' });
    const relay = (o: { batchSize?: number } = {}) => {
      const r = startOutboxRelay({ outbox, transport, pollIntervalMs: 10, ...o });
      relays.push(r);
      return r;
    };
    const received: Delivery[] = [];
    const listen = () =>
      transport.subscribe({ group: randomName('g'), channels: [t.address], fromBeginning: true, handler: async (d) => void received.push(d) });
    return { table, outbox, t, client, relay, received, listen, transport };
  }

  async function inTx<T>(fn: (tx: pg.PoolClient) => Promise<T>, commit = true): Promise<T> {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      const r = await fn(tx);
      await tx.query(commit ? 'COMMIT' : 'ROLLBACK');
      return r;
    } catch (e) {
      await tx.query('ROLLBACK');
      throw e;
    } finally {
      tx.release();
    }
  }

  it('publish with { tx }: nothing is sent on rollback; on commit the relay sends the event as a normal publish would have', async () => {
    const s = setup('basic');
    await s.listen();
    await inTx((tx) => s.client.publish(s.t.send, { data: { order_id: 'o-1', seq: 1, note: 'rolled back' } }, { tx }), false);
    const receipt = await inTx((tx) =>
      s.client.publish(s.t.send, { data: { order_id: 'o-1', seq: 2 } }, { tx, correlationId: 'c-1', headers: { 'x-extra': 'yes' } }),
    );
    expect(receipt.position).toMatch(/^outbox:\d+$/);
    expect(receipt.channel).toBe(s.t.address);
    expect(s.received).toHaveLength(0);
    const relay = s.relay();
    await waitFor(() => s.received.length === 1, { timeoutMs: 10_000, what: 'the committed event' });
    await relay.drained();
    expect(s.received).toHaveLength(1);
    const d = s.received[0]!;
    const event = JSON.parse(String(d.value)) as OrderPlaced;
    expect(event).toMatchObject({ event_id: receipt.eventId, event_type: 'order.placed', correlation_id: 'c-1', data: { order_id: 'o-1', seq: 2 } });
    expect(d.key).toBe('o-1');
    expect(d.headers).toEqual({
      'content-type': 'application/json',
      'evc-message': 'orderPlaced',
      'evc-published-at': expect.stringMatching(/^\d+(\.\d+)?$/),
      'evc-source': 'outbox-test',
      'evc-id': receipt.eventId,
      'evc-type': 'order.placed',
      'evc-correlation-id': 'c-1',
      'x-extra': 'yes',
    });
    expect(await query(`SELECT count(*)::int AS n FROM ${s.table} WHERE sent_at IS NOT NULL`)).toEqual([{ n: 1 }]);
  });

  it('an invalid payload throws ValidationError before anything is written; without ClientOptions.outbox, { tx } is a ConfigurationError', async () => {
    const s = setup('invalid');
    await s.outbox.init();
    const err = await inTx((tx) => s.client.publish(s.t.send, { data: { order_id: '', seq: -1 } }, { tx }).catch((e: unknown) => e));
    expect(isValidationError(err)).toBe(true);
    expect(await query(`SELECT count(*)::int AS n FROM ${s.table}`)).toEqual([{ n: 0 }]);
    const plain = createClient(s.t.system, { transport: createMemoryTransport() });
    const err2 = await inTx((tx) => plain.publish(s.t.send, { data: { order_id: 'o', seq: 1 } }, { tx }).catch((e: unknown) => e));
    expect(isConfigurationError(err2)).toBe(true);
    expect(String(err2)).toContain('publish with { tx } needs ClientOptions.outbox');
    await plain.close();
  });

  it('publishBatch with { tx } writes every event in order, one row each', async () => {
    const s = setup('batch');
    await s.listen();
    const receipts = await inTx((tx) =>
      s.client.publishBatch(
        s.t.send,
        Array.from({ length: 5 }, (_, seq) => ({ data: { order_id: `o-${seq % 2}`, seq } })),
        { tx },
      ),
    );
    const ids = receipts.map((r) => Number(r.position.slice('outbox:'.length)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    s.relay();
    await waitFor(() => s.received.length === 5, { timeoutMs: 10_000, what: () => `5 events, got ${s.received.length}` });
    const seqsOf = (key: string) => s.received.filter((d) => d.key === key).map((d) => (JSON.parse(String(d.value)) as OrderPlaced).data.seq);
    expect([seqsOf('o-0'), seqsOf('o-1')]).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
  });

  it('rows of one key are sent in commit order even when a later transaction wrote first', async () => {
    const s = setup('order');
    await s.outbox.init();
    const committed = new Map<string, number[]>();
    // 12 transactions over 2 keys, each committing after a random pause: the advisory lock
    // on the key makes a second writer of the key wait until the first commits.
    await Promise.all(
      Array.from({ length: 12 }, (_, w) =>
        inTx(async (tx) => {
          const key = `k-${w % 2}`;
          await s.client.publish(s.t.send, { data: { order_id: key, seq: w } }, { tx });
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 30));
        }).then(() => {
          const key = `k-${w % 2}`;
          committed.set(key, [...(committed.get(key) ?? []), w]);
        }),
      ),
    );
    await s.listen();
    s.relay({ batchSize: 5 });
    await waitFor(() => s.received.length === 12, { timeoutMs: 10_000, what: () => `12 events, got ${s.received.length}` });
    const sent = new Map<string, number[]>();
    for (const d of s.received) {
      const e = JSON.parse(String(d.value)) as OrderPlaced;
      sent.set(e.data.order_id, [...(sent.get(e.data.order_id) ?? []), e.data.seq]);
    }
    expect(Object.fromEntries(sent)).toEqual(Object.fromEntries(committed));
  });

  it('two relays share the rows: each row is sent once and each key stays in order', async () => {
    const s = setup('two');
    const total = 2000;
    await inTx(async (tx) => {
      for (let i = 0; i < total; i += 500) {
        await s.client.publishBatch(
          s.t.send,
          Array.from({ length: 500 }, (_, j) => ({ data: { order_id: `k-${(i + j) % 17}`, seq: i + j } })),
          { tx },
        );
      }
    });
    await s.listen();
    const a = s.relay({ batchSize: 50 });
    const b = s.relay({ batchSize: 50 });
    await waitFor(() => s.received.length >= total, { timeoutMs: 30_000, what: () => `${total} events, got ${s.received.length}` });
    await Promise.all([a.drained(), b.drained()]);
    const seqs = s.received.map((d) => (JSON.parse(String(d.value)) as OrderPlaced).data.seq);
    expect(new Set(seqs).size).toBe(total);
    expect(seqs).toHaveLength(total);
    expect(a.stats().sent + b.stats().sent).toBe(total);
    const perKey = new Map<string, number[]>();
    for (const d of s.received) {
      const e = JSON.parse(String(d.value)) as OrderPlaced;
      perKey.set(e.data.order_id, [...(perKey.get(e.data.order_id) ?? []), e.data.seq]);
    }
    for (const list of perKey.values()) expect(list).toEqual([...list].sort((x, y) => x - y));
    console.info(`[outbox] two relays: ${a.stats().sent} + ${b.stats().sent} = ${total} rows, each delivered once`);
  });

  it.each([
    [undefined, true],
    [false, false],
  ])(
    'asyncMarks %s: the relay marks rows sent with synchronous_commit off only in its own transaction (%s), and sends each row once',
    async (asyncMarks, off) => {
      // A pool of its own whose clients record what they are asked, for the relay's claim statement.
      const own = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
      const { pool: recording, sent: texts } = recordingPool(own, false);
      try {
        const s = setup(`marks_${off ? 'async' : 'sync'}`);
        await s.listen();
        await inTx((tx) =>
          s.client.publishBatch(
            s.t.send,
            [0, 1, 2, 3].map((seq) => ({ data: { order_id: `o-${seq % 2}`, seq } })),
            { tx },
          ),
        );
        const relayOutbox = createPostgresOutbox({ pool: recording, table: s.table });
        const relay = startOutboxRelay({
          outbox: relayOutbox,
          transport: s.transport,
          pollIntervalMs: 10,
          ...(asyncMarks === undefined ? {} : { asyncMarks }),
        });
        relays.push(relay);
        await waitFor(() => s.received.length === 4, { timeoutMs: 15_000, what: () => `4 events, got ${s.received.length}` });
        await relay.drained();
        await relay.stop();
        expect((await s.outbox.lag()).rows).toBe(0);
        expect(relay.stats().sent).toBe(4);
        const claims = texts.filter((t) => t.startsWith('BEGIN;'));
        expect(claims.length).toBeGreaterThan(0);
        for (const c of claims) expect(c.includes('SET LOCAL synchronous_commit = off;')).toBe(off);
        // The services' own transactions are untouched: the setting is local to the relay's.
        expect(String((await pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit)).toBe('on');
      } finally {
        await own.end();
      }
    },
  );

  it('a failing broker: the pass rolls back, is retried, and every row is sent once', async () => {
    const spy = spyTransport();
    const s = setup('fail', spy);
    await s.listen();
    await inTx((tx) =>
      s.client.publishBatch(
        s.t.send,
        [0, 1, 2].map((seq) => ({ data: { order_id: 'o', seq } })),
        { tx },
      ),
    );
    spy.failNext(s.t.address, 3);
    const relay = s.relay();
    await waitFor(() => s.received.length === 3, { timeoutMs: 15_000, what: () => `3 events, got ${s.received.length}` });
    await relay.drained();
    expect(relay.stats().failures).toBe(3);
    expect(s.received.map((d) => (JSON.parse(String(d.value)) as OrderPlaced).data.seq)).toEqual([0, 1, 2]);
  });

  it('lag: unsent rows and the age of the oldest, as numbers and as metrics', async () => {
    const s = setup('lag');
    await inTx((tx) =>
      s.client.publishBatch(
        s.t.send,
        [0, 1, 2, 3].map((seq) => ({ data: { order_id: 'o', seq } })),
        { tx },
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const before = await s.outbox.lag();
    expect(before.rows).toBe(4);
    expect(before.oldestAgeMs).toBeGreaterThanOrEqual(40);
    const relay = startOutboxRelay({ outbox: s.outbox, transport: s.transport, pollIntervalMs: 10, lagIntervalMs: 10 });
    relays.push(relay);
    await relay.drained();
    await waitFor(() => relay.stats().lagRows === 0 && relay.stats().sent === 4, { timeoutMs: 5_000, what: () => JSON.stringify(relay.stats()) });
    expect(await s.outbox.lag()).toEqual({ rows: 0, oldestAgeMs: 0 });
    const text = relay.metricsText();
    expect(text).toContain(`evc_outbox_sent_total{table="${s.table}"} 4\n`);
    expect(text).toContain(`evc_outbox_lag_rows{table="${s.table}"} 0\n`);
    expect(text).toContain(`# TYPE evc_outbox_oldest_unsent_seconds gauge\nevc_outbox_oldest_unsent_seconds{table="${s.table}"} 0\n`);
  });
});
