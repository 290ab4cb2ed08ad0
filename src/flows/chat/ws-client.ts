/** A WebSocket client of the chat gateway, as the demo, tests and benchmarks use it. */
import { WebSocket } from 'ws';
import type { Push } from './socket-service.js';

export interface ChatSocket {
  readonly userId: string;
  /** Everything pushed to this client so far, in arrival order (pongs excluded). */
  readonly received: Push[];
  /** Resolves when `count` pushes have arrived; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<void>;
  /** Round trip through the server: when it resolves, every push sent before it has arrived. */
  barrier(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function connectChatSocket(baseUrl: string, userId: string, timeoutMs = 10_000): Promise<ChatSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws?user_id=${encodeURIComponent(userId)}`);
  const received: Push[] = [];
  const waiters = new Set<() => void>();
  const pongs = new Map<number, () => void>();
  let nextPing = 1;
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type === 'pong') {
      pongs.get(msg.id)?.();
      pongs.delete(msg.id);
      return;
    }
    received.push(msg);
    for (const w of waiters) w();
  });

  const until = (condition: () => boolean, what: string, ms: number, register: (check: () => void) => () => void) =>
    new Promise<void>((resolve, reject) => {
      if (condition()) return resolve();
      const timer = setTimeout(() => (unregister(), reject(new Error(`timed out after ${ms} ms waiting for ${what}`))), ms);
      const unregister = register(() => {
        if (!condition()) return;
        clearTimeout(timer);
        unregister();
        resolve();
      });
    });

  const socket: ChatSocket = {
    userId,
    received,
    waitForCount(count, ms) {
      return until(
        () => received.length >= count,
        `${count} push(es) to ${userId} (got ${received.length})`,
        ms,
        (check) => {
          waiters.add(check);
          return () => waiters.delete(check);
        },
      );
    },
    barrier(ms) {
      const id = nextPing++;
      let done = false;
      const p = until(
        () => done,
        `pong ${id} for ${userId}`,
        ms,
        (check) => {
          pongs.set(id, () => ((done = true), check()));
          return () => pongs.delete(id);
        },
      );
      ws.send(JSON.stringify({ type: 'ping', id }));
      return p;
    },
    close() {
      if (ws.readyState === ws.CLOSED) return Promise.resolve();
      return new Promise((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (ws.terminate(), reject(new Error(`WebSocket to ${baseUrl} did not open within ${timeoutMs} ms`))), timeoutMs);
    ws.once('open', () => (clearTimeout(timer), resolve(socket)));
    ws.once('unexpected-response', (_req, res) => (clearTimeout(timer), reject(new Error(`WebSocket refused: HTTP ${res.statusCode}`))));
    ws.once('error', (err) => (clearTimeout(timer), reject(err)));
  });
}
