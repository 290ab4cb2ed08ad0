/**
 * The docs model: what a system's documentation says, computed once from the IR and
 * printed by the Markdown and HTML templates. Pure: no I/O, same input, same output.
 * Everything here is still raw contract text; escaping happens when it is printed.
 */
import { basename } from 'node:path';
import type { ChannelModel, SystemModel } from '../contract/ir.js';
import { fieldsOf, type FieldDoc } from './fields.js';
import { deriveFlows, type FlowDoc } from './flows.js';

export interface DocsModelOptions {
  /** Most sequence diagrams derived per system (declared `x-evc-flows` are all kept). Default 6. */
  maxFlows?: number;
  /** Most arrows per derived sequence diagram. Default 24. */
  maxFlowSteps?: number;
  /** Most hops from the first publisher in a derived sequence diagram. Default 4. */
  maxFlowDepth?: number;
}

export interface Ref {
  /** Display text (an address, a message name). */
  text: string;
  /** Anchor id on the system page. */
  anchor: string;
}

export interface ServerDoc {
  id: string;
  host: string;
  protocol: string;
  protocolVersion?: string;
  description?: string;
}

export interface ChannelDoc {
  id: string;
  address: string;
  anchor: string;
  title?: string;
  description?: string;
  parameters: { name: string; description?: string; values?: string }[];
  messages: Ref[];
  partitions?: number;
  replicas?: number;
  /** `7 days`, from the Kafka binding's topicConfiguration retention.ms. */
  retention?: string;
  /** Redis stream trimming: `MAXLEN ~ 100000`, `MINID 7 days`. */
  trimming?: string;
  cleanupPolicy?: string;
  deadLetter?: string;
  senders: string[];
  receivers: { service: string; group?: string }[];
}

export interface GroupDoc {
  service: string;
  /** Consumer group; undefined when a receive operation names none. */
  group?: string;
  groupEnv?: string;
  channels: Ref[];
}

export interface MessageDoc {
  id: string;
  name: string;
  anchor: string;
  title?: string;
  summary?: string;
  description?: string;
  eventType?: string;
  contentType: string;
  deprecated: boolean;
  payloadTypeName: string;
  channels: Ref[];
  publishers: string[];
  consumers: { service: string; group?: string }[];
  keyLocation?: string;
  correlationIdLocation?: string;
  fields: FieldDoc[];
  headers: FieldDoc[];
  example?: { name?: string; summary?: string; json: string };
  exampleCount: number;
}

/** One arrow of the flow graph: `from` sends on `channel`, `to` receives it. */
export interface FlowEdge {
  from: string;
  channel: string;
  to: string;
}

export interface SystemDocs {
  id: string;
  /** File-name-safe id, used for `<slug>.md` and `<slug>.html`. */
  slug: string;
  title: string;
  version: string;
  description?: string;
  /** File name of the root contract (no folder: the output must not depend on the checkout's place). */
  sourceFile: string;
  /** What the channels are called for this broker: Topics (Kafka), Streams (Redis), Channels. */
  channelNoun: 'Topics' | 'Streams' | 'Channels';
  protocols: string[];
  servers: ServerDoc[];
  channels: ChannelDoc[];
  groups: GroupDoc[];
  messages: MessageDoc[];
  /** Services in order of first appearance in the operations. */
  services: string[];
  /** Send operations (service, channel address), in document order, deduplicated. */
  sends: { service: string; channel: string }[];
  /** Receive operations (service, channel address), in document order, deduplicated. */
  receives: { service: string; channel: string }[];
  edges: FlowEdge[];
  flows: FlowDoc[];
  /** Send operations the derived sequence diagrams did not reach (over the caps). */
  flowsOmitted: number;
}

const DAY = 86_400_000;

/** `604800000` -> `7 days`; `-1` -> `unlimited`; odd values keep hours or ms. */
export function formatRetention(ms: number): string {
  if (ms < 0) return 'unlimited';
  if (ms % DAY === 0) return ms === DAY ? '1 day' : `${ms / DAY} days`;
  if (ms >= DAY) return `${Number((ms / DAY).toFixed(2))} days`;
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? '1 hour' : `${ms / 3_600_000} hours`;
  return `${ms} ms`;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined;

/** Lower-case id made of `[a-z0-9-]`, unique within `used`. */
export function uniqueSlug(text: string, used: Set<string>, prefix = ''): string {
  const base =
    prefix +
    (text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'x');
  let slug = base;
  for (let i = 2; used.has(slug); i++) slug = `${base}-${i}`;
  used.add(slug);
  return slug;
}

/** The service name an operation belongs to; operations without `x-evc-service` are named after themselves. */
export const serviceOf = (op: { id: string; service?: string }): string => op.service ?? `(operation ${op.id})`;

/** Address of a channel for display: the address, else the channel key. */
export const addressOf = (c: ChannelModel): string => c.address ?? c.id;

function channelNoun(protocols: string[]): SystemDocs['channelNoun'] {
  if (protocols.length > 0 && protocols.every((p) => p.startsWith('kafka'))) return 'Topics';
  if (protocols.length > 0 && protocols.every((p) => p.startsWith('redis'))) return 'Streams';
  return 'Channels';
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)));
}

/** Build the docs model of one system. */
export function buildSystemDocs(system: SystemModel, options: DocsModelOptions = {}): SystemDocs {
  const used = new Set<string>();
  const channelAnchor = new Map(system.channels.map((c) => [c.id, uniqueSlug(addressOf(c), used, 'channel-')]));
  const messageAnchor = new Map(system.messages.map((m) => [m.id, uniqueSlug(m.name, used, 'event-')]));
  const messageName = new Map(system.messages.map((m) => [m.id, m.name]));
  const channelById = new Map(system.channels.map((c) => [c.id, c]));
  const chRef = (id: string): Ref => {
    const c = channelById.get(id);
    return { text: c ? addressOf(c) : id, anchor: channelAnchor.get(id) ?? '' };
  };
  const msgRef = (id: string): Ref => ({ text: messageName.get(id) ?? id, anchor: messageAnchor.get(id) ?? '' });

  const protocols = [...new Set(system.servers.map((s) => s.protocol))];
  const ops = system.operations;
  const channels: ChannelDoc[] = system.channels.map((c) => {
    const cfg = c.kafka?.topicConfiguration ?? {};
    const retentionMs = num(cfg['retention.ms']);
    const cleanup = cfg['cleanup.policy'];
    let trimming: string | undefined;
    if (c.redis?.maxlen !== undefined) trimming = `MAXLEN ${c.redis.approximate ? '~ ' : ''}${c.redis.maxlen}`;
    else if (c.redis?.minIdMs !== undefined) trimming = `MINID older than ${formatRetention(c.redis.minIdMs)}`;
    return {
      id: c.id,
      address: addressOf(c),
      anchor: channelAnchor.get(c.id)!,
      ...(c.title !== undefined ? { title: c.title } : {}),
      ...(c.description !== undefined ? { description: c.description } : c.summary !== undefined ? { description: c.summary } : {}),
      parameters: c.parameters.map((p) => ({
        name: p.name,
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.enum ? { values: p.enum.join(', ') } : {}),
      })),
      messages: c.messageIds.map(msgRef),
      ...(c.kafka?.partitions !== undefined ? { partitions: c.kafka.partitions } : {}),
      ...(c.kafka?.replicas !== undefined ? { replicas: c.kafka.replicas } : {}),
      ...(retentionMs !== undefined ? { retention: formatRetention(retentionMs) } : {}),
      ...(trimming ? { trimming } : {}),
      ...(Array.isArray(cleanup) ? { cleanupPolicy: cleanup.map(String).join(', ') } : typeof cleanup === 'string' ? { cleanupPolicy: cleanup } : {}),
      ...(c.deadLetter !== undefined ? { deadLetter: c.deadLetter } : {}),
      senders: dedupe(ops.filter((o) => o.action === 'send' && o.channelId === c.id).map(serviceOf), (s) => s),
      receivers: dedupe(
        ops
          .filter((o) => o.action === 'receive' && o.channelId === c.id)
          .map((o) => ({ service: serviceOf(o), ...(o.group !== undefined ? { group: o.group } : {}) })),
        (r) => `${r.service}\0${r.group ?? ''}`,
      ),
    };
  });

  const groups: GroupDoc[] = [];
  for (const op of ops) {
    if (op.action !== 'receive') continue;
    const service = serviceOf(op);
    let g = groups.find((x) => x.service === service && x.group === op.group);
    if (!g) {
      g = { service, ...(op.group !== undefined ? { group: op.group } : {}), ...(op.groupEnv !== undefined ? { groupEnv: op.groupEnv } : {}), channels: [] };
      groups.push(g);
    }
    if (!g.channels.some((c) => c.anchor === channelAnchor.get(op.channelId))) g.channels.push(chRef(op.channelId));
  }

  const messages: MessageDoc[] = system.messages.map((m) => {
    const example = m.examples.find((e) => e.payload !== undefined);
    const uses = (action: 'send' | 'receive') => ops.filter((o) => o.action === action && o.messageIds.includes(m.id));
    return {
      id: m.id,
      name: m.name,
      anchor: messageAnchor.get(m.id)!,
      ...(m.title !== undefined ? { title: m.title } : {}),
      ...(m.summary !== undefined ? { summary: m.summary } : {}),
      ...(m.description !== undefined ? { description: m.description } : {}),
      ...(m.eventType !== undefined ? { eventType: m.eventType } : {}),
      contentType: m.contentType,
      deprecated: m.deprecated,
      payloadTypeName: m.payloadTypeName,
      channels: m.channelIds.map(chRef),
      publishers: dedupe(uses('send').map(serviceOf), (s) => s),
      consumers: dedupe(
        uses('receive').map((o) => ({ service: serviceOf(o), ...(o.group !== undefined ? { group: o.group } : {}) })),
        (r) => `${r.service}\0${r.group ?? ''}`,
      ),
      ...(m.keyLocation !== undefined ? { keyLocation: m.keyLocation } : {}),
      ...(m.correlationIdLocation !== undefined ? { correlationIdLocation: m.correlationIdLocation } : {}),
      fields: fieldsOf(m.payload),
      headers: m.headers ? fieldsOf(m.headers) : [],
      ...(example
        ? {
            example: {
              ...(example.name !== undefined ? { name: example.name } : {}),
              ...(example.summary !== undefined ? { summary: example.summary } : {}),
              json: JSON.stringify(example.payload, null, 2),
            },
          }
        : {}),
      exampleCount: m.examples.length,
    };
  });

  const sends = dedupe(
    ops.filter((o) => o.action === 'send').map((o) => ({ service: serviceOf(o), channel: chRef(o.channelId).text })),
    (s) => `${s.service}\0${s.channel}`,
  );
  const receives = dedupe(
    ops.filter((o) => o.action === 'receive').map((o) => ({ service: serviceOf(o), channel: chRef(o.channelId).text })),
    (s) => `${s.service}\0${s.channel}`,
  );
  const edges: FlowEdge[] = [];
  for (const s of sends) for (const r of receives) if (r.channel === s.channel) edges.push({ from: s.service, channel: s.channel, to: r.service });
  const services = dedupe(ops.map(serviceOf), (s) => s);
  const { flows, omitted } = deriveFlows(system.document['x-evc-flows'], sends, receives, {
    maxFlows: options.maxFlows ?? 6,
    maxSteps: options.maxFlowSteps ?? 24,
    maxDepth: options.maxFlowDepth ?? 4,
  });

  return {
    id: system.id,
    slug: system.id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || 'system',
    title: system.title,
    version: system.version,
    ...(system.description !== undefined ? { description: system.description } : {}),
    sourceFile: basename(system.file),
    channelNoun: channelNoun(protocols),
    protocols,
    servers: system.servers.map((s) => ({
      id: s.id,
      host: s.host,
      protocol: s.protocol,
      ...(s.protocolVersion !== undefined ? { protocolVersion: s.protocolVersion } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
    })),
    channels,
    groups,
    messages,
    services,
    sends,
    receives,
    edges,
    flows,
    flowsOmitted: omitted,
  };
}
