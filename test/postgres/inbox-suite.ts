/**
 * The inbox on one transport: the handler's row and the event's mark commit together or
 * not at all, and an event whose mark is committed is acknowledged without the handler.
 * Run against memory, Kafka and Redis Streams (inbox-*.test.ts), with the real client
 * and a real PostgreSQL, for the per-delivery inbox and for the group-commit one; each
 * test gets its own tables.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient, type EventClient, type Transport } from '../../src/runtime/index.js';
import { createGroupCommitInbox, createPostgresInbox, createPostgresOutbox, type PostgresInbox } from '../../src/runtime/postgres/index.js';
import { orderSystem, randomName, type OrderPlaced } from '../conformance/system.js';
import { waitFor } from '../conformance/wait-for.js';
import { waitFor as waitUntil } from '../redis/server.js';
import { DATABASE_URL, dropTables, query, tablePrefix } from '../e2e/agent-workflows.postgres.js';

const FAST_RETRY = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: false };

export function inboxConformance(name: string, factory: () => Promise<Transport> | Transport, timeoutMs = 20_000, groupCommit = false): void {
  describe(`postgres ${groupCommit ? 'group-commit ' : ''}inbox on ${name}`, () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
    const tables: string[] = [];
    const clients: EventClient[] = [];
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await dropTables(tables);
      await pool.end();
    });

    async function setup(label: string) {
      const prefix = tablePrefix(label);
      const effects = `${prefix}effects`;
      const inboxTable = `${prefix}inbox`;
      tables.push(effects, inboxTable, `${prefix}outbox`);
      await query(`CREATE TABLE ${effects} (event_id text NOT NULL, seq int NOT NULL, attempt int NOT NULL)`);
      const inbox: PostgresInbox<pg.PoolClient> = groupCommit
        ? createGroupCommitInbox<pg.PoolClient>({ pool, table: inboxTable, connections: 2 })
        : createPostgresInbox<pg.PoolClient>({ pool, table: inboxTable });
      const t = orderSystem(randomName('evc-inbox'));
      const transport = await factory();
      const client = createClient(t.system, { transport, inbox, source: 'inbox-test' });
      clients.push(client);
      const count = async (where = 'true') => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM ${effects} WHERE ${where}`))[0]!.n);
      return { prefix, effects, inboxTable, inbox, t, transport, client, count };
    }

    it('the handler writes through ctx.tx: one row and one mark per event, a redelivered duplicate is acked unhandled', async () => {
      const s = await setup('dup');
      const calls: number[] = [];
      await s.client.subscribe(
        s.t.receive,
        async (e: OrderPlaced, ctx) => {
          calls.push(e.data.seq);
          await s.inbox.tx(ctx).query(`INSERT INTO ${s.effects} (event_id, seq, attempt) VALUES ($1, $2, $3)`, [ctx.eventId, e.data.seq, ctx.attempt]);
        },
        { group: randomName('g'), fromBeginning: true },
      );
      const receipts = [];
      for (let seq = 0; seq < 5; seq++) receipts.push(await s.client.publish(s.t.send, { data: { order_id: `o-${seq % 2}`, seq } }));
      await waitFor(() => calls.length === 5, { timeoutMs, what: () => `5 handled, got ${calls.length}` });
      // The same event again, as a broker redelivers it: same bytes, same headers.
      const dupId = receipts[2]!.eventId!;
      const again = {
        event_id: dupId,
        event_type: 'order.placed',
        timestamp: new Date().toISOString(),
        correlation_id: receipts[2]!.correlationId,
        data: { order_id: 'o-0', seq: 2 },
      };
      await s.transport.publish(s.t.address, [{ key: 'o-0', value: JSON.stringify(again), headers: { 'evc-source': 'inbox-test', 'evc-id': dupId } }]);
      await s.client.publish(s.t.send, { data: { order_id: 'o-0', seq: 5 } });
      await waitFor(() => calls.includes(5), { timeoutMs, what: 'the event after the duplicate' });
      // Handled is not yet committed (the group-commit inbox commits after the handler returns).
      await waitUntil(async () => (await s.count()) >= 6, timeoutMs, 'the committed rows');
      expect(calls.sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await s.count()).toBe(6);
      expect(await s.count(`event_id = '${dupId}'`)).toBe(1);
      const marks = await query<{ consumer_group: string; source: string; event_id: string }>(`SELECT consumer_group, source, event_id FROM ${s.inboxTable}`);
      expect(marks).toHaveLength(6);
      expect(marks.filter((m) => m.event_id === dupId)).toEqual([{ consumer_group: expect.any(String), source: 'inbox-test', event_id: dupId }]);
      expect(await s.client.metrics.text()).toMatch(/evc_duplicates_total\{[^}]*\} 1\n/);
    });

    it('a handler error rolls back its write and the mark; the retry commits both once', async () => {
      const s = await setup('err');
      const attempts: number[] = [];
      await s.client.subscribe(
        s.t.receive,
        async (e: OrderPlaced, ctx) => {
          attempts.push(ctx.attempt);
          await s.inbox.tx(ctx).query(`INSERT INTO ${s.effects} (event_id, seq, attempt) VALUES ($1, $2, $3)`, [ctx.eventId, e.data.seq, ctx.attempt]);
          if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails after its write`);
        },
        { group: randomName('g'), fromBeginning: true, retry: FAST_RETRY },
      );
      const r = await s.client.publish(s.t.send, { data: { order_id: 'o-1', seq: 1 } });
      await waitFor(() => attempts.length === 3, { timeoutMs, what: () => `3 attempts, got ${attempts.join(',')}` });
      await waitUntil(async () => (await s.count()) === 1, timeoutMs, 'the committed row');
      expect(await query(`SELECT event_id, seq, attempt FROM ${s.effects}`)).toEqual([{ event_id: r.eventId, seq: 1, attempt: 3 }]);
      expect(Number((await query<{ n: string }>(`SELECT count(*) AS n FROM ${s.inboxTable} WHERE event_id = $1`, [r.eventId]))[0]!.n)).toBe(1);
    });

    it('an event whose mark is already committed (handled, then the process died before the ack) is acked without the handler', async () => {
      const s = await setup('pre');
      const group = randomName('g');
      const preId = randomUUID();
      await s.inbox.init();
      await query(`INSERT INTO ${s.inboxTable} (consumer_group, source, event_id, expires_at) VALUES ($1, 'inbox-test', $2, now() + interval '1 hour')`, [
        group,
        preId,
      ]);
      const calls: number[] = [];
      await s.client.subscribe(
        s.t.receive,
        async (e: OrderPlaced, ctx) => {
          calls.push(e.data.seq);
          await s.inbox.tx(ctx).query(`INSERT INTO ${s.effects} (event_id, seq, attempt) VALUES ($1, $2, 1)`, [ctx.eventId, e.data.seq]);
        },
        { group, fromBeginning: true },
      );
      await s.client.publish(s.t.send, { event_id: preId, data: { order_id: 'o-1', seq: 1 } });
      await s.client.publish(s.t.send, { data: { order_id: 'o-1', seq: 2 } });
      await waitFor(() => calls.includes(2), { timeoutMs, what: 'the event after the handled one' });
      expect(calls).toEqual([2]);
      // The handler ran; its row is there once its transaction committed.
      await waitUntil(async () => (await s.count()) === 1, timeoutMs, 'the committed row');
      expect(await s.count()).toBe(1);
    });

    it('a failed statement whose error the handler swallowed aborts the transaction: not acked as handled, retried', async () => {
      const s = await setup('abort');
      const attempts: number[] = [];
      await s.client.subscribe(
        s.t.receive,
        async (e: OrderPlaced, ctx) => {
          attempts.push(ctx.attempt);
          const tx = s.inbox.tx(ctx);
          await tx.query(`INSERT INTO ${s.effects} (event_id, seq, attempt) VALUES ($1, $2, $3)`, [ctx.eventId, e.data.seq, ctx.attempt]);
          if (ctx.attempt === 1) await tx.query('SELECT * FROM no_such_table_here').catch(() => undefined);
        },
        { group: randomName('g'), fromBeginning: true, retry: FAST_RETRY },
      );
      await s.client.publish(s.t.send, { data: { order_id: 'o-1', seq: 7 } });
      await waitFor(() => attempts.length === 2, { timeoutMs, what: () => `2 attempts, got ${attempts.join(',')}` });
      await waitUntil(async () => (await s.count()) === 1, timeoutMs, 'the committed row');
      expect(await query(`SELECT seq, attempt FROM ${s.effects}`)).toEqual([{ seq: 7, attempt: 2 }]);
    });

    it('ctx.publish in an inbox handler writes to the outbox in the same transaction: a rollback takes the follow-up back too', async () => {
      const s = await setup('follow');
      const outbox = createPostgresOutbox({ pool, table: `${s.prefix}outbox` });
      const client = createClient(s.t.system, { transport: await factory(), inbox: s.inbox, outbox, source: 'inbox-follow' });
      clients.push(client);
      const attempts: number[] = [];
      await client.subscribe(
        s.t.receive,
        async (e: OrderPlaced, ctx) => {
          attempts.push(ctx.attempt);
          if (e.data.note === 'follow-up') return;
          const r = await ctx.publish(s.t.send, { data: { order_id: e.data.order_id, seq: e.data.seq + 100, note: 'follow-up' } });
          expect(r.position).toMatch(/^outbox:\d+$/);
          if (ctx.attempt === 1) throw new Error('first attempt fails after its follow-up');
        },
        { group: randomName('g'), fromBeginning: true, retry: FAST_RETRY },
      );
      await client.publish(s.t.send, { data: { order_id: 'o-1', seq: 1 } });
      await waitFor(() => attempts.length === 2, { timeoutMs, what: () => `2 attempts, got ${attempts.join(',')}` });
      await waitUntil(async () => (await query(`SELECT 1 FROM ${s.prefix}outbox`)).length === 1, timeoutMs, 'one outbox row');
      const rows = await query<{ value: string; headers: Record<string, string> }>(`SELECT value, headers FROM ${s.prefix}outbox`);
      expect(rows).toHaveLength(1);
      const follow = JSON.parse(rows[0]!.value) as OrderPlaced;
      expect(follow.data).toEqual({ order_id: 'o-1', seq: 101, note: 'follow-up' });
      expect(rows[0]!.headers['evc-source']).toBe('inbox-follow');
      expect(rows[0]!.headers['evc-causation-id']).toBe(follow.causation_id);
    });
  });
}
