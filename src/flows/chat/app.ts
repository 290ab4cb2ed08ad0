/**
 * The chat system's services on one transport: gateway (HTTP + WebSocket), auth, chat,
 * notification (PostgreSQL when DATABASE_URL is set) and socket services, each with its
 * own generated client. index.ts makes it a runnable flow with its scenario (demo.ts).
 */
import { chatSystem } from '../../../generated/chat/index.js';
import type { FlowRunOptions, RunningFlow } from '../registry.js';
import { groupOverrides, type FlowExtras } from '../shared/clients.js';
import { listen } from '../shared/http.js';
import { TraceLog, serviceTrace } from '../shared/trace.js';
import { startAuthService, type AuthService } from './auth-service.js';
import { startChatService, type ChatService } from './chat-service.js';
import { createGateway } from './gateway.js';
import { startNotificationService, type NotificationService } from './notification-service.js';
import { startSocketService, type SocketService } from './socket-service.js';
import { openStore, type ChatStore } from './store.js';

export interface ChatRunning extends RunningFlow {
  url: string;
  services: { auth: AuthService; chat: ChatService; notifications: NotificationService; sockets: SocketService };
  store: ChatStore;
  log: TraceLog;
  /** Consumer groups each service joined (after environment overrides). */
  groups: Record<string, string[]>;
}

export async function startChat(options: FlowRunOptions & FlowExtras): Promise<ChatRunning> {
  const log = new TraceLog();
  const trace = options.trace;
  const run: FlowRunOptions = { ...options, trace: (e) => (log.push(e), trace(e)) };
  const ctx = { options: run, groups: groupOverrides(options.transportKind, chatSystem.operations, options.env, options) };
  const store = await openStore(options.env);
  const services = {
    auth: startAuthService(ctx),
    chat: startChatService(ctx),
    notifications: startNotificationService(ctx, store),
    sockets: startSocketService(ctx),
  };
  const closeServices = () => Promise.allSettled(Object.values(services).map((s) => s.close()));
  let gateway: ReturnType<typeof createGateway> | undefined;
  try {
    const [notes, sockets] = await Promise.all([services.notifications.subscribe(), services.sockets.subscribe()]);
    const groups = { 'notification-service': notes.map((s) => s.group), 'socket-service': sockets.map((s) => s.group) };
    gateway = createGateway({ ...services, store }, serviceTrace('gateway', run.trace));
    const url = await listen(gateway.app, options.port);
    return {
      url,
      services,
      store,
      log,
      groups,
      async stop() {
        await gateway?.close();
        await closeServices();
        await store.close();
      },
    };
  } catch (err) {
    await gateway?.close().catch(() => {});
    await closeServices();
    await store.close();
    throw err;
  }
}
