/**
 * The chat scenario: register ada, bob and carol (each gets a stored welcome
 * notification), connect a WebSocket for each, then ada writes to bob and bob writes
 * to ada and carol. Each recipient's socket receives the message and its notification;
 * the others receive nothing (checked with a ping/pong barrier, not a sleep).
 */
import type { DemoSummary, FlowRunOptions } from '../registry.js';
import { requestJson } from '../shared/http.js';
import { shortId } from '../shared/trace.js';
import type { ChatRunning } from './app.js';
import { connectChatSocket, type ChatSocket } from './ws-client.js';

export async function runChatDemo(running: ChatRunning, options: FlowRunOptions): Promise<DemoSummary> {
  const { url, log, store } = running;
  const timeoutMs = options.transportKind === 'memory' ? 10_000 : 30_000;
  const lines: string[] = [`chat on ${options.transportKind}, gateway ${url}, notifications in ${store.where}`];
  let ok = true;
  const check = (condition: boolean, what: string) => {
    lines.push(`  ${condition ? 'ok  ' : 'FAIL'} ${what}`);
    if (!condition) ok = false;
  };
  const count = (cid: string, service: string, action: 'published' | 'handled', type: string) =>
    log.types(cid, service, action).filter((t) => t === type).length;

  async function chain(title: string, cid: string, notifications: number): Promise<void> {
    const done = () =>
      count(cid, 'notification-service', 'published', 'NotificationCreated') >= notifications &&
      count(cid, 'socket-service', 'handled', 'NotificationCreated') >= notifications;
    try {
      await log.waitFor(done, `${title} (${shortId(cid)})`, timeoutMs);
      check(
        count(cid, 'notification-service', 'published', 'NotificationCreated') === notifications,
        `${title}: ${notifications} NotificationCreated under correlation ${shortId(cid)}`,
      );
    } catch (err) {
      check(false, `${title}: ${(err as Error).message}`);
    }
  }

  const users: Record<string, string> = {};
  for (const name of ['ada', 'bob', 'carol']) {
    const r = await requestJson(url, 'POST', '/auth/register', { email: `${name}.${Date.now()}@example.com`, username: name });
    check(r.status === 201, `POST /auth/register ${name} → ${r.status} ${shortId(r.body.user_id)}`);
    users[name] = r.body.user_id;
    await chain(`welcome ${name}`, r.body.correlation_id, 1);
  }

  const sockets: Record<string, ChatSocket> = {};
  try {
    for (const name of Object.keys(users)) sockets[name] = await connectChatSocket(url, users[name]!);
    lines.push(`  3 WebSocket clients connected`);

    const send = async (from: string, to: string[], content: string) => {
      const r = await requestJson(url, 'POST', '/chat/messages', { sender_id: users[from], recipient_ids: to.map((n) => users[n]), content });
      check(r.status === 201, `POST /chat/messages ${from} → ${to.join(', ')} → ${r.status}`);
      await chain(`message ${from} → ${to.join(', ')}`, r.body.correlation_id, to.length);
      return r.body.correlation_id as string;
    };

    await send('ada', ['bob'], 'Hello Bob!');
    await sockets.bob!.waitForCount(2, timeoutMs).catch(() => {});
    await send('bob', ['ada', 'carol'], 'Hi both!');
    await Promise.all([sockets.ada!.waitForCount(2, timeoutMs), sockets.carol!.waitForCount(2, timeoutMs)]).catch(() => {});
    // every push the socket service made has reached its client once the pong is back
    await Promise.all(Object.values(sockets).map((s) => s.barrier(timeoutMs)));
    const want: Record<string, number> = { ada: 2, bob: 2, carol: 2 };
    for (const [name, s] of Object.entries(sockets)) {
      const kinds = s.received
        .map((p) => p.type)
        .sort()
        .join(', ');
      check(s.received.length === want[name], `${name}'s socket got ${s.received.length} push(es): ${kinds}`);
    }
    const carolFromAda = sockets.carol!.received.filter((p) => (p.event as { data: { sender_id?: string } }).data.sender_id === users.ada).length;
    check(carolFromAda === 0, `carol (not a recipient of ada's message) got ${carolFromAda} push(es) of it`);
  } finally {
    await Promise.all(Object.values(sockets).map((s) => s.close()));
  }

  const stored = await Promise.all(Object.values(users).map((id) => store.notifications(id)));
  const total = stored.reduce((n, rows) => n + rows.length, 0);
  check(total === 6, `${total} notifications stored in ${store.where} (3 welcome + 3 chat_message)`);
  return { lines, ok };
}
