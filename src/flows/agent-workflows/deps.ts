/**
 * What every service of the agent-workflows system gets: its own typed client on the
 * shared transport (so logs and CloudEvents carry its name), the trace sink, and the
 * subscription settings.
 */
import type { AgentName, AgentWorkflowsClient } from '../../../generated/agent-workflows/index.js';
import type { EventReceipt, SubscribeHandlerOptions } from '@event-contracts/runtime';
import type { TraceEntry } from '../registry.js';

export interface ServiceDeps {
  /** A client for one service (shares transport, dedupe store and runtime metrics with the others). */
  client(service: string): AgentWorkflowsClient;
  trace(entry: TraceEntry): void;
  /** Options for every subscription (concurrency: handlers of different workflows run side by side). */
  subscribe: SubscribeHandlerOptions;
}

/** Records a publish in the trace and passes the receipt on. */
export async function traced(deps: ServiceDeps, service: string, type: string, sending: Promise<EventReceipt>): Promise<EventReceipt> {
  const r = await sending;
  deps.trace({ at: Date.now(), service, action: 'published', channel: r.channel, type, eventId: r.eventId, correlationId: r.correlationId });
  return r;
}

export const STAGES = ['generation', 'audit', 'testing', 'deployment'] as const;
export type StageName = (typeof STAGES)[number];

/** Progress after each stage: 25, 50, 75, 100. */
export const progressAfter = (stage: StageName): number => ((STAGES.indexOf(stage) + 1) * 100) / STAGES.length;

/** Every A2A addressee: its requests and responses have a stream each (events:a2a.request.<agent>, events:a2a.response.<agent>). */
export const AGENTS: readonly AgentName[] = ['coordinator', 'generation-agent', 'audit-agent', 'testing-agent', 'deployment-agent'];
