/**
 * The contract's envelope: which payload fields carry id, type, time, correlation,
 * causation and sequence. Publishing fills the declared fields the caller left out.
 */
import { isoNow } from './clock.js';
import type { EnvelopeDescriptor, MessageDescriptor } from './descriptor.js';
import { GenerationalMap } from './generational-map.js';
import { getPointer, parsePointer, withPointer } from './json-pointer.js';
import { uuidV4 } from './uuid.js';

/** What the publisher knows beyond the payload. */
export interface EnvelopeContext {
  correlationId?: string | undefined;
  causationId?: string | undefined;
  /** Sequence of the event this one follows from (ctx.publish), so chains count on across processes. */
  parentSequence?: number | undefined;
}

/** Envelope values read from a payload (after filling). */
export interface EnvelopeValues {
  id?: string | undefined;
  type?: string | undefined;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  sequence?: number | undefined;
}

/**
 * A per-correlation counter, bounded so long-running services do not grow it forever.
 * The next number is one past both what this process counted and the parent's sequence.
 */
export interface SequenceCounter {
  next(correlationId: string, parentSequence?: number): number;
}

export function createSequenceCounter(maxEntries = 10_000): SequenceCounter {
  const counters = new GenerationalMap<number>(maxEntries);
  return {
    next(correlationId, parentSequence = 0) {
      const n = Math.max(counters.get(correlationId) ?? 0, parentSequence) + 1;
      counters.set(correlationId, n);
      return n;
    },
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

const isMissing = (v: unknown): boolean => v === undefined || v === null || v === '';

/** Where the correlation id lives: the envelope's field, else the message's AsyncAPI `correlationId` location. */
export function correlationPointer(envelope: EnvelopeDescriptor | undefined, message: MessageDescriptor | undefined): string | undefined {
  return envelope?.correlationId ?? message?.correlationIdPointer;
}

/**
 * Returns the payload with every declared, missing envelope field filled. The input is
 * not mutated; when nothing is missing the same object is returned.
 */
export function fillEnvelope(
  payload: unknown,
  envelope: EnvelopeDescriptor | undefined,
  message: MessageDescriptor,
  context: EnvelopeContext,
  sequences: SequenceCounter,
  now?: number,
): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const draft = new Draft(payload as Record<string, unknown>);
  if (envelope) {
    if (isMissing(getPointer(payload, envelope.id))) draft.set(envelope.id, uuidV4());
    if (message.eventType !== undefined && isMissing(getPointer(payload, envelope.type))) draft.set(envelope.type, message.eventType);
    if (envelope.time && isMissing(getPointer(payload, envelope.time))) draft.set(envelope.time, isoNow(now));
  }
  const corrPtr = correlationPointer(envelope, message);
  let correlationId: unknown = corrPtr ? getPointer(payload, corrPtr) : context.correlationId;
  let freshCorrelation = false;
  if (corrPtr && isMissing(correlationId)) {
    freshCorrelation = context.correlationId === undefined;
    correlationId = context.correlationId ?? uuidV4();
    draft.set(corrPtr, correlationId);
  }
  if (envelope?.causationId && context.causationId !== undefined && isMissing(getPointer(payload, envelope.causationId))) {
    draft.set(envelope.causationId, context.causationId);
  }
  if (envelope?.sequence && isMissing(getPointer(payload, envelope.sequence))) {
    // A correlation id made up just now starts a chain: 1, and nothing to remember yet
    // (follow-ups through ctx.publish carry the parent's sequence).
    const seq = freshCorrelation ? 1 : sequences.next(typeof correlationId === 'string' ? correlationId : '', context.parentSequence);
    draft.set(envelope.sequence, seq);
  }
  return draft.out;
}

/**
 * Copy-on-write of the caller's payload. Top-level fields are collected and the copy is
 * built once, envelope fields first: adding properties to a spread copy one by one is
 * an order of magnitude slower in V8, and this runs on every publish.
 */
class Draft {
  private keys: string[] = [];
  private values: unknown[] = [];
  private deep: [string, unknown][] | undefined;
  constructor(private readonly payload: Record<string, unknown>) {}

  set(pointer: string, value: unknown): void {
    const tokens = parsePointer(pointer);
    if (tokens.length === 1) {
      this.keys.push(tokens[0]!);
      this.values.push(value);
    } else {
      (this.deep ??= []).push([pointer, value]);
    }
  }

  get out(): Record<string, unknown> {
    if (this.keys.length === 0 && !this.deep) return this.payload;
    let out: Record<string, unknown> = {};
    const { keys, values, payload } = this;
    for (let i = 0; i < keys.length; i++) out[keys[i]!] = values[i];
    for (const k of Object.keys(payload)) if (!keys.includes(k)) out[k] = payload[k];
    if (this.deep) for (const [pointer, value] of this.deep) out = withPointer(out, pointer, value);
    return out;
  }
}

export function readEnvelope(payload: unknown, envelope: EnvelopeDescriptor | undefined, message?: MessageDescriptor): EnvelopeValues {
  const corrPtr = correlationPointer(envelope, message);
  const seq = envelope?.sequence ? getPointer(payload, envelope.sequence) : undefined;
  return {
    id: envelope ? str(getPointer(payload, envelope.id)) : undefined,
    type: envelope ? str(getPointer(payload, envelope.type)) : message?.eventType,
    correlationId: corrPtr ? str(getPointer(payload, corrPtr)) : undefined,
    causationId: envelope?.causationId ? str(getPointer(payload, envelope.causationId)) : undefined,
    sequence: typeof seq === 'number' ? seq : undefined,
  };
}

/**
 * Picks the message a payload is: by its envelope type when the operation has several,
 * else the only one. Returns undefined when that cannot be decided without validating.
 */
export function messageByType(messages: MessageDescriptor[], payload: unknown, envelope: EnvelopeDescriptor | undefined): MessageDescriptor | undefined {
  if (messages.length === 1) return messages[0];
  if (envelope) {
    const type = getPointer(payload, envelope.type);
    if (typeof type === 'string') return messages.find((m) => m.eventType === type);
  }
  return undefined;
}

/**
 * `fillEnvelope` + `readEnvelope` for one (envelope, message) pair, compiled once. When
 * every envelope field is a top-level property (the usual contract) the payload is read
 * and the copy built with plain property accesses, and the values read back are the
 * ones just written; otherwise it falls back to the generic pointer walk. Same results
 * either way (test/runtime/envelope-plan.test.ts checks both against each other).
 */
export class EnvelopePlan {
  private readonly fast: boolean;
  private readonly idKey: string;
  private readonly typeKey: string;
  private readonly timeKey: string | undefined;
  private readonly corrKey: string | undefined;
  private readonly causKey: string | undefined;
  private readonly seqKey: string | undefined;
  private readonly eventType: string | undefined;

  constructor(
    private readonly envelope: EnvelopeDescriptor | undefined,
    private readonly message: MessageDescriptor,
  ) {
    const top = (pointer: string | undefined): string | undefined | null => {
      if (pointer === undefined) return undefined;
      const tokens = parsePointer(pointer);
      return tokens.length === 1 ? tokens[0]! : null;
    };
    const corr = top(correlationPointer(envelope, message));
    const id = envelope ? top(envelope.id) : undefined;
    const type = envelope ? top(envelope.type) : undefined;
    const time = top(envelope?.time || undefined);
    const caus = top(envelope?.causationId || undefined);
    const seq = top(envelope?.sequence || undefined);
    this.fast = ![corr, id, type, time, caus, seq].includes(null);
    this.idKey = id ?? '';
    this.typeKey = type ?? '';
    this.timeKey = time ?? undefined;
    this.corrKey = corr ?? undefined;
    this.causKey = caus ?? undefined;
    this.seqKey = seq ?? undefined;
    this.eventType = message.eventType;
  }

  /**
   * `fillEnvelope(payload, …)`, and writes `readEnvelope(filled, …)` into `env`. The
   * input is not mutated; when nothing is missing the same object is returned. `now`
   * (Date.now() milliseconds) is the time a missing time field gets; a batch passes one
   * for all its events, like its `evc-published-at` (default: read the clock).
   */
  fill(payload: unknown, context: EnvelopeContext, sequences: SequenceCounter, env: EnvelopeValues, now?: number): unknown {
    if (!this.fast || payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      const filled = fillEnvelope(payload, this.envelope, this.message, context, sequences, now);
      this.read(filled, env);
      return filled;
    }
    const p = payload as Record<string, unknown>;
    const { envelope, idKey, typeKey, timeKey, corrKey, causKey, seqKey } = this;
    let id: unknown;
    let type: unknown;
    let time: unknown;
    let fillId = false;
    let fillType = false;
    let fillTime = false;
    if (envelope) {
      id = p[idKey];
      if (isMissing(id)) (id = uuidV4()), (fillId = true);
      type = p[typeKey];
      if (this.eventType !== undefined && isMissing(type)) (type = this.eventType), (fillType = true);
      if (timeKey !== undefined) {
        time = p[timeKey];
        if (isMissing(time)) (time = isoNow(now)), (fillTime = true);
      }
    }
    let correlationId: unknown = corrKey !== undefined ? p[corrKey] : context.correlationId;
    let fillCorr = false;
    let freshCorrelation = false;
    if (corrKey !== undefined && isMissing(correlationId)) {
      freshCorrelation = context.correlationId === undefined;
      correlationId = context.correlationId ?? uuidV4();
      fillCorr = true;
    }
    let causationId: unknown = causKey !== undefined ? p[causKey] : undefined;
    let fillCaus = false;
    if (causKey !== undefined && context.causationId !== undefined && isMissing(causationId)) {
      causationId = context.causationId;
      fillCaus = true;
    }
    let sequence: unknown = seqKey !== undefined ? p[seqKey] : undefined;
    let fillSeq = false;
    if (seqKey !== undefined && isMissing(sequence)) {
      sequence = freshCorrelation ? 1 : sequences.next(typeof correlationId === 'string' ? correlationId : '', context.parentSequence);
      fillSeq = true;
    }

    let out = p;
    if (fillId || fillType || fillTime || fillCorr || fillCaus || fillSeq) {
      // Envelope fields first, in this order, then the caller's other fields: the same
      // key order as fillEnvelope, so the same bytes.
      out = {};
      if (fillId) out[idKey] = id;
      if (fillType) out[typeKey] = type;
      if (fillTime) out[timeKey!] = time;
      if (fillCorr) out[corrKey!] = correlationId;
      if (fillCaus) out[causKey!] = causationId;
      if (fillSeq) out[seqKey!] = sequence;
      const keys = Object.keys(p);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (
          (fillId && k === idKey) ||
          (fillType && k === typeKey) ||
          (fillTime && k === timeKey) ||
          (fillCorr && k === corrKey) ||
          (fillCaus && k === causKey) ||
          (fillSeq && k === seqKey)
        ) {
          continue;
        }
        out[k] = p[k];
      }
      // Two envelope fields on one property: the later write wins, as in fillEnvelope.
      if (envelope) {
        id = out[idKey];
        type = out[typeKey];
      }
      if (corrKey !== undefined) correlationId = out[corrKey];
      if (causKey !== undefined) causationId = out[causKey];
      if (seqKey !== undefined) sequence = out[seqKey];
    }
    env.id = envelope ? str(id) : undefined;
    env.type = envelope ? str(type) : this.eventType;
    env.correlationId = corrKey !== undefined ? str(correlationId) : undefined;
    env.causationId = causKey !== undefined ? str(causationId) : undefined;
    env.sequence = typeof sequence === 'number' ? sequence : undefined;
    return out;
  }

  /** `readEnvelope(payload, envelope, message)`, written into `env`. */
  read(payload: unknown, env: EnvelopeValues): EnvelopeValues {
    if (!this.fast || payload === null || typeof payload !== 'object') {
      const r = readEnvelope(payload, this.envelope, this.message);
      env.id = r.id;
      env.type = r.type;
      env.correlationId = r.correlationId;
      env.causationId = r.causationId;
      env.sequence = r.sequence;
      return env;
    }
    const p = payload as Record<string, unknown>;
    const seq = this.seqKey !== undefined ? p[this.seqKey] : undefined;
    env.id = this.envelope ? str(p[this.idKey]) : undefined;
    env.type = this.envelope ? str(p[this.typeKey]) : this.eventType;
    env.correlationId = this.corrKey !== undefined ? str(p[this.corrKey]) : undefined;
    env.causationId = this.causKey !== undefined ? str(p[this.causKey]) : undefined;
    env.sequence = typeof seq === 'number' ? seq : undefined;
    return env;
  }
}

/** One plan per (envelope, message), made on first use. */
export function envelopePlan(
  cache: WeakMap<MessageDescriptor, EnvelopePlan>,
  envelope: EnvelopeDescriptor | undefined,
  message: MessageDescriptor,
): EnvelopePlan {
  let plan = cache.get(message);
  if (!plan) cache.set(message, (plan = new EnvelopePlan(envelope, message)));
  return plan;
}
