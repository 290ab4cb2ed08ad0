/**
 * The chat system end to end: registration and chat messages over HTTP, the chain of
 * events under one correlation id, WebSocket pushes to exactly the right clients (a
 * ping/pong barrier, not a sleep, shows the others got nothing), PostgreSQL rows when
 * DATABASE_URL is set, and consumer groups overridden through the environment. On the
 * memory transport always; on the real Kafka broker when one answers (in CI it must).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient, type UserCreatedInput } from '../../generated/chat/index.js';
import { startChat, type ChatRunning } from '../../src/flows/chat/index.js';
import { connectChatSocket, type ChatSocket } from '../../src/flows/chat/ws-client.js';
import { requestJson } from '../../src/flows/shared/http.js';
import { kafkaAvailable, rawAdmin } from '../kafka/broker.js';
import { waitFor } from './agent-workflows.scenarios.js';
import { chainOf, startFlow, type Harness } from './helpers.js';

const kafka = await kafkaAvailable();
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  if (process.env.CI === 'true') throw new Error('the chat PostgreSQL tests cannot run in CI: DATABASE_URL is not set');
  console.warn('[test/e2e/chat] skipping the PostgreSQL tests: DATABASE_URL is not set');
}

async function register(url: string, username: string): Promise<{ user_id: string; created_at: string; email: string; cid: string }> {
  const res = await requestJson(url, 'POST', '/auth/register', { email: `${username}.${randomUUID().slice(0, 6)}@example.com`, username });
  expect(res.status).toBe(201);
  return { ...res.body, cid: res.correlationId! };
}

/** Waits until the notification service published `n` NotificationCreated and the socket service handled them, under `cid`. */
function settled(running: ChatRunning, cid: string, n: number, timeoutMs: number): Promise<void> {
  const { log } = running;
  return log.waitFor(
    () =>
      log.types(cid, 'notification-service', 'published').length >= n &&
      log.types(cid, 'socket-service', 'handled').filter((t) => t === 'NotificationCreated').length >= n,
    `${n} notification(s) pushed under ${cid}`,
    timeoutMs,
  );
}

for (const kind of ['memory', 'kafka'] as const) {
  describe.skipIf(kind === 'kafka' && !kafka)(`chat on ${kind}`, () => {
    const timeoutMs = kind === 'memory' ? 10_000 : 30_000;
    let h: Harness<ChatRunning>;
    let url: string;
    const users: Record<string, string> = {};
    const sockets: ChatSocket[] = [];

    beforeAll(async () => {
      h = await startFlow(startChat, kind);
      url = h.running.url;
    });
    afterAll(async () => {
      await Promise.all(sockets.map((s) => s.close()));
      await h?.stop();
    });

    it('POST /auth/register: UserCreated → welcome NotificationCreated → socket service, one correlation id', async () => {
      for (const name of ['ada', 'bob', 'carol']) {
        const u = await register(url, name);
        users[name] = u.user_id;
        await settled(h.running, u.cid, 1, timeoutMs);
        expect(chainOf(h.running.log, u.cid)).toEqual({
          'auth-service': { published: ['UserCreated'], handled: [] },
          'notification-service': { published: ['NotificationCreated'], handled: ['UserCreated'] },
          'socket-service': { published: [], handled: ['NotificationCreated'] },
        });
      }
      expect(h.running.store.kind).toBe('memory');
      const welcome = (await requestJson(url, 'GET', `/users/${users.bob}/notifications`)).body as { type: string; title: string }[];
      expect(welcome.map((n) => [n.type, n.title])).toEqual([['welcome', 'Welcome, bob!']]);
    });

    it("POST /chat/messages: the recipient's sockets get ChatCreated and its NotificationCreated; sender and others get nothing", async () => {
      const [ada, bob1, bob2, carol] = await Promise.all([users.ada!, users.bob!, users.bob!, users.carol!].map((id) => connectChatSocket(url, id)));
      sockets.push(ada!, bob1!, bob2!, carol!);
      const cid = randomUUID();
      const res = await requestJson(
        url,
        'POST',
        '/chat/messages',
        { sender_id: users.ada, recipient_ids: [users.bob, users.ada], content: 'Hello Bob!' },
        { 'x-correlation-id': cid },
      );
      expect(res.status).toBe(201);
      expect(res.correlationId).toBe(cid);
      expect(res.body.recipient_ids).toEqual([users.bob]); // the sender is not its own recipient

      await Promise.all([bob1!.waitForCount(2, timeoutMs), bob2!.waitForCount(2, timeoutMs)]);
      await settled(h.running, cid, 1, timeoutMs);
      await Promise.all(sockets.map((s) => s.barrier(timeoutMs)));

      expect(chainOf(h.running.log, cid)).toEqual({
        'chat-service': { published: ['ChatCreated'], handled: [] },
        'notification-service': { published: ['NotificationCreated'], handled: ['ChatCreated'] },
        'socket-service': { published: [], handled: ['ChatCreated', 'NotificationCreated'] },
      });
      const chatEventId = h.running.log.forCorrelation(cid).find((e) => e.service === 'chat-service')!.eventId;
      for (const bob of [bob1!, bob2!]) {
        expect(bob.received.map((p) => p.type).sort()).toEqual(['ChatCreated', 'NotificationCreated']);
        expect(bob.received.every((p) => p.correlation_id === cid)).toBe(true);
        const chat = bob.received.find((p) => p.type === 'ChatCreated')!.event as { event_id: string; data: { sender_id: string; content: string } };
        expect(chat.event_id).toBe(chatEventId);
        expect(chat.data).toMatchObject({ sender_id: users.ada, content: 'Hello Bob!' });
        const note = bob.received.find((p) => p.type === 'NotificationCreated')!.event as { causation_id: string; data: Record<string, unknown> };
        expect(note.causation_id).toBe(chatEventId);
        expect(note.data).toMatchObject({
          user_id: users.bob,
          type: 'chat_message',
          title: 'New message from ada',
          body: 'Hello Bob!',
          source_event_id: chatEventId,
        });
      }
      expect(ada!.received).toEqual([]);
      expect(carol!.received).toEqual([]);
    });

    it('refuses a WebSocket for an unknown user and a message to an unknown user (nothing published)', async () => {
      await expect(connectChatSocket(url, randomUUID())).rejects.toThrow('WebSocket refused: HTTP 403');
      const before = h.running.log.entries.length;
      const res = await requestJson(url, 'POST', '/chat/messages', { sender_id: users.ada, recipient_ids: [randomUUID()], content: 'hi' });
      expect(res.status).toBe(422);
      expect(h.running.log.entries.length).toBe(before);
    });

    it('nothing was dead-lettered', () => {
      expect(h.running.log.entries.filter((e) => e.action === 'dead-lettered')).toEqual([]);
    });
  });

  describe.skipIf(kind === 'kafka' && !kafka)(`chat consumer groups overridden by environment on ${kind}`, () => {
    const timeoutMs = kind === 'memory' ? 10_000 : 30_000;
    const socketChat = `e2e-socket-chat-${randomUUID().slice(0, 8)}`;
    const notifyUser = `e2e-notify-user-${randomUUID().slice(0, 8)}`;
    let h: Harness<ChatRunning>;

    beforeAll(async () => {
      h = await startFlow(startChat, kind, {
        SOCKET_SERVICE_CHAT_GROUP: socketChat,
        NOTIFICATION_SERVICE_USER_GROUP: notifyUser,
        SOCKET_SERVICE_NOTIFICATION_GROUP: '',
      });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('joins the overridden groups; the others keep the contract names (an empty variable does not override)', async () => {
      const prefix = h.options.groupPrefix ?? '';
      expect(h.running.groups).toEqual({
        'notification-service': [notifyUser, `${prefix}notification-service-chat`],
        'socket-service': [socketChat, `${prefix}socket-service-notification`],
      });
      if (kind === 'kafka') {
        const admin = await rawAdmin();
        // A group that just joined may still be rebalancing on a loaded broker: wait for it
        // to settle, then assert its exact state and membership.
        // describeGroups answers in no fixed order, and a member that left may linger until its session times out.
        const describeBoth = async () =>
          (await admin.describeGroups([socketChat, notifyUser])).groups.sort((x, y) => (x.groupId === socketChat ? -1 : y.groupId === socketChat ? 1 : 0));
        let groups = await describeBoth();
        await waitFor(
          async () => (groups = await describeBoth()).every((g) => g.state === 'Stable' && g.members.length === 1),
          45_000,
          () => `both groups Stable with one member, got ${JSON.stringify(groups.map((g) => [g.groupId, g.state, g.members.length]))}`,
        ).catch(() => {});
        expect(groups.map((g) => [g.groupId, g.state, g.members.length])).toEqual([
          [socketChat, 'Stable', 1],
          [notifyUser, 'Stable', 1],
        ]);
      }
    });

    it('handles events in the overridden groups', async () => {
      const { url, log } = h.running;
      const a = await register(url, 'ada');
      const b = await register(url, 'bob');
      // Two users' events are keyed apart (other partitions): one settling says nothing of the other.
      await settled(h.running, a.cid, 1, timeoutMs);
      await settled(h.running, b.cid, 1, timeoutMs);
      const res = await requestJson(url, 'POST', '/chat/messages', { sender_id: a.user_id, recipient_ids: [b.user_id], content: 'hi' });
      const cid = res.correlationId!;
      await settled(h.running, cid, 1, timeoutMs);
      // settled() waits for the NotificationCreated push; the socket service reads ChatCreated
      // in another group, on another topic.
      await log.waitFor(
        () => log.types(cid, 'socket-service', 'handled').includes('ChatCreated'),
        `the socket service to handle ChatCreated under ${cid}`,
        timeoutMs,
      );
      const groupOf = (c: string, service: string, type: string) =>
        /^group=(\S+)/.exec(log.forCorrelation(c).find((e) => e.service === service && e.action === 'handled' && e.type === type)!.detail!)![1];
      expect(groupOf(a.cid, 'notification-service', 'UserCreated')).toBe(notifyUser);
      expect(groupOf(cid, 'socket-service', 'ChatCreated')).toBe(socketChat);
      expect(groupOf(cid, 'socket-service', 'NotificationCreated')).toBe(`${h.options.groupPrefix ?? ''}socket-service-notification`);
    });
  });
}

describe.skipIf(!DATABASE_URL)('chat with PostgreSQL (DATABASE_URL)', () => {
  const schema = `evc_e2e_${randomUUID().slice(0, 8)}`;
  const env = { DATABASE_URL, CHAT_DB_SCHEMA: schema };
  let db: pg.Client;
  let h: Harness<ChatRunning>;
  let firstStopped = false;
  let ada: Awaited<ReturnType<typeof register>>;
  const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);

  beforeAll(async () => {
    db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    h = await startFlow(startChat, 'memory', env);
  });
  afterAll(async () => {
    if (!firstStopped) await h?.stop();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db?.end();
  });

  it('creates its tables in the schema and stores users and notifications (exact rows)', async () => {
    expect(h.running.store.where).toBe(`postgres schema "${schema}"`);
    const { url } = h.running;
    ada = await register(url, 'ada');
    const bob = await register(url, 'bob');
    // Handled side by side (keyed by user): wait for each.
    await settled(h.running, ada.cid, 1, 10_000);
    await settled(h.running, bob.cid, 1, 10_000);
    const res = await requestJson(url, 'POST', '/chat/messages', { sender_id: ada.user_id, recipient_ids: [bob.user_id], content: 'stored?' });
    await settled(h.running, res.correlationId!, 1, 10_000);

    expect(await count(`SELECT count(*) AS n FROM "${schema}".chat_users`)).toBe(2);
    // Not by created_at: the two welcomes are made concurrently, in either order.
    const rows = (await db.query(`SELECT user_id, type, title, body, correlation_id FROM "${schema}".chat_notifications ORDER BY type DESC, title`)).rows;
    expect(rows).toEqual([
      { user_id: ada.user_id, type: 'welcome', title: 'Welcome, ada!', body: 'Your account is ready.', correlation_id: ada.cid },
      { user_id: bob.user_id, type: 'welcome', title: 'Welcome, bob!', body: 'Your account is ready.', correlation_id: bob.cid },
      { user_id: bob.user_id, type: 'chat_message', title: 'New message from ada', body: 'stored?', correlation_id: res.correlationId },
    ]);
  });

  it('with the inbox: a redelivered UserCreated (same id and source) is acknowledged unhandled: no second handling, no new row, one mark', async () => {
    const log = h.running.log;
    const userCreated = log.forCorrelation(ada.cid).find((e) => e.service === 'auth-service' && e.action === 'published')!;
    const handledBefore = log.types(ada.cid, 'notification-service', 'handled');
    expect(handledBefore).toEqual(['UserCreated']);
    const marks = async () =>
      (await db.query(`SELECT consumer_group, source FROM "${schema}".chat_inbox WHERE event_id = $1`, [userCreated.eventId])).rows as unknown[];
    // The mark committed with the rows: group, source and id.
    expect(await marks()).toEqual([{ consumer_group: 'notification-service-user', source: 'auth-service' }]);
    const duplicates = async () =>
      Number(
        /^evc_duplicates_total\{channel="[^"]*",group="notification-service-user"\} (\d+)$/m.exec(await h.running.services.notifications.metrics.text())?.[1] ??
          0,
      );
    expect(await duplicates()).toBe(0);

    const redeliver = createChatClient({ transport: h.transport, closeTransport: false, source: 'auth-service' });
    try {
      const again: UserCreatedInput = {
        event_id: userCreated.eventId!,
        data: { user_id: ada.user_id, email: ada.email, username: 'ada', created_at: ada.created_at },
      };
      await redeliver.publishUserCreated(again, { correlationId: ada.cid });
    } finally {
      await redeliver.close();
    }
    await waitFor(async () => (await duplicates()) === 1, 10_000, 'the inbox to drop the redelivered UserCreated');
    expect(log.types(ada.cid, 'notification-service', 'handled')).toEqual(handledBefore);
    expect(log.types(ada.cid, 'notification-service', 'published')).toEqual(['NotificationCreated']);
    expect(await count(`SELECT count(*) AS n FROM "${schema}".chat_users`)).toBe(2);
    expect(await count(`SELECT count(*) AS n FROM "${schema}".chat_notifications`)).toBe(3);
    expect(await marks()).toEqual([{ consumer_group: 'notification-service-user', source: 'auth-service' }]);
  });

  it('is idempotent: a second instance replaying the same UserCreated stores nothing and republishes the same notification id', async () => {
    const original = h.running.log.forCorrelation(ada.cid);
    const userEventId = original.find((e) => e.service === 'auth-service')!.eventId!;
    const notificationId = original.find((e) => e.service === 'notification-service' && e.action === 'published')!.eventId!;
    // The first instance goes first: the two would share the schema's outbox but not a bus
    // (each has its own memory transport), so its relay could send the second one's rows.
    await h.stop();
    firstStopped = true;
    const second = await startFlow(startChat, 'memory', env);
    try {
      const publisher = createChatClient({ transport: second.transport, closeTransport: false, source: 'e2e-replay' });
      const replay: UserCreatedInput = { event_id: userEventId, data: { user_id: ada.user_id, email: ada.email, username: 'ada', created_at: ada.created_at } };
      await publisher.publishUserCreated(replay, { correlationId: ada.cid });
      await settled(second.running, ada.cid, 1, 10_000);
      const republished = second.running.log.forCorrelation(ada.cid).filter((e) => e.service === 'notification-service' && e.action === 'published');
      expect(republished.map((e) => e.eventId)).toEqual([notificationId]);
      expect(await count(`SELECT count(*) AS n FROM "${schema}".chat_users`)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM "${schema}".chat_notifications`)).toBe(3);
      await publisher.close();
    } finally {
      await second.stop();
    }
  });
});
