/**
 * Request/reply (AsyncAPI 3 `reply`) on top of publish and subscribe.
 *
 * The requester (`client.request`) publishes the request with a correlation id and waits
 * for the reply that carries it back. Each reply address gets one subscription per
 * client, in a consumer group of the client's own (every requester sees every reply on a
 * shared reply channel and keeps those it waits for), made on first use and stopped by
 * `close()`. The replier (`ctx.reply`) publishes to the address the request names (the
 * contract's `reply.address.location`), else the reply channel's, with the request's
 * correlation id.
 *
 * Where the correlation id travels: the contract's `correlationId.location` of the
 * message (a header, or a payload field the envelope fill writes), and always the
 * `evc-correlation-id` header, which is all a message without a location has.
 */
import { randomUUID } from 'node:crypto';
import { resolveAddress } from './address.js';
import { textOf } from './bytes.js';
import type { EventContext, EventReceipt, PublishOptions, RequestOptions } from './client-types.js';
import type { ChannelDescriptor, MessageDescriptor, OperationDescriptor, ReplyDescriptor, SystemDescriptor } from './descriptor.js';
import { correlationPointer, messageByType } from './envelope.js';
import { ConfigurationError, ShutdownError, TimeoutError, errorMessage } from './errors.js';
import { HEADER } from './headers.js';
import { getPointer, withPointer } from './json-pointer.js';
import type { Logger } from './logger.js';
import type { PreparedMessage, Publisher } from './publisher.js';
import type { Subscription, Transport } from './transport.js';
import { explainInvalid, explainInvalidHeaders, userHeaders } from './validation.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** What a handler's `ctx.reply` needs of the request it answers. */
export interface RequestDelivery {
  op: OperationDescriptor;
  message: MessageDescriptor;
  payload: unknown;
}

export interface RepliesOptions {
  system: SystemDescriptor;
  transport: Transport;
  publisher: Publisher;
  logger: Logger;
  /** The client's `source`: names its reply groups and private reply addresses. */
  source: string;
  ready(): Promise<void>;
  isClosing(): boolean;
  /** Provisions an address (topics, streams) once, when the transport can. */
  ensure(channel: ChannelDescriptor, address: string): Promise<void>;
  /** Sends a prepared request (through the outbox when `tx` is set). */
  send(op: OperationDescriptor, prepared: PreparedMessage, options: PublishOptions): Promise<EventReceipt>;
}

export interface Replies {
  request(op: OperationDescriptor, payload: unknown, options?: RequestOptions): Promise<unknown>;
  /** `ctx.reply`: publishes through `ctx.publish`, so causation, sequence and the inbox's transaction follow. */
  reply(ctx: EventContext, request: RequestDelivery, payload: unknown, options?: PublishOptions): Promise<EventReceipt>;
  /** Stops the reply subscriptions; waiting requests reject with ShutdownError. */
  close(): Promise<void>;
}

interface Pending {
  op: OperationDescriptor;
  messages: MessageDescriptor[];
  resolve(payload: unknown): void;
  reject(error: unknown): void;
}

interface ReplyInbox {
  address: string;
  pending: Map<string, Pending>;
  /** Where replies on this address may carry their correlation id (union over the operations using it). */
  headers: Set<string>;
  pointers: Set<string>;
  subscription: Promise<Subscription>;
}

/** The channel a reply is published to (or read from) at a concrete address. */
function replyChannel(op: OperationDescriptor, reply: ReplyDescriptor, address: string): ChannelDescriptor {
  const c = reply.channel;
  return {
    id: c?.id ?? `${op.id}.reply`,
    address,
    parameters: [],
    messages: reply.messages,
    deadLetter: `${address}.dlq`,
    ...(c?.kafka ? { kafka: c.kafka } : {}),
    ...(c?.redis ? { redis: c.redis } : {}),
  };
}

/** The reply address a request carries (the contract's `reply.address.location`), if it does. */
function carriedAddress(reply: ReplyDescriptor, headers: Record<string, string>, payload: unknown): string | undefined {
  if (reply.addressHeader !== undefined) return headers[reply.addressHeader] || undefined;
  if (reply.addressPointer !== undefined) {
    const v = getPointer(payload, reply.addressPointer);
    return typeof v === 'string' && v !== '' ? v : undefined;
  }
  return undefined;
}

const requestMessages = (op: OperationDescriptor): MessageDescriptor[] => (op.messages.length > 0 ? op.messages : op.channel.messages);

export function createReplies(o: RepliesOptions): Replies {
  const inboxes = new Map<string, ReplyInbox>();
  // One tag per client: its reply group and, when the request names the address, its private address.
  const tag = `${o.source}-${randomUUID().slice(0, 8)}`;
  const envelope = o.system.envelope;

  function defaultAddress(op: OperationDescriptor, reply: ReplyDescriptor, options: RequestOptions): string {
    // A contract that lets the request name the address: one private to this client.
    if (reply.addressHeader !== undefined || reply.addressPointer !== undefined) return `${reply.channel?.id ?? `${op.id}.reply`}.${tag}`;
    if (reply.channel) return resolveAddress(reply.channel.address, options.parameters);
    throw new ConfigurationError(`request: the reply of operation ${op.id} has no channel and no address location, so there is nowhere to wait for it`);
  }

  function onReply(inbox: ReplyInbox, headers: Record<string, string>, value: Uint8Array | string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(typeof value === 'string' ? value : textOf(value));
    } catch (e) {
      o.logger.warn('reply is not JSON; ignored', { channel: inbox.address, error: errorMessage(e) });
      return;
    }
    // The first place that holds the id of a request this client waits for.
    let pending: Pending | undefined;
    let correlationId: string | undefined;
    const consider = (v: unknown) => {
      if (pending === undefined && typeof v === 'string' && inbox.pending.has(v)) {
        correlationId = v;
        pending = inbox.pending.get(v);
      }
    };
    for (const h of inbox.headers) consider(headers[h]);
    for (const p of inbox.pointers) consider(getPointer(payload, p));
    consider(headers[HEADER.correlationId]);
    if (!pending || correlationId === undefined) return; // another requester's reply, or one that came too late
    inbox.pending.delete(correlationId);
    const typed = messageByType(pending.messages, payload, envelope);
    const candidates = typed ? [typed] : pending.messages;
    const message = candidates.find((m) => m.validate(payload));
    if (!message) {
      const first = candidates[0];
      pending.reject(first ? explainInvalid(first, payload) : new ConfigurationError(`operation ${pending.op.id} declares no reply messages`));
      return;
    }
    if (message.validateHeaders) {
      const user = userHeaders(headers);
      if (!message.validateHeaders(user)) {
        pending.reject(explainInvalidHeaders(message, user));
        return;
      }
    }
    pending.resolve(payload);
  }

  function inboxFor(op: OperationDescriptor, reply: ReplyDescriptor, address: string): ReplyInbox {
    let inbox = inboxes.get(address);
    if (!inbox) {
      const created: ReplyInbox = { address, pending: new Map(), headers: new Set(), pointers: new Set(), subscription: undefined as never };
      created.subscription = (async () => {
        await o.ensure(replyChannel(op, reply, address), address);
        return o.transport.subscribe({
          group: `${tag}-replies`,
          channels: [address],
          consumerId: tag,
          concurrency: 1,
          fromBeginning: false,
          handler: async (d) => {
            try {
              onReply(created, d.headers, d.value);
            } catch (e) {
              o.logger.error('reply handling failed', { channel: address, error: errorMessage(e) });
            }
          },
        });
      })();
      // A failed subscription is not cached: the next request tries again.
      created.subscription.catch(() => inboxes.get(address) === created && inboxes.delete(address));
      inboxes.set(address, created);
      inbox = created;
    }
    for (const m of reply.messages) {
      if (m.correlationIdHeader !== undefined) inbox.headers.add(m.correlationIdHeader);
      const pointer = correlationPointer(envelope, m);
      if (pointer !== undefined) inbox.pointers.add(pointer);
    }
    return inbox;
  }

  async function request(op: OperationDescriptor, payload: unknown, options: RequestOptions = {}): Promise<unknown> {
    const reply = op.reply;
    if (op.action !== 'send' || !reply) throw new ConfigurationError(`request: operation ${op.id} is not a send operation with a reply`);
    if (o.isClosing()) throw new ConfigurationError('client is closed');
    const { timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, replyAddress, signal, ...publishOptions } = options;
    signal?.throwIfAborted();
    await o.ready();
    const headers: Record<string, string> = { ...publishOptions.headers };
    const address = replyAddress ?? carriedAddress(reply, headers, payload) ?? defaultAddress(op, reply, options);
    let body = payload;
    if (reply.addressHeader !== undefined) headers[reply.addressHeader] = address;
    else if (reply.addressPointer !== undefined && getPointer(payload, reply.addressPointer) === undefined)
      body = withPointer(payload, reply.addressPointer, address);
    // The request's correlation id: where its message keeps it (a header the caller set,
    // a payload field), else options.correlationId, else a fresh one.
    const headerNames = [...new Set(requestMessages(op).flatMap((m) => (m.correlationIdHeader !== undefined ? [m.correlationIdHeader] : [])))];
    const fromHeader = headerNames.map((h) => headers[h]).find((v) => v !== undefined && v !== '');
    let correlationId = fromHeader ?? publishOptions.correlationId ?? randomUUID();
    for (const h of headerNames) headers[h] ??= correlationId;
    const prepared = o.publisher.prepare(op, body, { ...publishOptions, headers, correlationId });
    if (fromHeader === undefined && prepared.envelope.correlationId !== undefined) correlationId = prepared.envelope.correlationId;

    const inbox = inboxFor(op, reply, address);
    await inbox.subscription;
    if (inbox.pending.has(correlationId)) {
      throw new ConfigurationError(`request ${op.id}: a request with correlation id ${correlationId} is already waiting for its reply on ${address}`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const settle = () => {
      if (inbox.pending.get(correlationId)?.op === op) inbox.pending.delete(correlationId);
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    const replied = new Promise<unknown>((resolve, reject) => {
      const messages = reply.messages;
      inbox.pending.set(correlationId, {
        op,
        messages,
        resolve: (v) => {
          settle();
          resolve(v);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      timer = setTimeout(() => {
        settle();
        reject(new TimeoutError(`no reply to ${op.id} (correlation id ${correlationId}) on ${address} within ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      if (signal) {
        onAbort = () => {
          settle();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      await o.send(op, prepared, publishOptions);
    } catch (e) {
      settle();
      replied.catch(() => undefined);
      throw e;
    }
    return replied;
  }

  function reply(ctx: EventContext, req: RequestDelivery, payload: unknown, options: PublishOptions = {}): Promise<EventReceipt> {
    const r = req.op.reply;
    if (!r) return Promise.reject(new ConfigurationError(`ctx.reply: operation ${req.op.id} declares no reply`));
    let address: string;
    try {
      const carried = carriedAddress(r, ctx.headers, req.payload);
      if (carried !== undefined) address = carried;
      else if (r.channel && r.addressHeader === undefined && r.addressPointer === undefined) address = resolveAddress(r.channel.address, options.parameters);
      else {
        const where =
          r.addressHeader !== undefined
            ? `header ${r.addressHeader}`
            : r.addressPointer !== undefined
              ? `payload field ${r.addressPointer}`
              : 'the reply channel';
        throw new ConfigurationError(`ctx.reply: the request to ${req.op.id} carries no reply address (${where})`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const fromHeader = req.message.correlationIdHeader !== undefined ? ctx.headers[req.message.correlationIdHeader] : undefined;
    const correlationId = fromHeader || ctx.correlationId;
    const headers: Record<string, string> = { ...options.headers };
    if (correlationId !== undefined) for (const m of r.messages) if (m.correlationIdHeader !== undefined) headers[m.correlationIdHeader] ??= correlationId;
    const op: OperationDescriptor = { id: `${req.op.id}.reply`, action: 'send', channel: replyChannel(req.op, r, address), messages: r.messages };
    const { parameters: _unused, ...rest } = options;
    return ctx.publish(op, payload, { ...rest, headers, ...(correlationId !== undefined ? { correlationId } : {}) });
  }

  async function close(): Promise<void> {
    const all = [...inboxes.values()];
    inboxes.clear();
    for (const inbox of all) {
      for (const p of [...inbox.pending.values()]) p.reject(new ShutdownError(`client closed while ${p.op.id} waited for its reply on ${inbox.address}`));
    }
    await Promise.all(
      all.map((i) =>
        i.subscription.then(
          (s) => s.stop(),
          () => undefined,
        ),
      ),
    );
  }

  return { request, reply, close };
}
