/** Every runnable seed system, one line each. Import this module to fill the registry. */
import { registerFlow } from './registry.js';

registerFlow('skills-platform', async () => (await import('./skills-platform/index.js')).skillsPlatform);
registerFlow('chat', async () => (await import('./chat/index.js')).chat);
registerFlow('agent-workflows', async () => (await import('./agent-workflows/index.js')).agentWorkflows);
registerFlow('skafu', async () => (await import('./skafu/index.js')).skafu);
void registerFlow;
