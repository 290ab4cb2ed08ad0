/**
 * The seed systems, as runnable flows. `evc run <system>` and `npm run demo` find them
 * here. Each system lives in src/flows/<system>/ and is built only on generated/ and
 * the runtime.
 */
import type { SystemDescriptor, Transport } from '@event-contracts/runtime';

export type TransportKind = 'memory' | 'kafka' | 'redis';

/** One line of the event trace: which service published what, under which correlation id. */
export interface TraceEntry {
  at: number;
  service: string;
  action: 'published' | 'handled' | 'dead-lettered' | 'http';
  channel: string;
  type?: string;
  eventId?: string;
  correlationId?: string;
  detail?: string;
}

export interface FlowRunOptions {
  transport: Transport;
  transportKind: TransportKind;
  env: Record<string, string | undefined>;
  /** Called for every trace entry (the CLI prints them). */
  trace: (entry: TraceEntry) => void;
  /** HTTP port for the system's API; 0 picks a free one. */
  port?: number;
  /** Working folder for files the system writes (generated projects, event store...). */
  workDir: string;
}

export interface RunningFlow {
  /** Base URL of the system's HTTP API, when it has one. */
  url?: string;
  /** Stop every service gracefully. */
  stop(): Promise<void>;
}

export interface DemoSummary {
  /** Lines printed after the trace: what the scenario did and what it observed. */
  lines: string[];
  /** False when the scenario did not see the chain of events it expected. */
  ok: boolean;
}

export interface FlowSystem {
  id: string;
  title: string;
  /** Transports this system can run on. */
  transports: TransportKind[];
  start(options: FlowRunOptions): Promise<RunningFlow>;
  /** Drive the system's main scenario against a running instance and wait for its chain of events. */
  demo(running: RunningFlow, options: FlowRunOptions): Promise<DemoSummary>;
}

/**
 * Groups `evc replay --transport memory` can rebuild in process: it starts the group's
 * consumer on a fresh memory transport, replays into it and prints the result.
 */
export interface ReplayTarget {
  /** Live addresses the group consumes (only their events are replayed). */
  addresses: string[];
  start(transport: Transport): Promise<{
    /** Deliveries handled so far: consumed + duplicates + dead-lettered. */
    processed(): Promise<number>;
    snapshot(): unknown;
    stop(): Promise<void>;
  }>;
}

/** How the commands find a seed system; each loads on first use. */
export interface FlowEntry {
  /** The runnable system: its services and scenario. */
  flow: () => Promise<FlowSystem>;
  /** The SystemDescriptor of the system's generated SDK. */
  descriptor: () => Promise<SystemDescriptor>;
  /** Consumer groups `evc replay` rebuilds in process; only systems with an event store have them. */
  replayTargets?: () => Promise<Record<string, ReplayTarget>>;
}

const systems = new Map<string, FlowEntry>();

/** Register a system (every one is listed in ./systems.ts). */
export function registerFlow(id: string, entry: FlowEntry): void {
  systems.set(id, entry);
}

export function flowIds(): string[] {
  return [...systems.keys()];
}

export async function loadFlow(id: string): Promise<FlowSystem | undefined> {
  return systems.get(id)?.flow();
}

/** The descriptor of a registered system's generated SDK, without starting anything. */
export async function loadDescriptor(id: string): Promise<SystemDescriptor | undefined> {
  return systems.get(id)?.descriptor();
}

/** The systems that keep an event store, so `evc replay` can rebuild their groups. */
export function replayableFlowIds(): string[] {
  return [...systems].filter(([, e]) => e.replayTargets !== undefined).map(([id]) => id);
}

export async function loadReplayTargets(id: string): Promise<Record<string, ReplayTarget> | undefined> {
  return systems.get(id)?.replayTargets?.();
}
