/**
 * The group-commit inbox (createGroupCommitInbox) against a real PostgreSQL: deliveries
 * that arrive while every transaction is busy join one (or share the next), with the
 * per-delivery inbox's outcomes per delivery; in both modes: without savepoints (the
 * default: a failure rolls the transaction back and the others run again) and with a
 * savepoint per delivery. (inbox-*.test.ts also run it
 * through the client on each transport.) Skipped with the reason printed when PostgreSQL
 * does not answer, failed in CI.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isConfigurationError } from '../../src/runtime/index.js';
import { createGroupCommitInbox, deferToCommit, inGroupCommit, TransactionAbortedError, type GroupCommitInbox } from '../../src/runtime/postgres/index.js';
import { gate } from '../conformance/wait-for.js';
import { recordingPool } from './recording-pool.js';
import { DATABASE_URL, dropTables, postgresAvailable, query, tablePrefix } from '../e2e/agent-workflows.postgres.js';

const available = await postgresAvailable();

describe.skipIf(!available).each([{ savepoints: true }, { savepoints: false }])('postgres group-commit inbox (%o)', ({ savepoints }) => {
  /** The default mode: no savepoints, a failure rolls the whole transaction back and the others run again. */
  const whole = !savepoints;
  /** A test of one mode only (how deliveries join and fail differs); not registered in the other. */
  const onlyWith = (mode: boolean, name: string, fn: () => Promise<void>) => {
    if (savepoints === mode) it(name, fn);
  };
  const prefix = tablePrefix('gc');
  const rows = `${prefix}rows`;
  const table = `${prefix}inbox`;
  const log = `${prefix}log`;
  const deferred = `${prefix}deferred`;
  let pool: pg.Pool;
  /** One transaction at a time: which deliveries share one is then known. */
  let inbox: GroupCommitInbox;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
    inbox = createGroupCommitInbox({ pool, table, connections: 1, savepoints });
    await inbox.init();
    await query(`CREATE TABLE ${rows} (id text PRIMARY KEY)`);
    await query(`CREATE TABLE ${log} (n serial PRIMARY KEY, key text NOT NULL, id text NOT NULL)`);
    // Checked at COMMIT: two rows with one id in one transaction make the COMMIT fail.
    await query(`CREATE TABLE ${deferred} (id text NOT NULL, CONSTRAINT ${deferred}_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`);
  });

  afterAll(async () => {
    await inbox?.close();
    await pool?.end();
    await dropTables([rows, table, log, deferred]);
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
    // With savepoints the held transaction (a lone delivery, begun without one) takes no
    // more: the 20 share the next. Without, they join the held one.
    expect(inbox.stats.transactions - before.transactions).toBe(whole ? 1 : 2);
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

  it('the same event twice in one transaction: the first is handled, the second finds its mark (duplicate, handler not called)', async () => {
    const first = holdFirst();
    const id = randomUUID();
    let calls = 0;
    const once = async (tx: { query: pg.Pool['query'] }) => {
      calls++;
      await insert(id)(tx);
    };
    const runs = [inbox.run(mark(id), once as never), inbox.run(mark(id), once as never)];
    const before = inbox.stats.transactions;
    first.release();
    expect(await Promise.all([first.run, ...runs])).toEqual(['handled', 'handled', 'duplicate']);
    expect(inbox.stats.transactions - before).toBe(whole ? 1 : 2);
    expect(calls).toBe(1);
    expect(await has(id)).toEqual({ row: 1, mark: 1 });
  });

  it('the same event twice in one transaction, the first attempt throwing: its mark is rolled back, so the second handles it', async () => {
    const first = holdFirst();
    const id = randomUUID();
    const bad = inbox.run(mark(id), async (tx) => {
      await insert(id)(tx as never);
      throw new Error('first attempt fails');
    });
    const good = inbox.run(mark(id), insert(id) as never);
    first.release();
    await expect(bad).rejects.toThrow('first attempt fails');
    expect(await Promise.all([first.run, good])).toEqual(['handled', 'handled']);
    expect(await has(id)).toEqual({ row: 1, mark: 1 });
  });

  it('a failed COMMIT rejects every attempt in the transaction, duplicates included; none of their marks or rows stay', async () => {
    const done = randomUUID();
    expect(await inbox.run(mark(done), insert(done) as never)).toBe('handled');
    const first = holdFirst();
    const [a, b] = [randomUUID(), randomUUID()];
    const same = randomUUID();
    // Both write the same id into a table whose unique constraint is checked at COMMIT.
    const clash = (id: string) => async (tx: { query: pg.Pool['query'] }) => {
      await insert(id)(tx);
      await tx.query(`INSERT INTO ${deferred} (id) VALUES ($1)`, [same]);
    };
    const runs = [inbox.run(mark(a), clash(a) as never), inbox.run(mark(done), insert(done) as never), inbox.run(mark(b), clash(b) as never)];
    // Settled as they come: they reject while the held delivery is awaited below.
    const settled = Promise.allSettled(runs);
    first.release();
    // Without savepoints the three joined the held delivery's transaction: its COMMIT fails too.
    if (whole) await expect(first.run).rejects.toMatchObject({ code: '23505' });
    else expect(await first.run).toBe('handled');
    expect(await has(first.id)).toEqual(whole ? { row: 0, mark: 0 } : { row: 1, mark: 1 });
    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
    expect(await has(a)).toEqual({ row: 0, mark: 0 });
    expect(await has(b)).toEqual({ row: 0, mark: 0 });
    expect(await has(done)).toEqual({ row: 1, mark: 1 });
    // The connection went back to the pool usable: the next delivery commits.
    const after = randomUUID();
    expect(await inbox.run(mark(after), insert(after) as never)).toBe('handled');
  });

  it('an event without an id runs in the shared transaction with no mark', async () => {
    const first = holdFirst();
    const id = randomUUID();
    const run = inbox.run({ group: 'g', source: 's', id: undefined, ttlMs: 60_000 }, insert(id) as never);
    first.release();
    expect(await Promise.all([first.run, run])).toEqual(['handled', 'handled']);
    expect(await has(id)).toEqual({ row: 1, mark: 0 });
  });

  it('inGroupCommit and tx(ctx): true in a handler, false outside; tx throws without ctx.tx', async () => {
    let inside: boolean | undefined;
    await inbox.run(mark(randomUUID()), (tx) => {
      inside = inGroupCommit(tx);
    });
    expect(inside).toBe(true);
    expect(inGroupCommit({ query: pool.query.bind(pool) } as never)).toBe(false);
    expect(() => inbox.tx({} as never)).toThrow(/ctx\.tx is set only in a handler/);
  });

  it('a lone delivery (a transaction without savepoint): a throw rejects with it, a swallowed failed statement with TransactionAbortedError, nothing stays', async () => {
    const [thrown, swallowed, deferredToo] = [randomUUID(), randomUUID(), randomUUID()];
    await expect(
      inbox.run(mark(thrown), async (tx) => {
        await insert(thrown)(tx as never);
        throw new Error('alone and failing');
      }),
    ).rejects.toThrow('alone and failing');
    await expect(
      inbox.run(mark(swallowed), async (tx) => {
        await insert(swallowed)(tx as never);
        await tx.query('SELECT * FROM no_such_table_at_all').catch(() => undefined);
      }),
    ).rejects.toBeInstanceOf(TransactionAbortedError);
    await expect(
      inbox.run(mark(deferredToo), async (tx) => {
        expect(deferToCommit(tx, 'k', `INSERT INTO ${log} (key, id) VALUES ('k', '${deferredToo}')`)).toBe(true);
        await tx.query('SELECT * FROM no_such_table_at_all').catch(() => undefined);
      }),
    ).rejects.toBeInstanceOf(TransactionAbortedError);
    for (const id of [thrown, swallowed, deferredToo]) expect(await has(id)).toEqual({ row: 0, mark: 0 });
    expect(await query(`SELECT 1 FROM ${log} WHERE id = $1`, [deferredToo])).toEqual([]);
    // Retried, each is handled.
    expect(await inbox.run(mark(thrown), insert(thrown) as never)).toBe('handled');
    expect(await has(thrown)).toEqual({ row: 1, mark: 1 });
  });

  it('with a transaction busy and a connection free, deliveries arriving in one turn of the event loop share one transaction', async () => {
    const lanes = createGroupCommitInbox({ pool, table, connections: 2, savepoints });
    const held = randomUUID();
    let release: () => void = () => undefined;
    const gateOpen = new Promise<void>((r) => (release = r));
    const first = lanes.run(mark(held), async (tx) => {
      await gateOpen;
      await insert(held)(tx as never);
    });
    // The first transaction has started (its connection is checked out) before the others arrive.
    await new Promise((r) => setImmediate(r));
    const ids = Array.from({ length: 5 }, () => randomUUID());
    expect(await Promise.all(ids.map((id) => lanes.run(mark(id), insert(id) as never)))).toEqual(ids.map(() => 'handled'));
    expect(lanes.stats).toEqual({ transactions: 1, deliveries: 5 });
    release();
    expect(await first).toBe('handled');
    await lanes.close();
    for (const id of [held, ...ids]) expect(await has(id)).toEqual({ row: 1, mark: 1 });
  });

  /**
   * connections 1: a lone delivery (no savepoint, so nothing joins it) is held while `a`
   * and `b` queue; they then share a transaction with savepoints, whose first handler
   * waits on the returned gate, so deliveries run meanwhile find every connection busy.
   */
  async function openSharedTransaction(own: GroupCommitInbox, order: string[]) {
    const [lone, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    const loneGate = gate();
    const aGate = gate();
    const aStarted = gate();
    const loneRun = own.run(mark(lone), async (tx) => {
      await loneGate.promise;
      await insert(lone)(tx as never);
    });
    await new Promise((r) => setImmediate(r));
    const runs = [
      own.run(mark(a), async (tx) => {
        aStarted.open();
        await aGate.promise;
        order.push(a);
        await insert(a)(tx as never);
      }),
      own.run(mark(b), async (tx) => {
        order.push(b);
        await insert(b)(tx as never);
      }),
    ];
    loneGate.open();
    expect(await loneRun).toBe('handled');
    await aStarted.promise;
    return { ids: [lone, a, b], runs, release: aGate.open };
  }

  onlyWith(
    true,
    'every connection busy: a delivery joins the open transaction (run after its handlers, committed with them); one that throws is rolled back alone',
    async () => {
      const own = createGroupCommitInbox({ pool, table, connections: 1, savepoints });
      const order: string[] = [];
      const open = await openSharedTransaction(own, order);
      const [c, d] = [randomUUID(), randomUUID()];
      const joined = own.run(mark(c), async (tx) => {
        order.push(c);
        await insert(c)(tx as never);
      });
      const thrown = own
        .run(mark(d), async (tx) => {
          await insert(d)(tx as never);
          throw new Error('joined and failed');
        })
        .then(
          () => 'resolved',
          (err: Error) => err.message,
        );
      open.release();
      expect(await Promise.all([...open.runs, joined])).toEqual(['handled', 'handled', 'handled']);
      expect(await thrown).toBe('joined and failed');
      // The lone transaction and the shared one: c and d did not wait for a third.
      expect(own.stats).toEqual({ transactions: 2, deliveries: 4 });
      expect(order).toEqual([open.ids[1], open.ids[2], c]);
      for (const id of [...open.ids, c]) expect(await has(id)).toEqual({ row: 1, mark: 1 });
      expect(await has(d)).toEqual({ row: 0, mark: 0 });
      await own.close();
    },
  );

  onlyWith(
    false,
    'every connection busy: deliveries join the open transaction; one that throws is rejected, the others run again in a new transaction and commit once',
    async () => {
      const own = createGroupCommitInbox({ pool, table, connections: 1, savepoints });
      const held = gate();
      // A failed expectation must not leave the held transaction open (the file would hang at the end).
      onTestFinished(() => held.open());
      const started = gate();
      const [first, a, bad, c] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const calls = new Map<string, number>();
      const handler = (id: string, wait?: Promise<unknown>) => async (tx: unknown) => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        started.open();
        if (wait) await wait;
        await insert(id)(tx as never);
        if (id === bad) throw new Error('joined and failed');
      };
      const runFirst = own.run(mark(first), handler(first, held.promise));
      await started.promise;
      // Every connection (one) is busy: these join the open transaction.
      const runs = [a, bad, c].map((id) => own.run(mark(id), handler(id)));
      held.open();
      const settled = await Promise.allSettled([runFirst, ...runs]);
      expect(settled.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
        'handled',
        'handled',
        'joined and failed',
        'handled',
      ]);
      // The failed transaction rolled back at `bad` (c not reached yet); the other three ran in a new one that committed.
      expect(own.stats).toEqual({ transactions: 1, deliveries: 3 });
      expect(Object.fromEntries(calls)).toEqual({ [first]: 2, [a]: 2, [bad]: 1, [c]: 1 });
      for (const id of [first, a, c]) expect(await has(id)).toEqual({ row: 1, mark: 1 });
      expect(await has(bad)).toEqual({ row: 0, mark: 0 });
      await own.close();
    },
  );

  for (const literals of [true, false]) {
    onlyWith(
      false,
      `a transaction starting with several deliveries marks them in one INSERT; when one is there already, the upsert decides for each (${literals ? "pg's escapeLiteral" : 'a client without escapeLiteral: parameters'})`,
      async () => {
        const { pool: recorded, sent } = recordingPool(pool, literals);
        const own = createGroupCommitInbox({ pool: recorded, table, connections: 2, savepoints });
        const logIt = (id: string) => async (tx: unknown) => {
          await (tx as pg.PoolClient).query(`INSERT INTO ${log} (key, id) VALUES ('batch', $1)`, [id]);
        };
        const [done, expired, a, b, heldId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        // An id PostgreSQL stores differently from the JavaScript string (a lone surrogate becomes U+FFFD): whether its
        // mark was written must not depend on reading the text back.
        const odd = `x\uD800${randomUUID()}`;
        const stored = odd.replace('\uD800', '\uFFFD');
        expect(await own.run(mark(done), logIt(done))).toBe('handled');
        expect(await own.run({ ...mark(expired), ttlMs: 1 }, logIt(expired))).toBe('handled');
        await new Promise((r) => setTimeout(r, 20));
        // One connection held: the four below, arriving in one turn, start the other transaction together.
        const held = gate();
        // A failed expectation must not leave the held transaction open (the file would hang at the end).
        onTestFinished(() => held.open());
        const started = gate();
        const heldRun = own.run(mark(heldId), async (tx) => {
          started.open();
          await held.promise;
          await logIt(heldId)(tx);
        });
        await started.promise;
        const before = own.stats.transactions;
        sent.length = 0;
        const outcomes = await Promise.all([a, done, expired, odd, b].map((id) => own.run(mark(id), logIt(id))));
        expect(outcomes).toEqual(['handled', 'duplicate', 'handled', 'handled', 'handled']);
        expect(own.stats.transactions - before).toBe(1);
        const text = sent.join('\n');
        // The plain multi-row INSERT first (one statement for the four marks), then the upsert after a rollback.
        expect(sent.filter((q) => /INSERT INTO \S+inbox/.test(q) && !/ON CONFLICT/.test(q))).toHaveLength(1);
        expect(text).toMatch(/ROLLBACK[\s\S]*BEGIN[\s\S]*ON CONFLICT/);
        held.open();
        expect(await heldRun).toBe('handled');
        await own.close();
        const logged = await query<{ id: string }>(`SELECT id FROM ${log} WHERE id = ANY($1)`, [[done, expired, a, b, heldId, odd]]);
        // done once (its redelivery was a duplicate), expired twice (its mark had expired: new again).
        expect(logged.map((r) => r.id).sort()).toEqual([done, expired, expired, a, b, heldId, stored].sort());
        for (const id of [done, expired, a, b, odd]) expect((await query(`SELECT 1 FROM ${table} WHERE event_id = $1`, [id])).length).toBe(1);
      },
    );
  }

  onlyWith(
    false,
    'a handler that rethrows the aborted-transaction error wrapped (cause) is not blamed: the one that swallowed the failed statement is',
    async () => {
      const first = holdFirst();
      const [bad, wrapper] = [randomUUID(), randomUUID()];
      const rbad = inbox.run(mark(bad), async (tx) => {
        await insert(bad)(tx as never);
        await tx.query('SELECT * FROM no_such_table_at_all').catch(() => undefined);
      });
      let wrapperCalls = 0;
      const rwrapper = inbox.run(mark(wrapper), async (tx) => {
        wrapperCalls++;
        try {
          await insert(wrapper)(tx as never);
        } catch (err) {
          throw new Error('could not store the event', { cause: err });
        }
      });
      first.release();
      await expect(rbad).rejects.toBeInstanceOf(TransactionAbortedError);
      expect(await Promise.all([first.run, rwrapper])).toEqual(['handled', 'handled']);
      // Once in the aborted transaction (its statement refused), once in the savepoint run that committed.
      expect(wrapperCalls).toBe(2);
      expect(await has(bad)).toEqual({ row: 0, mark: 0 });
      expect(await has(wrapper)).toEqual({ row: 1, mark: 1 });
    },
  );

  onlyWith(false, 'an event with an empty id and one without id, starting a transaction together: both are new', async () => {
    const own = createGroupCommitInbox({ pool, table, connections: 2, savepoints });
    const held = gate();
    // A failed expectation must not leave the held transaction open (the file would hang at the end).
    onTestFinished(() => held.open());
    const started = gate();
    const heldRun = own.run(mark(randomUUID()), async () => {
      started.open();
      await held.promise;
    });
    await started.promise;
    const group = `g-${randomUUID()}`;
    const calls: string[] = [];
    const outcomes = await Promise.all([
      own.run({ group, source: 's', id: undefined, ttlMs: 60_000 }, () => void calls.push('no id')),
      own.run({ group, source: 's', id: '', ttlMs: 60_000 }, () => void calls.push('empty id')),
    ]);
    expect(outcomes).toEqual(['handled', 'handled']);
    expect(calls).toEqual(['no id', 'empty id']);
    expect(await query(`SELECT event_id FROM ${table} WHERE consumer_group = $1`, [group])).toEqual([{ event_id: '' }]);
    held.open();
    expect(await heldRun).toBe('handled');
    await own.close();
  });

  onlyWith(false, 'a transaction holding maxBatch deliveries takes no more: the next waits for a transaction of its own (no savepoints)', async () => {
    const own = createGroupCommitInbox({ pool, table, connections: 1, maxBatch: 2, savepoints });
    const held = gate();
    // A failed expectation must not leave the held transaction open (the file would hang at the end).
    onTestFinished(() => held.open());
    const started = gate();
    const [first, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    const runFirst = own.run(mark(first), async (tx) => {
      started.open();
      await held.promise;
      await insert(first)(tx as never);
    });
    await started.promise;
    const runs = [a, b].map((id) => own.run(mark(id), insert(id) as never));
    held.open();
    expect(await Promise.all([runFirst, ...runs])).toEqual(['handled', 'handled', 'handled']);
    expect(own.stats).toEqual({ transactions: 2, deliveries: 3 });
    for (const id of [first, a, b]) expect(await has(id)).toEqual({ row: 1, mark: 1 });
    await own.close();
  });

  onlyWith(true, 'a transaction holding maxBatch deliveries takes no more: the next waits for a transaction of its own', async () => {
    const own = createGroupCommitInbox({ pool, table, connections: 1, maxBatch: 2, savepoints });
    const open = await openSharedTransaction(own, []);
    const c = randomUUID();
    const later = own.run(mark(c), insert(c) as never);
    open.release();
    expect(await Promise.all([...open.runs, later])).toEqual(['handled', 'handled', 'handled']);
    expect(own.stats).toEqual({ transactions: 3, deliveries: 4 });
    for (const id of [...open.ids, c]) expect(await has(id)).toEqual({ row: 1, mark: 1 });
    await own.close();
  });

  it('close() while busy waits for the deliveries queued and in flight to commit; run() after it is refused', async () => {
    const own = createGroupCommitInbox({ pool, table, connections: 1, savepoints });
    const id = randomUUID();
    let release: () => void = () => undefined;
    const gateOpen = new Promise<void>((r) => (release = r));
    const held = own.run(mark(id), async (tx) => {
      await gateOpen;
      await insert(id)(tx as never);
    });
    const queued = [randomUUID(), randomUUID()];
    const runs = queued.map((q) => own.run(mark(q), insert(q) as never));
    let closed = false;
    const closing = own.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    const refused = own.run(mark(randomUUID()), insert(randomUUID()) as never);
    await expect(refused).rejects.toSatisfy(isConfigurationError);
    release();
    expect(await Promise.all([held, ...runs])).toEqual(['handled', 'handled', 'handled']);
    await closing;
    for (const q of [id, ...queued]) expect(await has(q)).toEqual({ row: 1, mark: 1 });
  });

  it('close() while an attempt waits for a table that cannot be made returns once that attempt rejects with the error', async () => {
    const broken = createGroupCommitInbox({ pool, table: `no_such_schema_${randomUUID().slice(0, 8)}.inbox`, savepoints });
    const attempt = broken.run(mark(randomUUID()), () => undefined);
    // close() while the attempt still waits for its table: it must wake when the attempt fails.
    const closing = broken.close().then(() => 'closed');
    await expect(attempt).rejects.toMatchObject({ code: '3F000' });
    const closed = await Promise.race([closing, new Promise((r) => setTimeout(() => r('still waiting'), 5_000))]);
    expect(closed).toBe('closed');
  });

  it('transactions side by side (connections > 1) each take their deferred row locks in key order: opposite orders do not deadlock', async () => {
    const lanes = createGroupCommitInbox({ pool, table, connections: 2, savepoints });
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
