/**
 * The PostgreSQL the e2e tests run against (DATABASE_URL, default the loopback `test`
 * database). Like test/redis/server.ts: skipped with the reason printed when nothing
 * answers, except in CI, where it is a failure. Tables get a random prefix per test file.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 1500 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    const reason = `PostgreSQL at ${DATABASE_URL.replace(/\/\/[^@]*@/, '//…@')} does not answer (${(err as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`PostgreSQL tests cannot run in CI: ${reason}`);
    console.warn(`[test/e2e] skipping PostgreSQL: ${reason}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh lower-case table prefix, e.g. `t_3f9c2b1e_`. */
export function tablePrefix(label: string): string {
  return `${label}_${randomUUID().slice(0, 8)}_`;
}

/** Runs one query on a short-lived connection. */
export async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function dropTables(tables: string[]): Promise<void> {
  if (tables.length === 0) return;
  for (const t of tables) if (!/^[a-z_][a-z0-9_]*$/.test(t)) throw new Error(`refusing to drop ${t}`);
  await query(`DROP TABLE IF EXISTS ${tables.join(', ')}`);
}
