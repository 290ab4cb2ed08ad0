/**
 * Turns a payload into a wire message: fill the envelope, choose the message, validate,
 * encode, check the size, take the key, write the headers. Pure apart from ids and
 * clocks; sends nothing.
 *
 * This runs once per published event, so it is written for speed: the envelope handling
 * is compiled once per message (EnvelopePlan), the envelope values are taken from the
 * fill instead of being read back, the key pointer is parsed once, and the headers are
 * one object literal in the common case.
 */
import { resolveAddress } from './address.js';
import { nowMsText } from './clock.js';
import type { PublishOptions } from './client-types.js';
import type { MessageDescriptor, OperationDescriptor, SystemDescriptor } from './descriptor.js';
import { envelopePlan, messageByType, type EnvelopeContext, type EnvelopePlan, type EnvelopeValues, type SequenceCounter } from './envelope.js';
import { MessageTooLargeError, ValidationError, type Violation } from './errors.js';
import { parsePointer } from './json-pointer.js';
import { keyText } from './key.js';
import type { Tracing } from './tracing.js';
import type { WireMessage } from './transport.js';
import { explainInvalid, toViolation } from './validation.js';

export interface PreparedMessage {
  address: string;
  message: MessageDescriptor;
  wire: WireMessage;
  envelope: EnvelopeValues;
}

export interface PublisherOptions {
  maxMessageBytes: number;
  /** The `evc-source` header: who publishes (ClientOptions.source, else the system id). */
  source: string;
  sequences: SequenceCounter;
  tracing: Tracing;
}

export interface Publisher {
  /**
   * Throws ValidationError, MessageTooLargeError or ConfigurationError; never sends.
   * `publishedAt` is the `evc-published-at` header (default: now) and `now` the
   * Date.now() milliseconds of a missing envelope time (default: read the clock); a
   * batch passes one of each for all its events (one clock read per batch, not per event).
   */
  prepare(op: OperationDescriptor, payload: unknown, options: PublishOptions, publishedAt?: string, now?: number): PreparedMessage;
  address(op: OperationDescriptor, parameters: Record<string, string> | undefined): string;
}

const NO_CONTEXT: EnvelopeContext = Object.freeze({});

function keyTokens(message: MessageDescriptor): string[] | undefined {
  return message.keyPointer ? parsePointer(message.keyPointer) : undefined;
}

function readKey(filled: unknown, tokens: string[]): string | undefined {
  let node = filled;
  for (let i = 0; i < tokens.length; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[tokens[i]!];
  }
  return typeof node === 'string' ? node : typeof node === 'number' || typeof node === 'bigint' ? String(node) : undefined;
}

export function createPublisher(system: SystemDescriptor, o: PublisherOptions): Publisher {
  const envelope = system.envelope;
  const source = o.source;
  const plans = new WeakMap<MessageDescriptor, EnvelopePlan>();
  const keys = new WeakMap<MessageDescriptor, string[] | null>();

  const address = (op: OperationDescriptor, parameters: Record<string, string> | undefined): string => resolveAddress(op.channel.address, parameters);

  /** What the last `choose` filled (read right after it: no object per publish to return it in). */
  let chosenFilled: unknown;

  /**
   * Fills and validates; returns the first message whose schema accepts the payload and
   * writes its envelope values into `env`. The filled payload is left in `chosenFilled`.
   */
  function choose(op: OperationDescriptor, payload: unknown, ctx: EnvelopeContext, env: EnvelopeValues, now: number | undefined): MessageDescriptor {
    const candidates = op.messages.length > 0 ? op.messages : op.channel.messages;
    const typed = messageByType(candidates, payload, envelope);
    if (typed) {
      const filled = envelopePlan(plans, envelope, typed).fill(payload, ctx, o.sequences, env, now);
      if (!typed.validate(filled)) throw explainInvalid(typed, filled);
      chosenFilled = filled;
      return typed;
    }
    if (candidates.length === 0) throw new ValidationError([{ path: '', message: `operation ${op.id} declares no messages`, keyword: 'message', params: {} }]);
    let firstFailure: { message: MessageDescriptor; filled: unknown } | undefined;
    for (const m of candidates) {
      const filled = envelopePlan(plans, envelope, m).fill(payload, ctx, o.sequences, env, now);
      if (m.validate(filled)) {
        chosenFilled = filled;
        return m;
      }
      firstFailure ??= { message: m, filled };
    }
    throw explainInvalid(firstFailure!.message, firstFailure!.filled);
  }

  return {
    address,
    prepare(op, payload, options, publishedAt, now) {
      const target = address(op, options.parameters);
      const ctx =
        options.correlationId === undefined && options.causationId === undefined && options.parentSequence === undefined
          ? NO_CONTEXT
          : { correlationId: options.correlationId, causationId: options.causationId, parentSequence: options.parentSequence };
      const env: EnvelopeValues = { id: undefined, type: undefined, correlationId: undefined, causationId: undefined, sequence: undefined };
      const message = choose(op, payload, ctx, env, now);
      const filled = chosenFilled;
      chosenFilled = undefined;
      if (message.validateHeaders && !message.validateHeaders(options.headers ?? {})) {
        const violations: Violation[] = (message.validateHeaders.errors ?? []).map((e) => {
          const v = toViolation(e);
          return { ...v, path: `/headers${v.path}` };
        });
        throw new ValidationError(violations, { messageId: message.id });
      }
      // UTF-8 text, not bytes: transports take either, and in memory no Buffer is ever made.
      const value = JSON.stringify(filled);
      // A UTF-16 unit is at most 3 UTF-8 bytes, so short text needs no byte count.
      if (value.length * 3 > o.maxMessageBytes) {
        const bytes = Buffer.byteLength(value, 'utf8');
        if (bytes > o.maxMessageBytes) throw new MessageTooLargeError(bytes, o.maxMessageBytes, target);
      }

      let key = options.key === undefined ? undefined : keyText(options.key);
      if (key === undefined && message.keyPointer) {
        let tokens = keys.get(message);
        if (tokens === undefined) keys.set(message, (tokens = keyTokens(message) ?? null));
        if (tokens) key = readKey(filled, tokens);
      }

      env.correlationId ??= options.correlationId;
      env.causationId ??= options.causationId;
      const id = env.id;
      const type = env.type;
      const correlationId = env.correlationId;
      // Object literals with constant keys: computed-key stores are slow on this path.
      let headers: Record<string, string>;
      if (id !== undefined && type !== undefined && correlationId !== undefined) {
        headers = {
          'content-type': message.contentType,
          'evc-message': message.id,
          'evc-published-at': publishedAt ?? nowMsText(),
          'evc-source': source,
          'evc-id': id,
          'evc-type': type,
          'evc-correlation-id': correlationId,
        };
      } else {
        headers = {
          'content-type': message.contentType,
          'evc-message': message.id,
          'evc-published-at': publishedAt ?? nowMsText(),
          'evc-source': source,
        };
        if (id !== undefined) headers['evc-id'] = id;
        if (type !== undefined) headers['evc-type'] = type;
        if (correlationId !== undefined) headers['evc-correlation-id'] = correlationId;
      }
      if (env.causationId !== undefined) headers['evc-causation-id'] = env.causationId;
      const traceparent = o.tracing.activeTraceparent();
      if (traceparent) headers.traceparent = traceparent;
      const extra = options.headers;
      if (extra) {
        // The caller's headers never override the runtime's own.
        for (const k in extra) if (Object.hasOwn(extra, k) && !(k in headers)) headers[k] = extra[k]!;
      }

      return { address: target, message, wire: { key, value, headers }, envelope: env };
    },
  };
}
