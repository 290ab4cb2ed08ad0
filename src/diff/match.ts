/**
 * Which channel, message and operation of the old version is which of the new one.
 *
 * Ids come first. What is left is matched by what peers see, because ids are names a
 * document gives or a tool derives and a rewrite may give others: AsyncAPI's converter
 * gives the channels, operations and messages of a 2.x document new ids in its 3.0
 * rewrite (a channel keyed by its address becomes `userSignedup`, an operation without an
 * `operationId` becomes `user/signedup.subscribe`, an inline message `subscribe.message`),
 * while nothing changed on the wire.
 * - A channel: by id, then by address (the same address is the same channel: readers and
 *   writers meet there).
 * - A message: by id, then, on the channel it was matched on, by name, then by payload
 *   (the same payload schema on the same channel is the same message).
 * - An operation: by id, then by channel (matched), action, message set (matched),
 *   consumer group and service: a receiver of another group or service is another
 *   consumer (seed-001's notification service is not seed-000's build service renamed).
 * Each match is one-to-one and taken in document order. A pair matched by something else
 * than its id is a rename: compare.ts reports it on the source axis (`sdk-*-renamed`,
 * generated names change) and compares the pair as one thing.
 */
import type { ChannelModel, MessageModel, OperationModel, SystemModel } from '../contract/ir.js';
import { sameSchema } from './schema.js';

/** How a pair was matched. */
export type MatchedBy = 'id' | 'address' | 'name' | 'payload' | 'channel, action and messages';

/** Old id -> new id and back, and how each pair was matched. */
export interface IdMatch {
  toNew: Map<string, string>;
  toOld: Map<string, string>;
  by: Map<string, MatchedBy>;
}

export interface Matching {
  channels: IdMatch;
  messages: IdMatch;
  operations: IdMatch;
}

function idMatch(): IdMatch {
  return { toNew: new Map(), toOld: new Map(), by: new Map() };
}

function pair(m: IdMatch, oldId: string, newId: string, by: MatchedBy): void {
  m.toNew.set(oldId, newId);
  m.toOld.set(newId, oldId);
  m.by.set(oldId, by);
}

/** Pair the old and new channels, messages and operations of one system. */
export function matchSystems(o: SystemModel, n: SystemModel): Matching {
  const channels = matchChannels(o.channels, n.channels);
  const messages = matchMessages(o, n, channels);
  const operations = matchOperations(o.operations, n.operations, channels, messages);
  return { channels, messages, operations };
}

function matchChannels(old: ChannelModel[], cur: ChannelModel[]): IdMatch {
  const m = idMatch();
  const newIds = new Set(cur.map((c) => c.id));
  for (const oc of old) if (newIds.has(oc.id)) pair(m, oc.id, oc.id, 'id');
  for (const oc of old) {
    if (m.toNew.has(oc.id) || oc.address === null) continue;
    const nc = cur.find((c) => !m.toOld.has(c.id) && c.address === oc.address);
    if (nc) pair(m, oc.id, nc.id, 'address');
  }
  return m;
}

function matchMessages(o: SystemModel, n: SystemModel, channels: IdMatch): IdMatch {
  const m = idMatch();
  const newById = new Map(n.messages.map((x) => [x.id, x]));
  for (const om of o.messages) if (newById.has(om.id)) pair(m, om.id, om.id, 'id');
  const newChannel = new Map(n.channels.map((c) => [c.id, c]));
  /** The unmatched new messages of the channels an old message's channels were matched to. */
  const candidates = (om: MessageModel): MessageModel[] => {
    const out: MessageModel[] = [];
    for (const oldChannel of om.channelIds) {
      const nc = newChannel.get(channels.toNew.get(oldChannel) ?? '');
      for (const id of nc?.messageIds ?? []) {
        const nm = newById.get(id);
        if (nm && !m.toOld.has(id) && !out.includes(nm)) out.push(nm);
      }
    }
    return out;
  };
  const unmatched = o.messages.filter((om) => !m.toNew.has(om.id));
  for (const om of unmatched) {
    const nm = candidates(om).find((x) => x.name === om.name);
    if (nm) pair(m, om.id, nm.id, 'name');
  }
  for (const om of unmatched) {
    if (m.toNew.has(om.id)) continue;
    const nm = candidates(om).find((x) => sameSchema(x.payload, om.payload));
    if (nm) pair(m, om.id, nm.id, 'payload');
  }
  return m;
}

function matchOperations(old: OperationModel[], cur: OperationModel[], channels: IdMatch, messages: IdMatch): IdMatch {
  const m = idMatch();
  const newIds = new Set(cur.map((x) => x.id));
  for (const op of old) if (newIds.has(op.id)) pair(m, op.id, op.id, 'id');
  const sameMessages = (op: OperationModel, np: OperationModel) => {
    const mapped = op.messageIds.map((id) => messages.toNew.get(id) ?? `\u0000${id}`);
    return mapped.length === np.messageIds.length && mapped.every((id) => np.messageIds.includes(id));
  };
  const twins = (op: OperationModel) =>
    cur.filter((np) => !m.toOld.has(np.id) && np.action === op.action && np.channelId === channels.toNew.get(op.channelId) && sameMessages(op, np));
  for (const op of old) {
    if (m.toNew.has(op.id)) continue;
    const np = twins(op).find((x) => x.group === op.group && x.service === op.service);
    if (np) pair(m, op.id, np.id, 'channel, action and messages');
  }
  return m;
}
