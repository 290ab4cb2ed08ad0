/**
 * The layout of one stream entry. Seed 004 writes `XADD events:workflow.started * data
 * '<json>'`, so the message value goes in the field `data`, byte for byte: consumers
 * outside the SDK (redis-cli, a Python worker) can still read it. The SDK adds `key`
 * and `headers` (a JSON object of strings) only when there is something to carry.
 */
import { bufferOf } from '../../buffers.js';
import type { Delivery, WireMessage } from '../../transport.js';

export const FIELD_DATA = 'data';
export const FIELD_KEY = 'key';
export const FIELD_HEADERS = 'headers';

/** Extra fields on a dead-letter entry, beside the original `data`/`key`/`headers`. */
export const DLQ_FIELDS = {
  error: 'error',
  errorName: 'error_name',
  attempts: 'attempts',
  sourceStream: 'source_stream',
  sourceId: 'source_id',
  group: 'group',
  consumer: 'consumer',
  failedAt: 'failed_at',
} as const;

/** Field/value pairs for XADD, in order. */
export function encodeEntry(message: WireMessage): (string | Buffer)[] {
  const fields: (string | Buffer)[] = [FIELD_DATA, bufferOf(message.value)];
  if (message.key !== undefined) fields.push(FIELD_KEY, message.key);
  const headers = message.headers;
  let hasHeaders = false;
  for (const _ in headers) {
    hasHeaders = true;
    break;
  }
  if (hasHeaders) fields.push(FIELD_HEADERS, JSON.stringify(headers));
  return fields;
}

/** What a raw entry holds, before it becomes a Delivery. */
export interface DecodedEntry {
  key: string | undefined;
  value: Buffer;
  headers: Record<string, string>;
  /** Every field, for dead letters (kept as read, so foreign fields survive). */
  raw: Buffer[];
}

/**
 * Reads the fields of an entry (as Buffers, so a binary value survives). An entry
 * written by someone else without a `data` field is handed over as the JSON object of
 * all its fields, so nothing is silently dropped.
 */
export function decodeEntry(fields: Buffer[]): DecodedEntry {
  let value: Buffer | undefined;
  let key: string | undefined;
  let headers: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const v = fields[i + 1]!;
    // Compared as bytes: no string per field name and entry.
    if (isName(name, FIELD_DATA)) value = v;
    else if (isName(name, FIELD_KEY)) key = v.toString();
    else if (isName(name, FIELD_HEADERS)) headers = parseHeaders(v.toString());
  }
  if (value === undefined) {
    const all: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) all[fields[i]!.toString()] = fields[i + 1]!.toString();
    value = Buffer.from(JSON.stringify(all));
  }
  return { key, value, headers, raw: fields };
}

/** Whether the field name `buf` is `name` (ASCII). */
function isName(buf: Buffer, name: string): boolean {
  if (buf.length !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[i] !== name.charCodeAt(i)) return false;
  return true;
}

function parseHeaders(json: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const record = parsed as Record<string, unknown>;
    // What the SDK writes (strings only) is used as parsed; anything else is copied with its values as text.
    let plain = !Object.hasOwn(record, '__proto__');
    if (plain) {
      for (const k in record) {
        if (typeof record[k] !== 'string') {
          plain = false;
          break;
        }
      }
    }
    if (plain) return record as Record<string, string>;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  } catch {
    // A foreign producer's malformed headers must not stop the stream; the value still flows.
    return {};
  }
}

/** Fields other than data/key/headers (a foreign producer's), as read. */
export function foreignFields(raw: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString();
    if (name !== FIELD_DATA && name !== FIELD_KEY && name !== FIELD_HEADERS) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** Milliseconds part of an entry id (`1700000000000-3` → 1700000000000). */
export function entryIdMs(id: string): number | undefined {
  const dash = id.indexOf('-');
  const ms = Number(dash === -1 ? id : id.slice(0, dash));
  return Number.isFinite(ms) ? ms : undefined;
}

/** Compares two entry ids numerically (`<ms>-<seq>`). */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

export function toDelivery(channel: string, id: string, entry: DecodedEntry, deliveryCount: number): Delivery {
  return {
    channel,
    key: entry.key,
    value: entry.value,
    headers: entry.headers,
    position: id,
    deliveryCount,
    timestamp: entryIdMs(id),
  };
}
