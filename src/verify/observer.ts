/**
 * `evc verify`'s observer: joins a system's channels as a consumer group of its own
 * (`evc-verify-<random>`, never a service's group, so it takes nothing from anyone), reads
 * every message raw from the transport (no consume pipeline: it never dead-letters or
 * retries anything), checks each with the all-errors validators of `evc validate`
 * (src/validate/checker.ts) and the envelope rules below, and counts per channel.
 *
 * Envelope rules (where the contract declares the field):
 * - `missing-id`: the event id is absent or empty; `duplicate-id`: an id seen before on
 *   the same channel;
 * - `header-mismatch`: the evc-id / evc-type / evc-correlation-id headers disagree with
 *   the payload;
 * - `causation-unknown`: a causation id names no event seen (checked when the observer
 *   stops, since the cause may arrive later from another channel; only when every channel
 *   was joined, and not for events published in the first `graceMs`, whose cause may
 *   predate the observer);
 * - `correlation-chain`: an event's correlation id differs from its cause's;
 * - `sequence-chain`: an event's sequence number is not past its cause's;
 *   `sequence-order`: per channel, key and correlation id, sequence numbers do not
 *   increase in delivery order.
 */
import { randomUUID } from 'node:crypto';
import { getPointer, HEADER, textOf, type Delivery, type Subscription, type Transport } from '@event-contracts/runtime';
import type { ChannelModel, SystemModel } from '../contract/ir.js';
import { createChecker, type Checker } from '../validate/checker.js';
import type { Violation } from '../validate/explain.js';
import { payloadPointer } from '../codegen/context.js';

export interface ChannelReport {
  id: string;
  address: string;
  /** False when the observer could not join it (see `reason`). */
  joined: boolean;
  reason?: string;
  seen: number;
  valid: number;
  invalid: number;
  /** Messages whose type the channel does not declare. */
  undeclared: number;
  /** The first problems (up to `maxErrors` per channel). */
  errors: MessageProblem[];
}

export interface MessageProblem {
  position: string;
  kind: 'invalid' | 'undeclared' | 'not-json';
  messageId?: string;
  eventType?: string;
  /** Instance path (JSON pointer) and what the schema expected. */
  violations: Array<{ pointer: string; text: string }>;
}

export type EnvelopeRule = 'missing-id' | 'duplicate-id' | 'header-mismatch' | 'causation-unknown' | 'correlation-chain' | 'sequence-chain' | 'sequence-order';

export interface EnvelopeViolation {
  rule: EnvelopeRule;
  channel: string;
  position: string;
  eventId?: string;
  text: string;
}

export interface VerifyReport {
  system: string;
  group: string;
  transport: string;
  durationMs: number;
  channels: ChannelReport[];
  /** Joined channels that carried nothing. */
  silent: string[];
  /** The first envelope violations (up to 50) and how many there were. */
  envelope: { violations: EnvelopeViolation[]; total: number; byRule: Partial<Record<EnvelopeRule, number>> };
  /** Causation ids that could not be resolved but were not counted (causes outside the window or on channels not joined). */
  unresolvedCausations: number;
  totals: { seen: number; valid: number; invalid: number; undeclared: number; envelopeViolations: number };
  /** No invalid message, no undeclared type, no envelope violation. */
  ok: boolean;
}

/** A message as the observer saw it (for scenarios). */
export interface ObservedMessage {
  channelId: string;
  address: string;
  position: string;
  key?: string | undefined;
  headers: Record<string, string>;
  payload: unknown;
  messageId?: string | undefined;
  eventType?: string | undefined;
  valid: boolean;
  correlationId?: string | undefined;
  receivedAt: number;
}

export interface VerifyOptions {
  system: SystemModel;
  transport: Transport;
  /** Join only the channels these services send to or receive from. */
  services?: string[];
  fromBeginning?: boolean;
  /** Default `evc-verify-<random>`. */
  group?: string;
  /** Problems kept per channel (default 5). */
  maxErrors?: number;
  /** Causes may predate the observer for events published this soon after it joined (default 5000 ms). */
  graceMs?: number;
  /** Deliveries handled at once (order per key is kept by the transport). Default 64. */
  concurrency?: number;
  /** Called for every message after it was checked. */
  onMessage?: (m: ObservedMessage) => void;
}

export interface Observer {
  readonly group: string;
  /** Concrete addresses joined. */
  readonly addresses: string[];
  /** Messages checked so far. */
  seen(): number;
  /** Leaves the group (the transport stays open) and returns the report. */
  stop(): Promise<VerifyReport>;
}

const MAX_ENVELOPE_SHOWN = 50;

const MAX_TRACKED = 2_000_000;

/** Concrete addresses of a channel: its address, or one per combination of enumerated parameter values. */
export function concreteAddresses(c: ChannelModel): { addresses: string[]; reason?: string } {
  const address = c.address ?? c.id;
  if (c.parameters.length === 0 || !address.includes('{')) return { addresses: [address] };
  let out = [address];
  for (const p of c.parameters) {
    const values = p.enum ?? (p.default !== undefined ? [p.default] : undefined);
    if (!values || values.length === 0) return { addresses: [], reason: `address ${address} has parameter {${p.name}} without enum or default values` };
    out = out.flatMap((a) => values.map((v) => a.split(`{${p.name}}`).join(v)));
  }
  return { addresses: out };
}

/** Channels of the services (any operation of theirs), or all. */
export function verifiedChannels(system: SystemModel, services: readonly string[] = []): ChannelModel[] {
  if (services.length === 0) return system.channels;
  const ids = new Set(system.operations.filter((o) => o.service !== undefined && services.includes(o.service)).map((o) => o.channelId));
  return system.channels.filter((c) => ids.has(c.id));
}

export async function startObserver(options: VerifyOptions): Promise<Observer> {
  const { system, transport } = options;
  const maxErrors = options.maxErrors ?? 5;
  const graceMs = options.graceMs ?? 5000;
  const group = options.group ?? `evc-verify-${randomUUID().slice(0, 8)}`;
  const envelope = system.envelope;
  const channels = verifiedChannels(system, options.services);
  const reports = new Map<string, ChannelReport>();
  const byAddress = new Map<string, { channel: ChannelModel; report: ChannelReport; checker: Checker; types: Set<string> }>();
  for (const c of channels) {
    const { addresses, reason } = concreteAddresses(c);
    const report: ChannelReport = {
      id: c.id,
      address: c.address ?? c.id,
      joined: addresses.length > 0,
      seen: 0,
      valid: 0,
      invalid: 0,
      undeclared: 0,
      errors: [],
    };
    if (reason) report.reason = reason;
    reports.set(c.id, report);
    if (addresses.length === 0 || c.messageIds.length === 0) {
      if (c.messageIds.length === 0) Object.assign(report, { joined: false, reason: 'the channel declares no messages' });
      continue;
    }
    const checker = createChecker(system, { channel: c.id });
    const types = new Set(c.messageIds.map((id) => system.messages.find((m) => m.id === id)?.eventType).filter((t): t is string => t !== undefined));
    for (const a of addresses) byAddress.set(a, { channel: c, report, checker, types });
  }
  const allJoined = system.channels.every((c) => reports.get(c.id)?.joined === true || c.messageIds.length === 0);

  // Envelope state.
  const correlationPointers = new Map(system.messages.map((m) => [m.id, envelope?.correlationId ?? payloadPointer(m.correlationIdLocation)]));
  const correlationOf = (messageId: string | undefined, value: unknown): string | undefined => {
    const ptr = messageId !== undefined ? correlationPointers.get(messageId) : envelope?.correlationId;
    if (ptr === undefined) return undefined;
    const v = getPointer(value, ptr);
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const envViolations: EnvelopeViolation[] = [];
  let envTotal = 0;
  const byRule: Partial<Record<EnvelopeRule, number>> = {};
  const violate = (v: EnvelopeViolation) => {
    envTotal++;
    byRule[v.rule] = (byRule[v.rule] ?? 0) + 1;
    if (envViolations.length < MAX_ENVELOPE_SHOWN) envViolations.push(v);
  };
  /** Event id → its correlation id and sequence (for causation checks), per channel ids for duplicates. */
  const events = new Map<string, { correlation?: string | undefined; sequence?: number | undefined }>();
  const idsByChannel = new Map<string, Set<string>>();
  const lastSequence = new Map<string, number>();
  const pending: Array<{
    id?: string | undefined;
    causation: string;
    correlation?: string | undefined;
    sequence?: number | undefined;
    channel: string;
    position: string;
    publishedAt: number;
  }> = [];
  let total = 0;
  const started = Date.now();

  const problem = (report: ChannelReport, p: MessageProblem) => {
    if (report.errors.length < maxErrors) report.errors.push(p);
  };

  const handle = async (d: Delivery): Promise<void> => {
    const entry = byAddress.get(d.channel);
    if (!entry) return;
    const { report, checker, types, channel } = entry;
    total++;
    report.seen++;
    let value: unknown;
    try {
      value = JSON.parse(textOf(d.value));
    } catch (err) {
      report.invalid++;
      problem(report, { position: d.position, kind: 'not-json', violations: [{ pointer: '', text: `not valid JSON: ${(err as Error).message}` }] });
      return;
    }
    const rawType = envelope?.type !== undefined ? getPointer(value, envelope.type) : undefined;
    const eventType = typeof rawType === 'string' ? rawType : undefined;
    let messageId: string | undefined;
    let valid = false;
    if (eventType !== undefined && types.size > 0 && !types.has(eventType)) {
      report.undeclared++;
      const elsewhere = system.messages.find((m) => m.eventType === eventType);
      problem(report, {
        position: d.position,
        kind: 'undeclared',
        eventType,
        violations: [
          {
            pointer: envelope!.type,
            text: `type "${eventType}" is not declared on channel ${channel.id} (declared: ${[...types].sort().join(', ')})${elsewhere ? `; the contract declares it as ${elsewhere.id} on ${elsewhere.channelIds.join(', ')}` : ''}`,
          },
        ],
      });
    } else {
      const r = checker.check(value);
      messageId = r.messageId;
      if (r.status === 'valid') {
        valid = true;
        report.valid++;
      } else {
        report.invalid++;
        problem(report, {
          position: d.position,
          kind: 'invalid',
          ...(r.messageId !== undefined ? { messageId: r.messageId } : {}),
          ...(r.eventType !== undefined ? { eventType: r.eventType } : {}),
          violations: r.violations.map((v: Violation) => ({ pointer: v.pointer, text: v.text })),
        });
      }
    }
    const correlation = correlationOf(messageId, value);
    if (envelope) checkEnvelope(d, channel, value, eventType, correlation);
    options.onMessage?.({
      channelId: channel.id,
      address: d.channel,
      position: d.position,
      key: d.key,
      headers: d.headers,
      payload: value,
      messageId,
      eventType,
      valid,
      correlationId: correlation,
      receivedAt: Date.now(),
    });
  };

  function checkEnvelope(d: Delivery, channel: ChannelModel, value: unknown, eventType: string | undefined, correlation: string | undefined): void {
    const env = envelope!;
    const rawId = getPointer(value, env.id);
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : typeof rawId === 'number' ? String(rawId) : undefined;
    const at = { channel: channel.id, position: d.position };
    if (id === undefined) violate({ rule: 'missing-id', ...at, text: `no event id at ${env.id}` });
    else {
      let ids = idsByChannel.get(channel.id);
      if (!ids) idsByChannel.set(channel.id, (ids = new Set()));
      if (ids.has(id)) violate({ rule: 'duplicate-id', ...at, eventId: id, text: `event id ${id} was seen before on ${channel.id}` });
      else if (ids.size < MAX_TRACKED) ids.add(id);
    }
    const headerChecks: Array<[string, string | undefined, string]> = [
      [HEADER.id, id, env.id],
      [HEADER.type, eventType, env.type],
      [HEADER.correlationId, correlation, env.correlationId ?? 'the correlation id'],
    ];
    for (const [header, payloadValue, where] of headerChecks) {
      const h = d.headers[header];
      if (h !== undefined && payloadValue !== undefined && h !== payloadValue) {
        violate({ rule: 'header-mismatch', ...at, ...(id ? { eventId: id } : {}), text: `header ${header} is "${h}" but ${where} is "${payloadValue}"` });
      }
    }
    const rawSeq = env.sequence ? getPointer(value, env.sequence) : undefined;
    const sequence = typeof rawSeq === 'number' ? rawSeq : undefined;
    if (sequence !== undefined && correlation !== undefined) {
      const k = `${channel.id}\0${d.key ?? ''}\0${correlation}`;
      const last = lastSequence.get(k);
      if (last !== undefined && sequence <= last) {
        violate({
          rule: 'sequence-order',
          ...at,
          ...(id ? { eventId: id } : {}),
          text: `sequence ${sequence} after ${last} on ${channel.id} (key ${d.key ?? '(none)'}, correlation ${correlation}): sequence numbers must increase`,
        });
      }
      if (lastSequence.size < MAX_TRACKED || last !== undefined) lastSequence.set(k, Math.max(sequence, last ?? -Infinity));
    }
    if (id !== undefined && events.size < MAX_TRACKED) events.set(id, { correlation, sequence });
    const rawCause = env.causationId ? getPointer(value, env.causationId) : undefined;
    if (typeof rawCause === 'string' && rawCause !== '' && pending.length < MAX_TRACKED) {
      const publishedAt = Number(d.headers[HEADER.publishedAt] ?? d.timestamp ?? Date.now());
      pending.push({
        id,
        causation: rawCause,
        correlation,
        sequence,
        channel: channel.id,
        position: d.position,
        publishedAt: Number.isFinite(publishedAt) ? publishedAt : Date.now(),
      });
    }
  }

  const addresses = [...byAddress.keys()];
  let sub: Subscription | undefined;
  if (addresses.length > 0) {
    sub = await transport.subscribe({
      group,
      channels: addresses,
      consumerId: `${group}-1`,
      concurrency: options.concurrency ?? 64,
      fromBeginning: options.fromBeginning ?? false,
      handler: handle,
    });
  }

  return {
    group,
    addresses,
    seen: () => total,
    async stop() {
      await sub?.stop();
      // Its own group goes when it stops: Redis keeps a stream's groups until destroyed, and
      // Kafka would list an idle group for the offsets retention (7 days by default) per run.
      await transport.deleteGroup?.(group, addresses);
      let unresolved = 0;
      for (const p of pending) {
        const cause = events.get(p.causation);
        const at = { channel: p.channel, position: p.position, ...(p.id ? { eventId: p.id } : {}) };
        if (!cause) {
          if (allJoined && (options.fromBeginning || p.publishedAt > started + graceMs)) {
            violate({ rule: 'causation-unknown', ...at, text: `causation id ${p.causation} names no event seen on the contract's channels` });
          } else unresolved++;
          continue;
        }
        if (cause.correlation !== undefined && p.correlation !== undefined && cause.correlation !== p.correlation) {
          violate({ rule: 'correlation-chain', ...at, text: `correlation id ${p.correlation} differs from its cause ${p.causation}'s (${cause.correlation})` });
        }
        if (cause.sequence !== undefined && p.sequence !== undefined && p.sequence <= cause.sequence) {
          violate({ rule: 'sequence-chain', ...at, text: `sequence ${p.sequence} is not past its cause ${p.causation}'s (${cause.sequence})` });
        }
      }
      const list = [...reports.values()];
      const totals = { seen: 0, valid: 0, invalid: 0, undeclared: 0, envelopeViolations: envTotal };
      for (const r of list) {
        totals.seen += r.seen;
        totals.valid += r.valid;
        totals.invalid += r.invalid;
        totals.undeclared += r.undeclared;
      }
      return {
        system: system.id,
        group,
        transport: transport.name,
        durationMs: Date.now() - started,
        channels: list,
        silent: list.filter((r) => r.joined && r.seen === 0).map((r) => r.id),
        envelope: { violations: envViolations, total: envTotal, byRule },
        unresolvedCausations: unresolved,
        totals,
        ok: totals.invalid === 0 && totals.undeclared === 0 && envTotal === 0,
      };
    },
  };
}
