/**
 * The chat system (seed 003) as a runnable flow: gateway (HTTP + WebSocket), auth,
 * chat, notification (PostgreSQL when DATABASE_URL is set) and socket services, each
 * with its own generated client on one shared transport. See app.ts for the services,
 * demo.ts for the scenario.
 */
import type { FlowSystem } from '../registry.js';
import { startChat, type ChatRunning } from './app.js';
import { runChatDemo } from './demo.js';

export { startChat, type ChatRunning } from './app.js';

export const chat: FlowSystem = {
  id: 'chat',
  title: 'Chat (seed 003): gateway with WebSocket, auth, chat, notification and socket services',
  transports: ['memory', 'kafka', 'redis'],
  start: startChat,
  demo: (running, options) => runChatDemo(running as ChatRunning, options),
};
