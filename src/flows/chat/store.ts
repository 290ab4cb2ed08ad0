/**
 * The notification service's storage (ScyllaDB in seed 003): replicated users and
 * notifications. PostgreSQL when DATABASE_URL is set (tables created when absent, in
 * CHAT_DB_SCHEMA, default public), in memory otherwise. Writes are idempotent: a user
 * once per user_id, a notification once per (source event, recipient), so a redelivered
 * event stores nothing new and gets back the row stored the first time.
 *
 * With PostgreSQL the store also has an inbox (`<schema>.chat_inbox`) and an outbox
 * (`<schema>.chat_outbox`): the notification service handles each event in the inbox's
 * transaction and passes it (`ctx.tx`) to the writes here, so its rows and the event's
 * dedupe mark commit together, and a redelivered event whose mark is committed is
 * acknowledged without running the handler again; its NotificationCreated goes to the
 * outbox in the same transaction, so it is sent (by the relay) only once the rows are
 * committed.
 */
import pg from 'pg';
import type { TransactionClient } from '@event-contracts/runtime';
import { createPostgresInbox, createPostgresOutbox, type PostgresInbox, type PostgresOutbox } from '@event-contracts/runtime/postgres';

export interface UserRow {
  user_id: string;
  email: string;
  username: string;
  created_at: string;
  source_event_id: string;
}

export interface NotificationRow {
  notification_id: string;
  user_id: string;
  type: 'welcome' | 'chat_message';
  title: string;
  body: string;
  source_event_id: string;
  correlation_id: string;
  created_at: string;
}

export interface ChatStore {
  readonly kind: 'postgres' | 'memory';
  /** Where the rows live, for logs: `postgres schema "x"` or `memory`. */
  readonly where: string;
  /** PostgreSQL: the inbox whose transaction (`tx` below) the notification service's handlers run in. */
  readonly inbox?: PostgresInbox | undefined;
  /** PostgreSQL: the outbox the notification service publishes into (in the inbox's transaction). */
  readonly outbox?: PostgresOutbox | undefined;
  /** True when the user was new. `tx`: write in this transaction (the handler's, from the inbox). */
  saveUser(user: UserRow, tx?: TransactionClient): Promise<boolean>;
  user(userId: string, tx?: TransactionClient): Promise<UserRow | undefined>;
  /** Stores the notification unless one exists for (source_event_id, user_id); returns the stored row either way. */
  saveNotification(row: NotificationRow, tx?: TransactionClient): Promise<{ row: NotificationRow; created: boolean }>;
  notifications(userId?: string): Promise<NotificationRow[]>;
  close(): Promise<void>;
}

export function createMemoryStore(): ChatStore {
  const users = new Map<string, UserRow>();
  const notifications = new Map<string, NotificationRow>();
  return {
    kind: 'memory',
    where: 'memory',
    async saveUser(user) {
      if (users.has(user.user_id)) return false;
      users.set(user.user_id, user);
      return true;
    },
    user: async (id) => users.get(id),
    async saveNotification(row) {
      const key = `${row.source_event_id}/${row.user_id}`;
      const existing = notifications.get(key);
      if (existing) return { row: existing, created: false };
      notifications.set(key, row);
      return { row, created: true };
    },
    notifications: async (userId) => [...notifications.values()].filter((n) => !userId || n.user_id === userId),
    close: async () => {},
  };
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export async function createPostgresStore(url: string, schema = 'public'): Promise<ChatStore> {
  if (!IDENT.test(schema)) throw new Error(`CHAT_DB_SCHEMA must be a lower-case SQL identifier (got "${schema}")`);
  // Each handler in flight holds a connection for its transaction (2 subscriptions × 3), the relay one.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined); // an idle client's error surfaces on the next query
  const users = `"${schema}".chat_users`;
  const notes = `"${schema}".chat_notifications`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // two instances starting at once must not race on CREATE ... IF NOT EXISTS
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`evc-chat-${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${users} (
      user_id uuid PRIMARY KEY,
      email text NOT NULL,
      username text NOT NULL,
      created_at timestamptz NOT NULL,
      source_event_id uuid NOT NULL
    )`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${notes} (
      notification_id uuid PRIMARY KEY,
      user_id uuid NOT NULL,
      type text NOT NULL,
      title text NOT NULL,
      body text NOT NULL,
      source_event_id uuid NOT NULL,
      correlation_id uuid NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (source_event_id, user_id)
    )`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
    await pool.end();
    throw err;
  }
  client.release();
  const inbox = createPostgresInbox({ pool, table: `${schema}.chat_inbox` });
  const outbox = createPostgresOutbox({ pool, table: `${schema}.chat_outbox` });
  await Promise.all([inbox.init(), outbox.init()]);

  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  const toUser = (r: Record<string, unknown>): UserRow => ({
    user_id: String(r.user_id),
    email: String(r.email),
    username: String(r.username),
    created_at: iso(r.created_at),
    source_event_id: String(r.source_event_id),
  });
  const toNote = (r: Record<string, unknown>): NotificationRow => ({
    notification_id: String(r.notification_id),
    user_id: String(r.user_id),
    type: r.type as NotificationRow['type'],
    title: String(r.title),
    body: String(r.body),
    source_event_id: String(r.source_event_id),
    correlation_id: String(r.correlation_id),
    created_at: iso(r.created_at),
  });

  return {
    kind: 'postgres',
    where: `postgres schema "${schema}"`,
    inbox,
    outbox,
    async saveUser(u, tx = pool) {
      const r = await tx.query(
        `INSERT INTO ${users} (user_id, email, username, created_at, source_event_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO NOTHING`,
        [u.user_id, u.email, u.username, u.created_at, u.source_event_id],
      );
      return r.rowCount === 1;
    },
    async user(id, tx = pool) {
      const r = await tx.query(`SELECT * FROM ${users} WHERE user_id = $1`, [id]);
      return r.rows[0] ? toUser(r.rows[0]) : undefined;
    },
    async saveNotification(n, tx = pool) {
      const inserted = await tx.query(
        `INSERT INTO ${notes} (notification_id, user_id, type, title, body, source_event_id, correlation_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source_event_id, user_id) DO NOTHING RETURNING *`,
        [n.notification_id, n.user_id, n.type, n.title, n.body, n.source_event_id, n.correlation_id, n.created_at],
      );
      if (inserted.rows[0]) return { row: toNote(inserted.rows[0]), created: true };
      const existing = await tx.query(`SELECT * FROM ${notes} WHERE source_event_id = $1 AND user_id = $2`, [n.source_event_id, n.user_id]);
      return { row: toNote(existing.rows[0]), created: false };
    },
    async notifications(userId) {
      const r = userId
        ? await pool.query(`SELECT * FROM ${notes} WHERE user_id = $1 ORDER BY created_at, notification_id`, [userId])
        : await pool.query(`SELECT * FROM ${notes} ORDER BY created_at, notification_id`);
      return r.rows.map(toNote);
    },
    async close() {
      await inbox.close();
      await pool.end();
    },
  };
}

/** PostgreSQL when the environment names a database, memory otherwise. */
export function openStore(env: Record<string, string | undefined>): Promise<ChatStore> {
  return env.DATABASE_URL ? createPostgresStore(env.DATABASE_URL, env.CHAT_DB_SCHEMA || 'public') : Promise.resolve(createMemoryStore());
}
