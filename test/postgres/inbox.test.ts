/**
 * The PostgreSQL inbox by itself: concurrent duplicates, expiry and cleanup, bad table
 * names, the peer loading. (inbox-*.test.ts run it through the client on each transport.)
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/runtime/index.js';
import { createPostgresInbox } from '../../src/runtime/postgres/index.js';
import { gate } from '../conformance/wait-for.js';
import { DATABASE_URL, dropTables, postgresAvailable, query, tablePrefix } from '../e2e/agent-workflows.postgres.js';
import { recordingPool } from './recording-pool.js';

const available = await postgresAvailable();

describe.skipIf(!available)('postgres inbox', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const tables: string[] = [];
  afterAll(async () => {
    await dropTables(tables);
    await pool.end();
  });
  const table = (label: string) => {
    const t = `${tablePrefix(label)}inbox`;
    tables.push(t);
    return t;
  };

  it('two deliveries of one event at once: the second waits for the first, then finds the mark (one effect)', async () => {
    const inbox = createPostgresInbox({ pool, table: table('race') });
    const effects = `${tablePrefix('race')}effects`;
    tables.push(effects);
    await query(`CREATE TABLE ${effects} (n int)`);
    const hold = gate();
    const mark = { group: 'g', source: 's', id: 'e-1', ttlMs: 60_000 };
    const order: string[] = [];
    const first = inbox.run(mark, async (tx) => {
      order.push('first in');
      await tx.query(`INSERT INTO ${effects} VALUES (1)`);
      await hold.promise;
      order.push('first commits');
    });
    await new Promise((r) => setTimeout(r, 100));
    const second = inbox.run(mark, async (tx) => {
      order.push('second in');
      await tx.query(`INSERT INTO ${effects} VALUES (2)`);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual(['first in']);
    hold.open();
    expect(await Promise.all([first, second])).toEqual(['handled', 'duplicate']);
    expect(order).toEqual(['first in', 'first commits']);
    expect(await query(`SELECT n FROM ${effects}`)).toEqual([{ n: 1 }]);
  });

  it('when the first delivery rolls back, the waiting one handles the event', async () => {
    const inbox = createPostgresInbox({ pool, table: table('rb') });
    const hold = gate();
    const mark = { group: 'g', source: 's', id: 'e-2', ttlMs: 60_000 };
    const first = inbox.run(mark, async () => {
      await hold.promise;
      throw new Error('handler failed');
    });
    await new Promise((r) => setTimeout(r, 100));
    const second = inbox.run(mark, () => undefined);
    hold.open();
    await expect(first).rejects.toThrow('handler failed');
    expect(await second).toBe('handled');
    expect(await inbox.has('g', 's', 'e-2')).toBe(true);
  });

  it('a mark expires after its TTL (the event counts as new again) and cleanup deletes expired marks', async () => {
    const t = table('ttl');
    const inbox = createPostgresInbox({ pool, table: t });
    expect(await inbox.run({ group: 'g', source: 's', id: 'short', ttlMs: 1 }, () => undefined)).toBe('handled');
    expect(await inbox.run({ group: 'g', source: 's', id: 'long', ttlMs: 3_600_000 }, () => undefined)).toBe('handled');
    await new Promise((r) => setTimeout(r, 20));
    expect(await inbox.has('g', 's', 'short')).toBe(false);
    expect(await inbox.run({ group: 'g', source: 's', id: 'long', ttlMs: 3_600_000 }, () => undefined)).toBe('duplicate');
    expect(await inbox.run({ group: 'g', source: 's', id: 'short', ttlMs: 1 }, () => undefined)).toBe('handled');
    await new Promise((r) => setTimeout(r, 20));
    expect(await inbox.cleanup()).toBe(1);
    expect(await query(`SELECT event_id FROM ${t} ORDER BY event_id`)).toEqual([{ event_id: 'long' }]);
  });

  it('marks are per group and per source', async () => {
    const inbox = createPostgresInbox({ pool, table: table('scope') });
    const run = (group: string, source: string) => inbox.run({ group, source, id: 'same-id', ttlMs: 60_000 }, () => undefined);
    expect([await run('a', 's1'), await run('a', 's2'), await run('b', 's1'), await run('a', 's1')]).toEqual(['handled', 'handled', 'handled', 'duplicate']);
  });

  for (const literals of [true, false]) {
    it(`a new event's mark is a plain INSERT; a redelivery or an expired mark goes through the upsert after a rollback (${literals ? 'with BEGIN in the same round trip' : 'a client without escapeLiteral: parameters'})`, async () => {
      const t = table(literals ? 'fastlit' : 'fastpar');
      const { pool: recorded, sent } = recordingPool(pool, literals);
      const inbox = createPostgresInbox({ pool: recorded, table: t });
      await inbox.init();
      const m = (id: string, ttlMs = 60_000) => ({ group: 'g', source: 's', id, ttlMs });
      let calls = 0;
      const handler = () => void calls++;
      sent.length = 0;
      expect(await inbox.run(m('a'), handler)).toBe('handled');
      const first = sent.join('\n');
      expect(first).toMatch(/INSERT INTO/);
      expect(first).not.toMatch(/ON CONFLICT/);
      sent.length = 0;
      expect(await inbox.run(m('a'), handler)).toBe('duplicate');
      expect(sent.join('\n')).toMatch(/ROLLBACK[\s\S]*BEGIN[\s\S]*ON CONFLICT/);
      expect(calls).toBe(1);
      // An expired mark: the event is new again, the mark renewed.
      expect(await inbox.run(m('b', 1), handler)).toBe('handled');
      await new Promise((r) => setTimeout(r, 20));
      expect(await inbox.run(m('b'), handler)).toBe('handled');
      expect(await inbox.run(m('b'), handler)).toBe('duplicate');
      expect(calls).toBe(3);
      expect(await query(`SELECT count(*)::int AS n FROM ${t}`)).toEqual([{ n: 2 }]);
    });
  }

  it('an event without an id runs in a transaction with no mark', async () => {
    const t = table('noid');
    const inbox = createPostgresInbox({ pool, table: t });
    let saw = false;
    expect(
      await inbox.run({ group: 'g', source: 's', id: undefined, ttlMs: 1000 }, async (tx) => void (saw = (await tx.query('SELECT 1 AS x')).rows[0].x === 1)),
    ).toBe('handled');
    expect(saw).toBe(true);
    expect(await query(`SELECT count(*)::int AS n FROM ${t}`)).toEqual([{ n: 0 }]);
  });

  it('a table name that is not a plain identifier is one ConfigurationError; so is a missing pool', () => {
    expect(() => createPostgresInbox({ pool, table: 'x; DROP TABLE y' })).toThrow(/inbox: table name must be lower-case letters, digits and _/);
    let err: unknown;
    try {
      createPostgresInbox({});
    } catch (e) {
      err = e;
    }
    expect(isConfigurationError(err)).toBe(true);
    expect(String(err)).toContain('createPostgresInbox: pass { pool } (a pg.Pool) or { connectionString }');
  });

  it('a connection string makes (and close() ends) its own pool through the optional pg peer', async () => {
    const inbox = createPostgresInbox({ connectionString: DATABASE_URL, table: table('own') });
    expect(await inbox.run({ group: 'g', source: 's', id: 'x', ttlMs: 1000 }, () => undefined)).toBe('handled');
    await inbox.close();
    await expect(inbox.run({ group: 'g', source: 's', id: 'y', ttlMs: 1000 }, () => undefined)).rejects.toThrow(/closed/);
  });
});
