/**
 * `evc replay`: re-publishes stored events to ONE consumer group (see
 * src/flows/eventstore/replay.ts for how a single group is targeted).
 */
import { parseArgs } from 'node:util';
import { createFileEventStore, openOutboxEventStore, replayEvents, type EventFilter, type EventStore } from '../eventstore/index.js';
import { createMemoryTransport, type SystemDescriptor, type Transport } from '@event-contracts/runtime';
import { loadDescriptor, loadReplayTargets, replayableFlowIds, type ReplayTarget } from '../registry.js';
import '../systems.js';
import { UsageError } from './usage.js';

export const replayHelp = `Usage: evc replay --system <id> --group <group> [--from ISO] [--to ISO] [--correlation-id X]
                  [--store file|postgres] [--file path] [--table name]
                  [--transport memory|redis|kafka] [--timeout ms]

Re-publishes the events of the event store to one consumer group, with their original
bytes and event ids, so the group handles them through its usual pipeline (validation,
dedupe, retries): a read model rebuilt from a replay equals the one built live, and an
event the group has handled already is a duplicate.

How one group is targeted: each replayable subscription also reads its group's replay
channel replay.<group>.<address>; the replay publishes there, and no other group reads it.

  --store        postgres (DATABASE_URL; default when it is set): the system's outbox table,
                 which is its event store; or file (--file, default EVC_EVENT_STORE_FILE,
                 else ./event-store.jsonl)
  --table        PostgreSQL table (default SKAFU_EVENT_STORE_TABLE, else skafu_event_store)
  --from/--to    occurredAt bounds: from inclusive, to exclusive (ISO 8601)
  --transport    redis (REDIS_URL) or kafka (KAFKA_BROKERS): publish to the replay channels
                 for the running services to consume. memory (default): rebuild the group
                 in this process and print its state as JSON (groups: project-read-model).
Exit 0 when every matched event was replayed (and, on memory, handled), 1 otherwise,
2 on bad flags.`;

/** Systems with an event store: their descriptor and in-process replay targets. */
async function systemOf(id: string): Promise<{ descriptor: SystemDescriptor; targets: Record<string, ReplayTarget> }> {
  const [targets, descriptor] = await Promise.all([loadReplayTargets(id), loadDescriptor(id)]);
  if (!targets || !descriptor) throw new UsageError(`--system ${id} keeps no event store (systems with one: ${replayableFlowIds().join(', ')})`);
  return { descriptor, targets };
}

function date(name: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be an ISO 8601 date-time (got "${v}")`);
  return d;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      system: { type: 'string' },
      group: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'correlation-id': { type: 'string' },
      store: { type: 'string' },
      file: { type: 'string' },
      table: { type: 'string' },
      transport: { type: 'string', default: 'memory' },
      timeout: { type: 'string', default: '30000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(replayHelp + '\n');
    return 0;
  }
  if (!values.system) throw new UsageError('--system <id> is required');
  if (!values.group) throw new UsageError('--group <group> is required');
  if (!/^[A-Za-z0-9._-]+$/.test(values.group)) throw new UsageError(`--group must be letters, digits, . _ - (got "${values.group}")`);
  const kind = values.transport!;
  if (!['memory', 'redis', 'kafka'].includes(kind)) throw new UsageError(`--transport must be memory, redis or kafka (got "${kind}")`);
  const storeKind = values.store ?? (process.env.DATABASE_URL ? 'postgres' : 'file');
  if (storeKind !== 'file' && storeKind !== 'postgres') throw new UsageError(`--store must be file or postgres (got "${storeKind}")`);
  if (storeKind === 'postgres' && !process.env.DATABASE_URL) throw new UsageError('--store postgres needs DATABASE_URL');
  const timeoutMs = Number(values.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of ms (got "${values.timeout}")`);
  const filter: EventFilter = {
    system: values.system,
    from: date('from', values.from),
    to: date('to', values.to),
    correlationId: values['correlation-id'],
  };

  const { descriptor, targets } = await systemOf(values.system);
  const target = targets[values.group];
  // The addresses the group consumes: the in-process target's, else the contract's operations of that group.
  const contractAddresses = descriptor.operations.filter((op) => op.action === 'receive' && op.group === values.group).map((op) => op.channel.address);
  const addresses = new Set(target?.addresses ?? contractAddresses);
  if (addresses.size === 0) throw new UsageError(`group ${values.group} receives nothing in ${values.system}'s contract`);
  if (kind === 'memory' && !target) {
    throw new UsageError(
      `--transport memory rebuilds in this process only: ${Object.keys(targets).join(', ')}; use --transport redis|kafka for running services`,
    );
  }

  const store: EventStore =
    storeKind === 'postgres'
      ? openOutboxEventStore(process.env.DATABASE_URL!, values.table ?? (process.env.SKAFU_EVENT_STORE_TABLE || 'skafu_event_store'), descriptor)
      : createFileEventStore(values.file ?? process.env.EVC_EVENT_STORE_FILE ?? 'event-store.jsonl');
  let transport: Transport | undefined;
  try {
    await store.init();
    if (kind === 'memory') {
      transport = createMemoryTransport();
      const consumer = await target!.start(transport);
      const result = await replayEvents({ store, filter, transport, group: values.group, addresses });
      const deadline = Date.now() + timeoutMs;
      while ((await consumer.processed()) < result.published) {
        if (Date.now() > deadline) {
          process.stderr.write(`evc replay: ${await consumer.processed()} of ${result.published} replayed events handled after ${timeoutMs} ms\n`);
          await consumer.stop();
          return 1;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      const snapshot = consumer.snapshot();
      await consumer.stop();
      process.stderr.write(`evc replay: ${result.published} event(s) replayed into ${values.group} (in process)\n`);
      process.stdout.write(JSON.stringify(snapshot, null, 2) + '\n');
      return 0;
    }
    transport = await brokerTransport(kind);
    const result = await replayEvents({ store, filter, transport, group: values.group, addresses });
    for (const [channel, n] of Object.entries(result.byChannel)) process.stdout.write(`${channel}: ${n}\n`);
    process.stdout.write(`${result.published} event(s) replayed to group ${values.group} on ${kind}\n`);
    return result.published === result.matched ? 0 : 1;
  } finally {
    await transport?.close().catch(() => undefined);
    await store.close();
  }
}

async function brokerTransport(kind: string): Promise<Transport> {
  if (kind === 'redis') {
    const { createRedisStreamsTransport } = await import('@event-contracts/runtime/redis-streams');
    return createRedisStreamsTransport({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' });
  }
  const { createKafkaTransport, defaultBrokers } = await import('@event-contracts/runtime/kafka');
  return createKafkaTransport({ brokers: defaultBrokers(process.env), clientId: 'evc-replay' });
}
