/**
 * The WebSocket manager (seed 004, group `websocket_workers`): consumes every workflow
 * and stage event, filters by workflow_id and pushes each event only to the sockets
 * that subscribed to that workflow (`GET /ws?workflow_id=<id>`, the parameter may
 * repeat). Each pushed frame is `{"type":"event","event":{…},"published_at":<ms>}`
 * where published_at is the publisher's clock at XADD time (the `evc-published-at`
 * header), so clients can measure propagation. On connect the socket first gets
 * `{"type":"subscribed","workflow_ids":[…]}`: events published after that frame reach it.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { EventContext, EventSubscription } from '@event-contracts/runtime';
import type { ServiceDeps } from './deps.js';

const SERVICE = 'websocket-manager';

export interface WebSocketManager {
  /** Sockets currently subscribed to a workflow. */
  subscribers(workflowId: string): number;
  /** Frames sent since start. */
  readonly sent: number;
  stop(): Promise<void>;
}

interface AnyWorkflowEvent {
  workflow_id: string;
  type: string;
}

export async function startWebSocketManager(deps: ServiceDeps, server: Server, path = '/ws'): Promise<WebSocketManager> {
  const client = deps.client(SERVICE);
  const byWorkflow = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ noServer: true });
  let sent = 0;

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return; // another upgrade handler's path
    const ids = url.searchParams.getAll('workflow_id').filter((s) => s.length > 0);
    if (ids.length === 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nworkflow_id query parameter is required\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      for (const id of ids) {
        let set = byWorkflow.get(id);
        if (!set) byWorkflow.set(id, (set = new Set()));
        set.add(ws);
      }
      ws.on('close', () => {
        for (const id of ids) {
          const set = byWorkflow.get(id);
          set?.delete(ws);
          if (set?.size === 0) byWorkflow.delete(id);
        }
      });
      ws.on('error', () => ws.terminate());
      ws.send(JSON.stringify({ type: 'subscribed', workflow_ids: ids }));
    });
  }
  server.on('upgrade', onUpgrade);

  function push(event: AnyWorkflowEvent, ctx: EventContext): void {
    const sockets = byWorkflow.get(event.workflow_id);
    if (!sockets || sockets.size === 0) return; // the seed's "Skip event"
    const publishedAt = Number(ctx.headers['evc-published-at']);
    const frame = JSON.stringify({ type: 'event', event, ...(Number.isFinite(publishedAt) ? { published_at: publishedAt } : {}) });
    for (const ws of sockets) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(frame);
        sent++;
      }
    }
  }

  const o = deps.subscribe;
  const subs: EventSubscription[] = await Promise.all([
    client.onWebsocketWorkersWorkflowCreated(push, o),
    client.onWebsocketWorkersWorkflowStarted(push, o),
    client.onWebsocketWorkersWorkflowProgressed(push, o),
    client.onWebsocketWorkersWorkflowCompleted(push, o),
    client.onWebsocketWorkersWorkflowFailed(push, o),
    client.onWebsocketWorkersWorkflowCancelled(push, o),
    client.onWebsocketWorkersGenerationStarted(push, o),
    client.onWebsocketWorkersGenerationCompleted(push, o),
    client.onWebsocketWorkersGenerationFailed(push, o),
    client.onWebsocketWorkersAuditStarted(push, o),
    client.onWebsocketWorkersAuditCompleted(push, o),
    client.onWebsocketWorkersAuditFailed(push, o),
    client.onWebsocketWorkersTestingStarted(push, o),
    client.onWebsocketWorkersTestingCompleted(push, o),
    client.onWebsocketWorkersTestingFailed(push, o),
    client.onWebsocketWorkersDeploymentStarted(push, o),
    client.onWebsocketWorkersDeploymentConfirmed(push, o),
    client.onWebsocketWorkersDeploymentFailed(push, o),
  ]);

  return {
    subscribers: (id) => byWorkflow.get(id)?.size ?? 0,
    get sent() {
      return sent;
    },
    async stop() {
      server.off('upgrade', onUpgrade);
      await Promise.all(subs.map((s) => s.stop()));
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await client.client.close();
    },
  };
}
