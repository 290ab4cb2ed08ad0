/**
 * The socket service (groups socket-service-chat and socket-service-notification,
 * overridable by environment): keeps the WebSocket connections of each user and pushes
 * ChatCreated to the recipients of a message and NotificationCreated to its user.
 * Nobody else receives anything.
 *
 * A client may send `{"type":"ping","id":…}` and gets `{"type":"pong","id":…}` back on
 * the same connection, after everything pushed to it before: a barrier that lets a
 * client know it has seen all it was sent so far.
 */
import type { WebSocket } from 'ws';
import type { EventSubscription } from '@event-contracts/runtime';
import { SUBSCRIBE } from '../shared/clients.js';
import { serviceClient, type ServiceContext } from './context.js';

/** What a client receives. */
export interface Push {
  type: 'ChatCreated' | 'NotificationCreated';
  correlation_id: string;
  event: unknown;
}

export function startSocketService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('socket-service', ctx);
  const sockets = new Map<string, Set<WebSocket>>();

  function push(userIds: readonly string[], message: Push): number {
    const text = JSON.stringify(message);
    let sent = 0;
    for (const id of userIds) {
      for (const ws of sockets.get(id) ?? []) {
        if (ws.readyState !== ws.OPEN) continue;
        ws.send(text);
        sent++;
      }
    }
    return sent;
  }

  async function subscribe(): Promise<EventSubscription[]> {
    return Promise.all([
      client.onSocketServiceChatChatCreated((event, c) => {
        const sent = push(event.data.recipient_ids, { type: 'ChatCreated', correlation_id: event.correlation_id, event });
        trace.handled(c, `pushed to ${sent} socket(s)`);
      }, SUBSCRIBE),
      client.onSocketServiceNotificationNotificationCreated((event, c) => {
        const sent = push([event.data.user_id], { type: 'NotificationCreated', correlation_id: event.correlation_id, event });
        trace.handled(c, `pushed to ${sent} socket(s)`);
      }, SUBSCRIBE),
    ]);
  }

  return {
    subscribe,
    /** Registers a user's connection until it closes. */
    attach(userId: string, ws: WebSocket): void {
      const set = sockets.get(userId) ?? new Set<WebSocket>();
      set.add(ws);
      sockets.set(userId, set);
      ws.on('message', (data) => {
        let msg: { type?: unknown; id?: unknown };
        try {
          msg = JSON.parse(String(data));
        } catch {
          return;
        }
        if (msg?.type === 'ping') ws.send(JSON.stringify({ type: 'pong', id: msg.id ?? null }));
      });
      ws.on('close', () => {
        set.delete(ws);
        if (set.size === 0 && sockets.get(userId) === set) sockets.delete(userId);
      });
    },
    connections: (): number => [...sockets.values()].reduce((n, s) => n + s.size, 0),
    /** Closes every connection (going away). */
    disconnectAll(): void {
      for (const set of sockets.values()) for (const ws of set) ws.close(1001, 'server stopping');
    },
    close: () => client.close(),
  };
}

export type SocketService = ReturnType<typeof startSocketService>;
