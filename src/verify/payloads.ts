/**
 * What `evc mock` and scenarios publish for a message: its examples, or values generated
 * from its schema (src/verify/sample.ts). Every candidate is checked with the message's
 * all-errors validator first; one that fails is never published. The envelope fields the
 * runtime fills (id, time, correlation, causation, sequence) are taken out again, so each
 * publish gets fresh ones exactly as the SDK makes them (an example's fixed event id
 * would otherwise be deduplicated by the service after the first delivery).
 */
import type { MessageDescriptor, ValidateFunction } from '@event-contracts/runtime';
import type { EnvelopeModel, JsonSchema, MessageModel } from '../contract/ir.js';
import { splitPointer } from '../contract/json-pointer.js';
import { createRandom, hashSeed, sampleValid, sampleValue } from './sample.js';

/** JSON pointers of the envelope fields the runtime fills, for one message. */
export function filledPointers(envelope: EnvelopeModel | undefined, message: MessageDescriptor): string[] {
  const out = [envelope?.id, envelope?.time, envelope?.correlationId ?? message.correlationIdPointer, envelope?.causationId, envelope?.sequence];
  return [...new Set(out.filter((p): p is string => p !== undefined && p !== ''))];
}

/** A deep copy without the values at the given pointers. */
export function withoutPointers(value: unknown, pointers: readonly string[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  for (const pointer of pointers) {
    const segs = splitPointer(pointer);
    let node: unknown = copy;
    for (let i = 0; i < segs.length - 1 && node !== null && typeof node === 'object'; i++) node = (node as Record<string, unknown>)[segs[i]!];
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && segs.length > 0) delete (node as Record<string, unknown>)[segs[segs.length - 1]!];
  }
  return copy;
}

export interface PayloadSource {
  message: MessageModel;
  descriptor: MessageDescriptor;
  /** The n-th payload to publish (envelope fields left for the runtime), or undefined when none can be made. */
  payload(n: number): unknown;
  /** Headers to publish with it (only when the message declares a headers schema). */
  headers(n: number): Record<string, string> | undefined;
  /** `examples` when the payloads come from the contract's examples, else `generated`. */
  origin: 'examples' | 'generated';
  /** Examples that failed their own validator and are skipped. */
  skippedExamples: string[];
}

export interface PayloadOptions {
  /** Ignore examples: always generate from the schema. */
  generate?: boolean;
  seed?: number;
  envelope?: EnvelopeModel;
  headersAll?: ValidateFunction;
}

/** How many distinct generated payloads a message cycles through (each made and checked once). */
const POOL = 256;

export function payloadSource(message: MessageModel, descriptor: MessageDescriptor, options: PayloadOptions = {}): PayloadSource {
  const validateAll = descriptor.validateAll ?? descriptor.validate;
  const strip = filledPointers(options.envelope, descriptor);
  const skippedExamples: string[] = [];
  const examples: unknown[] = [];
  if (!options.generate) {
    message.examples.forEach((ex, i) => {
      if (ex.payload === undefined) return;
      if (!validateAll(ex.payload)) skippedExamples.push(ex.name ?? String(i));
      else examples.push(withoutPointers(ex.payload, strip));
    });
  }
  const seed = options.seed ?? 1;
  const pool: unknown[] = [];
  const generated = (n: number): unknown => {
    const i = n % POOL;
    while (pool.length <= i) {
      const random = createRandom(hashSeed(seed, message.id, pool.length));
      const v = sampleValid(message.payload, (x) => validateAll(x), random);
      pool.push(v === undefined ? undefined : withoutPointers(v, strip));
    }
    return pool[i];
  };
  const headerPool: Array<Record<string, string> | undefined> = [];
  const headersSchema = message.headers as JsonSchema | undefined;
  const headers = (n: number): Record<string, string> | undefined => {
    if (!headersSchema) return undefined;
    const i = n % 16;
    while (headerPool.length <= i) {
      const random = createRandom(hashSeed(seed, message.id, 'headers', headerPool.length));
      const check = options.headersAll ?? (() => true);
      const v = sampleValid(headersSchema, (x) => check(x), random) ?? sampleValue(headersSchema, random, { minimal: true });
      const out: Record<string, string> = {};
      if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
      headerPool.push(out);
    }
    return headerPool[i];
  };
  return {
    message,
    descriptor,
    origin: examples.length > 0 ? 'examples' : 'generated',
    skippedExamples,
    payload: (n) => (examples.length > 0 ? examples[n % examples.length] : generated(n)),
    headers,
  };
}
