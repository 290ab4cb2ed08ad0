/**
 * The DB writer's group-commit inbox against a real PostgreSQL: deliveries that wait
 * while a transaction is busy share the next one, each in its own savepoint, with the
 * runtime inbox's outcomes per delivery. Skipped with the reason printed when PostgreSQL
 * does not answer, failed in CI.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresInbox, TransactionAbortedError } from '../../src/runtime/postgres/index.js';
import { createGroupCommitInbox, deferToCommit, type GroupCommitInbox } from '../../src/flows/agent-workflows/group-commit-inbox.js';
import { DATABASE_URL, dropTables, postgresAvailable, query, tablePrefix } from './agent-workflows.postgres.js';

const available = await postgresAvailable();

describe.skipIf(!available)('agent-workflows group-commit inbox on PostgreSQL', () => {
  const prefix = tablePrefix('gc');
  const rows = `${prefix}rows`;
  const table = `${prefix}inbox`;
  const log = `${prefix}log`;
  let pool: pg.Pool;
  /** One transaction at a time: which deliveries share one is then known. */
  let inbox: GroupCommitInbox;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
    inbox = createGroupCommitInbox({ pool, inbox: createPostgresInbox({ pool, table }), connections: 1 });
    await inbox.init();
    await query(`CREATE TABLE ${rows} (id text PRIMARY KEY)`);
    await query(`CREATE TABLE ${log} (n serial PRIMARY KEY, key text NOT NULL, id text NOT NULL)`);
  });

  afterAll(async () => {
    await inbox?.close();
    await pool?.end();
    await dropTables([rows, table, log]);
  });

  const mark = (id: string) => ({ group: 'g', source: 's', id, ttlMs: 60_000 });
  const insert = (id: string) => async (tx: { query: pg.Pool['query'] }) => {
    await tx.query(`INSERT INTO ${rows} (id) VALUES ($1)`, [id]);
  };
  const has = async (id: string) => ({
    row: (await query(`SELECT 1 FROM ${rows} WHERE id = $1`, [id])).length,
    mark: (await query(`SELECT 1 FROM ${table} WHERE event_id = $1`, [id])).length,
  });

  /** Holds the first delivery's transaction open until `release()`, so the next ones queue up and share one. */
  function holdFirst(): { run: Promise<unknown>; release(): void; id: string } {
    const id = randomUUID();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const run = inbox.run(mark(id), async (tx) => {
      await gate;
      await insert(id)(tx as never);
    });
    return { run, release, id };
  }

  it('commits deliveries that waited together, one row and one mark each, in fewer transactions than deliveries', async () => {
    const before = { ...inbox.stats };
    const first = holdFirst();
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const runs = ids.map((id) => inbox.run(mark(id), insert(id) as never));
    first.release();
    expect(await Promise.all([first.run, ...runs])).toEqual(Array.from({ length: 21 }, () => 'handled'));
    for (const id of [first.id, ...ids]) expect(await has(id)).toEqual({ row: 1, mark: 1 });
    expect(inbox.stats.deliveries - before.deliveries).toBe(21);
    expect(inbox.stats.transactions - before.transactions).toBe(2);
  });

  it('answers duplicate for a mark committed before, without calling the handler', async () => {
    const id = randomUUID();
    expect(await inbox.run(mark(id), insert(id) as never)).toBe('handled');
    let called = 0;
    expect(
      await inbox.run(mark(id), () => {
        called++;
      }),
    ).toBe('duplicate');
    expect(called).toBe(0);
    expect(await has(id)).toEqual({ row: 1, mark: 1 });
  });

  it('a handler that throws is rolled back alone (its row and its mark); the others in its transaction commit', async () => {
    const first = holdFirst();
    const [a, bad, c] = [randomUUID(), randomUUID(), randomUUID()];
    const ra = inbox.run(mark(a), insert(a) as never);
    const rbad = inbox.run(mark(bad), async (tx) => {
      await insert(bad)(tx as never);
      throw new Error('handler failed');
    });
    const rc = inbox.run(mark(c), insert(c) as never);
    first.release();
    await expect(rbad).rejects.toThrow('handler failed');
    expect(await Promise.all([first.run, ra, rc])).toEqual(['handled', 'handled', 'handled']);
    expect(await has(bad)).toEqual({ row: 0, mark: 0 });
    expect(await has(a)).toEqual({ row: 1, mark: 1 });
    expect(await has(c)).toEqual({ row: 1, mark: 1 });
    // Retried later (as the pipeline does), it is handled.
    expect(await inbox.run(mark(bad), insert(bad) as never)).toBe('handled');
    expect(await has(bad)).toEqual({ row: 1, mark: 1 });
  });

  it.each(['in the middle', 'last'])(
    'a handler that swallows a failed statement (%s) is rejected with TransactionAbortedError; the others commit',
    async (where) => {
      const first = holdFirst();
      const [a, bad, c] = [randomUUID(), randomUUID(), randomUUID()];
      const ra = inbox.run(mark(a), insert(a) as never);
      const rbad = inbox.run(mark(bad), async (tx) => {
        await insert(bad)(tx as never);
        await tx.query('SELECT * FROM no_such_table_at_all').catch(() => undefined);
      });
      const rc = where === 'last' ? undefined : inbox.run(mark(c), insert(c) as never);
      first.release();
      await expect(rbad).rejects.toBeInstanceOf(TransactionAbortedError);
      expect(await Promise.all([first.run, ra, ...(rc ? [rc] : [])])).toEqual(rc ? ['handled', 'handled', 'handled'] : ['handled', 'handled']);
      expect(await has(bad)).toEqual({ row: 0, mark: 0 });
      expect(await has(a)).toEqual({ row: 1, mark: 1 });
      if (rc) expect(await has(c)).toEqual({ row: 1, mark: 1 });
    },
  );

  it('runs deferred statements before COMMIT in key order, only for deliveries that stay in the transaction', async () => {
    const first = holdFirst();
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const keys = ['k3', 'k1', 'k2', 'k0'];
    const defer =
      (i: number, fail = false) =>
      async (tx: Parameters<typeof deferToCommit>[0]) => {
        expect(deferToCommit(tx, keys[i]!, `INSERT INTO ${log} (key, id) VALUES ('${keys[i]}', '${ids[i]}')`)).toBe(true);
        if (fail) throw new Error('after deferring');
      };
    const runs = [
      inbox.run(mark(ids[0]!), defer(0)),
      inbox.run(mark(ids[1]!), defer(1)),
      inbox.run(mark(ids[2]!), defer(2, true)),
      inbox.run(mark(ids[3]!), defer(3)),
    ];
    first.release();
    const outcomes = await Promise.allSettled(runs);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const logged = await query<{ key: string; id: string }>(`SELECT key, id FROM ${log} WHERE id = ANY($1) ORDER BY n`, [ids]);
    expect(logged.map((r) => r.key)).toEqual(['k0', 'k1', 'k3']);
    // Outside a group-commit transaction nothing is deferred.
    expect(deferToCommit({ query: pool.query.bind(pool) } as never, 'k', 'SELECT 1')).toBe(false);
  });

  it('transactions side by side (connections > 1) each take their deferred row locks in key order: opposite orders do not deadlock', async () => {
    const lanes = createGroupCommitInbox({ pool, inbox: createPostgresInbox({ pool, table }), connections: 2 });
    await query(`INSERT INTO ${rows} (id) VALUES ('row-a'), ('row-b') ON CONFLICT DO NOTHING`);
    const touch = (order: string[]) => async (tx: Parameters<typeof deferToCommit>[0]) => {
      for (const id of order) deferToCommit(tx, id, `UPDATE ${rows} SET id = id WHERE id = '${id}'`);
      // Hold the transaction a moment so that both are open at once.
      await tx.query('SELECT pg_sleep(0.05)');
    };
    const runs = Array.from({ length: 10 }, (_, i) => lanes.run(mark(randomUUID()), touch(i % 2 ? ['row-a', 'row-b'] : ['row-b', 'row-a'])));
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 10 }, () => 'handled'));
    await lanes.close();
  });
});
