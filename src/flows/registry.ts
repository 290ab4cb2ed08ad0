/**
 * The seed systems, as runnable flows. `evc run <system>` and `npm run demo` find them
 * here. Each system lives in src/flows/<system>/ and is built only on generated/ and
 * the runtime.
 */
import type { Transport } from '@event-contracts/runtime';

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

const systems = new Map<string, () => Promise<FlowSystem>>();

/** Register a system (each src/flows/<system>/index.ts is listed in ./systems.ts). */
export function registerFlow(id: string, load: () => Promise<FlowSystem>): void {
  systems.set(id, load);
}

export function flowIds(): string[] {
  return [...systems.keys()];
}

export async function loadFlow(id: string): Promise<FlowSystem | undefined> {
  return systems.get(id)?.();
}
