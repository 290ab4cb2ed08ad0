/**
 * Starting a flow for an end-to-end test: a fresh transport (memory, or the shared
 * Kafka broker with random consumer-group names so that no other run shares its
 * groups), a temporary work folder, and cleanup. The flows' own trace log
 * (running.log) is what the tests assert on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRunOptions, RunningFlow, TransportKind } from '../../src/flows/registry.js';
import type { FlowExtras } from '../../src/flows/shared/clients.js';
import type { TraceLog } from '../../src/flows/shared/trace.js';
import { createMemoryTransport, type Transport } from '../../src/runtime/index.js';
import { createKafkaTransport } from '../../src/runtime/transports/kafka/index.js';
import { KAFKA_BROKERS } from '../kafka/broker.js';

export interface Harness<R> {
  running: R;
  transport: Transport;
  workDir: string;
  options: FlowRunOptions & FlowExtras;
  /** Stops the flow, closes the transport, removes the work folder. */
  stop(): Promise<void>;
}

export function flowTransport(kind: TransportKind): Transport {
  if (kind === 'memory') return createMemoryTransport();
  if (kind === 'kafka') {
    return createKafkaTransport({
      brokers: KAFKA_BROKERS,
      clientId: 'evc-e2e',
      consumer: {
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
        rebalanceTimeout: 20_000,
        maxWaitTimeInMs: 100,
        redeliveryDelayMs: 50,
        joinTimeoutMs: 30_000,
      },
    });
  }
  throw new Error(`the e2e tests run on memory and kafka, not ${kind}`);
}

export async function startFlow<R extends RunningFlow>(
  start: (options: FlowRunOptions & FlowExtras) => Promise<R>,
  kind: TransportKind,
  env: Record<string, string | undefined> = {},
): Promise<Harness<R>> {
  const transport = flowTransport(kind);
  const workDir = await mkdtemp(join(tmpdir(), 'evc-e2e-'));
  const options: FlowRunOptions & FlowExtras = {
    transport,
    transportKind: kind,
    env,
    trace: () => {},
    workDir,
    port: 0,
    ...(kind === 'kafka' ? { groupPrefix: `e2e-${randomUUID().slice(0, 8)}.` } : {}),
  };
  let running: R;
  try {
    running = await start(options);
  } catch (err) {
    await transport.close().catch(() => {});
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  return {
    running,
    transport,
    workDir,
    options,
    async stop() {
      await running.stop();
      await transport.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Event types one service published or handled under a correlation id, as a sorted list (order across topics is not causal). */
export function sortedTypes(log: TraceLog, correlationId: string, service: string, action: 'published' | 'handled'): string[] {
  return log.types(correlationId, service, action).sort();
}

/** Every service's published and handled event types under a correlation id, services sorted by name. */
export function chainOf(log: TraceLog, correlationId: string): Record<string, { published: string[]; handled: string[] }> {
  const out: Record<string, { published: string[]; handled: string[] }> = {};
  const services = [
    ...new Set(
      log
        .forCorrelation(correlationId)
        .filter((e) => e.action !== 'http')
        .map((e) => e.service),
    ),
  ].sort();
  for (const s of services) out[s] = { published: log.types(correlationId, s, 'published'), handled: sortedTypes(log, correlationId, s, 'handled') };
  return out;
}
