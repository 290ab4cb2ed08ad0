/**
 * The gateway (seed 003): POST /auth/register → auth service, POST /chat/messages →
 * chat service, with the request's correlation id (`x-correlation-id` or a new one,
 * echoed); GET /users/:id/notifications from the notification service's store; and
 * the WebSocket endpoint `/ws?user_id=…`, whose connections the socket service serves.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { correlationIdOf } from '../shared/http.js';
import type { ServiceTrace } from '../shared/trace.js';
import type { AuthService } from './auth-service.js';
import type { ChatService, NewMessage } from './chat-service.js';
import type { ChatStore } from './store.js';
import type { SocketService } from './socket-service.js';

const uuid = { type: 'string', format: 'uuid' } as const;
const registerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'username'],
  properties: { email: { type: 'string', format: 'email', maxLength: 254 }, username: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const messageBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sender_id', 'recipient_ids', 'content'],
  properties: {
    chat_id: uuid,
    sender_id: uuid,
    recipient_ids: { type: 'array', minItems: 1, maxItems: 1000, items: uuid },
    content: { type: 'string', minLength: 1, maxLength: 10_000 },
  },
} as const;

export interface Gateway {
  app: FastifyInstance;
  /** Closes the WebSocket connections, then the HTTP server. */
  close(): Promise<void>;
}

export function createGateway(deps: { auth: AuthService; chat: ChatService; sockets: SocketService; store: ChatStore }, trace: ServiceTrace): Gateway {
  const app = Fastify({ logger: false });
  const wss = new WebSocketServer({ noServer: true });

  app.post<{ Body: { email: string; username: string } }>('/auth/register', { schema: { body: registerBody } }, async (request, reply) => {
    const cid = correlationIdOf(request);
    reply.header('x-correlation-id', cid);
    trace.http('POST', '/auth/register', cid);
    const user = await deps.auth.register(request.body.email, request.body.username, cid);
    return reply.code(201).send({ ...user, correlation_id: cid });
  });

  app.post<{ Body: NewMessage }>('/chat/messages', { schema: { body: messageBody } }, async (request, reply) => {
    const cid = correlationIdOf(request);
    reply.header('x-correlation-id', cid);
    const unknown = [request.body.sender_id, ...request.body.recipient_ids].filter((id) => !deps.auth.user(id));
    if (unknown.length > 0) return reply.code(422).send({ error: `unknown user(s): ${[...new Set(unknown)].join(', ')}`, correlation_id: cid });
    trace.http('POST', '/chat/messages', cid);
    const message = await deps.chat.create(request.body, cid);
    return reply.code(201).send({ ...message, correlation_id: cid });
  });

  app.get<{ Params: { id: string } }>('/users/:id/notifications', async (request) => deps.store.notifications(request.params.id));

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const userId = url.searchParams.get('user_id') ?? '';
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/ws') return refuse('404 Not Found');
    if (!deps.auth.user(userId)) return refuse('403 Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => deps.sockets.attach(userId, ws));
  });

  return {
    app,
    async close() {
      deps.sockets.disconnectAll();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await app.close();
    },
  };
}
