/**
 * Replay: stored events handed again to ONE consumer group, through that group's own
 * consume pipeline (validation, dedupe, retries, dead letters), so a rebuilt read model
 * equals the one built live, and replaying twice changes nothing.
 *
 * How one group is targeted without re-delivering to every other group: a replay
 * channel per (group, address), `replay.<group>.<address>` (seed 002's "Replay Queue"
 * per target domain). A service that accepts replays subscribes its operation to both
 * addresses (`subscribeOptions: { addresses: replayableAddresses(op, group) }`): same
 * handler, same group, same dedupe store, so an event id the group has handled is a
 * duplicate whether it comes live or replayed. No other group reads the replay channel,
 * so nobody else sees the replayed events. The events keep their bytes and ids; the
 * replay adds `evc-replayed-at` and `evc-replay-of` (original channel) headers.
 *
 * Names: `replay.<group>.<address>` uses only the characters of the group and address,
 * which on Kafka must be [a-zA-Z0-9._-] anyway.
 */
import { HEADER, type OperationDescriptor, type Transport } from '@event-contracts/runtime';
import type { EventFilter, EventStore } from './store.js';

export const REPLAY_HEADER = { replayedAt: 'evc-replayed-at', replayOf: 'evc-replay-of' } as const;

/** The replay channel of one group for one live address. */
export function replayAddress(group: string, address: string): string {
  return `replay.${group}.${address}`;
}

/** The live address of an operation plus the group's replay channel for it. */
export function replayableAddresses(op: OperationDescriptor, group: string): string[] {
  return [op.channel.address, replayAddress(group, op.channel.address)];
}

export interface ReplayOptions {
  store: EventStore;
  filter?: EventFilter;
  /** Where to publish (connected or not; not closed here). */
  transport: Transport;
  /** The target consumer group. */
  group: string;
  /** Only events whose live address is one of these (default: every stored event). */
  addresses?: ReadonlySet<string> | undefined;
  /** Events per transport publish call for one address. Default 100. */
  batchSize?: number;
}

export interface ReplayResult {
  /** Events read from the store that matched. */
  matched: number;
  /** Events published to replay channels. */
  published: number;
  /** Replay channel → events published there. */
  byChannel: Record<string, number>;
}

/**
 * Publishes the matching stored events, in store order, to the group's replay channels.
 * Order across addresses is the store's; consumers keep per-key order per channel.
 */
export async function replayEvents(o: ReplayOptions): Promise<ReplayResult> {
  const events = await o.store.read(o.filter);
  await o.transport.connect();
  const batchSize = o.batchSize ?? 100;
  const replayedAt = new Date().toISOString();
  const byChannel: Record<string, number> = {};
  let published = 0;
  let matched = 0;
  // Consecutive events of the same address go in one publish call; order is kept.
  let batch: { channel: string; messages: { key?: string | undefined; value: Buffer; headers: Record<string, string> }[] } | undefined;
  const flush = async (): Promise<void> => {
    if (!batch || batch.messages.length === 0) return;
    await o.transport.publish(batch.channel, batch.messages);
    byChannel[batch.channel] = (byChannel[batch.channel] ?? 0) + batch.messages.length;
    published += batch.messages.length;
    batch = undefined;
  };
  for (const e of events) {
    if (o.addresses && !o.addresses.has(e.channel)) continue;
    matched++;
    const channel = replayAddress(o.group, e.channel);
    if (batch && (batch.channel !== channel || batch.messages.length >= batchSize)) await flush();
    batch ??= { channel, messages: [] };
    const headers: Record<string, string> = { ...e.headers, [REPLAY_HEADER.replayedAt]: replayedAt, [REPLAY_HEADER.replayOf]: e.channel };
    // The original publish time would make every replayed event look minutes late in
    // evc_publish_to_handle_seconds; the replay is the publish here.
    delete headers[HEADER.publishedAt];
    batch.messages.push({ key: e.key, value: Buffer.from(JSON.stringify(e.payload), 'utf8'), headers });
  }
  await flush();
  return { matched, published, byChannel };
}
