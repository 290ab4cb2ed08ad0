/**
 * CloudEvents 1.0 mapping of any contract envelope, structured (one JSON object) and
 * binary (`ce-*` headers + data body), and back.
 *
 * id, type, time map to the envelope's fields; correlation, causation and sequence to the
 * extensions `correlationid`, `causationid`, `sequence`. `data` is the value at the
 * envelope's `data` pointer when it declares one, else the payload without its envelope
 * fields. Payload fields that fit neither (beside a declared `data`) travel as JSON in the
 * extension `evcextra`, so the round trip is exact.
 */
import { textOf } from './bytes.js';
import type { EnvelopeDescriptor } from './descriptor.js';
import { DecodeError } from './errors.js';
import { getPointer, parsePointer, withPointer } from './json-pointer.js';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  datacontenttype?: string;
  subject?: string;
  data?: unknown;
  correlationid?: string;
  causationid?: string;
  sequence?: number | string;
  evcextra?: string;
  [extension: string]: unknown;
}

export interface ToCloudEventOptions {
  /** CloudEvents `source`, e.g. the service name (ClientOptions.source). */
  source: string;
  subject?: string;
}

export interface BinaryCloudEvent {
  headers: Record<string, string>;
  body: Uint8Array;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

const ENVELOPE_FIELDS = ['id', 'type', 'time', 'correlationId', 'causationId', 'sequence'] as const;
const EXTENSION: Record<string, string> = { correlationId: 'correlationid', causationId: 'causationid', sequence: 'sequence' };

/** Top-level payload keys the envelope maps (only single-token pointers can be stripped from `data`). */
function topLevelKeys(envelope: EnvelopeDescriptor): Set<string> {
  const keys = new Set<string>();
  for (const f of [...ENVELOPE_FIELDS, 'data'] as const) {
    const ptr = envelope[f];
    if (ptr) {
      const t = parsePointer(ptr);
      if (t.length >= 1) keys.add(t[0]!);
    }
  }
  return keys;
}

/**
 * @example
 * const ce = toCloudEvent(system.envelope!, event, { source: 'gen-service' });
 * // { specversion: '1.0', id, source: 'gen-service', type: 'skill.created', time, data, correlationid }
 */
export function toCloudEvent(envelope: EnvelopeDescriptor, payload: unknown, options: ToCloudEventOptions): CloudEvent {
  if (payload === null || typeof payload !== 'object') throw new DecodeError('a CloudEvent needs an object payload');
  const id = str(getPointer(payload, envelope.id));
  const type = str(getPointer(payload, envelope.type));
  if (id === undefined || type === undefined) throw new DecodeError(`payload lacks the envelope id (${envelope.id}) or type (${envelope.type})`);
  const ce: CloudEvent = { specversion: '1.0', id, source: options.source, type, datacontenttype: 'application/json' };
  if (options.subject) ce.subject = options.subject;
  if (envelope.time) {
    const t = getPointer(payload, envelope.time);
    if (t !== undefined) ce.time = typeof t === 'number' ? new Date(t).toISOString() : String(t);
  }
  for (const f of ['correlationId', 'causationId', 'sequence'] as const) {
    const ptr = envelope[f];
    const v = ptr ? getPointer(payload, ptr) : undefined;
    if (v !== undefined && v !== null) ce[EXTENSION[f]!] = f === 'sequence' && typeof v === 'number' ? v : String(v);
  }
  const mapped = topLevelKeys(envelope);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) if (!mapped.has(k)) rest[k] = v;
  if (envelope.data) {
    const data = getPointer(payload, envelope.data);
    if (data !== undefined) ce.data = data;
    if (Object.keys(rest).length > 0) ce.evcextra = JSON.stringify(rest);
  } else {
    ce.data = rest;
  }
  return ce;
}

/** Rebuilds the contract payload from a CloudEvent made by toCloudEvent (or any CloudEvent with the same shape). */
export function fromCloudEvent(envelope: EnvelopeDescriptor, ce: CloudEvent): Record<string, unknown> {
  if (ce.specversion !== '1.0') throw new DecodeError(`unsupported CloudEvents specversion ${String(ce.specversion)}`);
  let out: Record<string, unknown> = {};
  if (envelope.data) {
    if (typeof ce.evcextra === 'string') out = { ...(JSON.parse(ce.evcextra) as Record<string, unknown>) };
    if (ce.data !== undefined) out = withPointer(out, envelope.data, ce.data);
  } else if (ce.data !== null && typeof ce.data === 'object' && !Array.isArray(ce.data)) {
    out = { ...(ce.data as Record<string, unknown>) };
  }
  out = withPointer(out, envelope.id, ce.id);
  out = withPointer(out, envelope.type, ce.type);
  if (envelope.time && ce.time !== undefined) out = withPointer(out, envelope.time, ce.time);
  for (const f of ['correlationId', 'causationId', 'sequence'] as const) {
    const ptr = envelope[f];
    const v = ce[EXTENSION[f]!];
    if (ptr && v !== undefined) out = withPointer(out, ptr, f === 'sequence' && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  }
  return out;
}

/** Binary mode: every attribute as a `ce-` header, `content-type` from datacontenttype, data as the body. */
export function toBinaryCloudEvent(ce: CloudEvent): BinaryCloudEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ce)) {
    if (k === 'data' || k === 'datacontenttype' || v === undefined) continue;
    headers[`ce-${k}`] = String(v);
  }
  headers['content-type'] = ce.datacontenttype ?? 'application/json';
  const body = ce.data === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(ce.data), 'utf8');
  return { headers, body };
}

/** `body`: the message value, bytes or text (a delivery's `value` from the in-memory transport is text). */
export function fromBinaryCloudEvent(headers: Record<string, string>, body: Uint8Array | string): CloudEvent {
  const ce: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('ce-')) ce[lower.slice(3)] = v;
  }
  if (ce.specversion !== '1.0' || typeof ce.id !== 'string' || typeof ce.type !== 'string' || typeof ce.source !== 'string') {
    throw new DecodeError('not a binary CloudEvent: ce-specversion 1.0, ce-id, ce-source and ce-type are required');
  }
  if (typeof ce.sequence === 'string' && /^\d+$/.test(ce.sequence)) ce.sequence = Number(ce.sequence);
  const contentType = headers['content-type'] ?? headers['Content-Type'];
  if (contentType) ce.datacontenttype = contentType;
  const text = textOf(body);
  if (text.length > 0) {
    try {
      ce.data = JSON.parse(text);
    } catch (e) {
      throw new DecodeError('binary CloudEvent body is not JSON', { cause: e });
    }
  }
  return ce as CloudEvent;
}
