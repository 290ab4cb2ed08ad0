/**
 * The few parts of `pg` the inbox, outbox and relay use, typed structurally so that the
 * runtime's declarations need neither `pg` nor `@types/pg`: a `pg.Pool` passed in fits
 * `PgPool` as it is. `pg` itself (an optional peer dependency) is loaded only when a
 * connection string is given instead of a pool.
 */
import { ConfigurationError } from '../errors.js';
import { requirePeer } from '../peer.js';
import type { TransactionClient } from '../transaction.js';

/** A client checked out of a pool (pg's `PoolClient`). */
export interface PgPoolClient extends TransactionClient {
  release(err?: Error | boolean): void;
  /** pg's literal quoting; when present, BEGIN and the inbox mark go in one round trip. */
  escapeLiteral?(value: string): string;
}

/** A connection pool (pg's `Pool`). */
export interface PgPool extends TransactionClient {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

export interface PgConnectionOptions {
  /** Your pool (not closed by us). */
  pool?: PgPool;
  /** Or a connection string: a pool of `max` connections is made (needs the `pg` package) and closed with the owner. */
  connectionString?: string;
  /** Connections of the pool made from `connectionString`. Default 4. */
  max?: number;
}

const ENTRY = '@event-contracts/runtime/postgres';

/** The pool to use and whether closing it is ours. */
export function openPool(o: PgConnectionOptions, what: string): { pool: PgPool; owned: boolean } {
  if (o.pool) return { pool: o.pool, owned: false };
  if (!o.connectionString) throw new ConfigurationError(`${what}: pass { pool } (a pg.Pool) or { connectionString }`);
  // `typeof import` stays inside this function: the emitted declarations do not name pg's types.
  const pg = requirePeer<typeof import('pg')>('pg', ENTRY);
  const pool = new pg.Pool({ connectionString: o.connectionString, max: o.max ?? 4 });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const typed: PgPool = pool;
  return { pool: typed, owned: true };
}

/** A table name as SQL: lower-case identifiers, optionally schema-qualified (it is put into statements as is). */
export function tableName(name: string, what: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/.test(name)) {
    throw new ConfigurationError(`${what}: table name must be lower-case letters, digits and _ (optionally schema.table): ${JSON.stringify(name)}`);
  }
  return name;
}

/** The unqualified part, for index names. */
export const bareName = (table: string): string => table.slice(table.indexOf('.') + 1);

/** Runs `statements` in one transaction under an advisory lock on `lockKey`, so processes starting together do not race on CREATE ... IF NOT EXISTS. */
export async function createOnce(pool: PgPool, lockKey: string, statements: string): Promise<void> {
  const c = await pool.connect();
  let broken = false;
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
    await c.query(statements);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => (broken = true));
    throw err;
  } finally {
    c.release(broken);
  }
}

/** The SQLSTATE of a pg error (undefined for anything else). */
export const codeOf = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;

/** pg answers a multi-statement simple query with one result per statement: the last one's. */
export const lastResult = (r: unknown): { rowCount: number | null; command?: string } | undefined =>
  (Array.isArray(r) ? r[r.length - 1] : r) as { rowCount: number | null; command?: string } | undefined;
