/**
 * Every runnable seed system, one entry each, and the one place that knows where their
 * generated SDKs are (`evc generate` writes generated/<system>/): `evc run` and `evc
 * replay` ask the registry for a descriptor, never build a path. Import this module to
 * fill the registry.
 */
import { registerFlow } from './registry.js';

registerFlow('skills-platform', {
  flow: async () => (await import('./skills-platform/index.js')).skillsPlatform,
  descriptor: async () => (await import('../../generated/skills-platform/index.js')).skillsPlatformSystem,
});
registerFlow('chat', {
  flow: async () => (await import('./chat/index.js')).chat,
  descriptor: async () => (await import('../../generated/chat/index.js')).chatSystem,
});
registerFlow('agent-workflows', {
  flow: async () => (await import('./agent-workflows/index.js')).agentWorkflows,
  descriptor: async () => (await import('../../generated/agent-workflows/index.js')).agentWorkflowsSystem,
});
registerFlow('skafu', {
  flow: async () => (await import('./skafu/index.js')).skafu,
  descriptor: async () => (await import('../../generated/skafu/index.js')).skafuSystem,
  replayTargets: async () => (await import('./skafu/index.js')).skafuReplayTargets,
});
