/**
 * `evc mock`: plays the other side of a service. It publishes, at a set rate, the messages
 * of every channel the service receives from (its examples, or values generated from the
 * schema), through the runtime's client so envelopes, keys and headers are exactly the
 * SDK's; and it answers the service's requests (AsyncAPI 3 `reply`) with a schema-valid
 * reply on the reply channel.
 */
import { randomUUID } from 'node:crypto';
import {
  createClient,
  HEADER,
  isValidationError,
  type EventClient,
  type EventSubscription,
  type OperationDescriptor,
  type Transport,
} from '@event-contracts/runtime';
import type { ChannelModel, OperationModel, SystemModel } from '../contract/ir.js';
import { splitPointer } from '../contract/json-pointer.js';
import type { RuntimeSystem } from './descriptor.js';
import { concreteAddresses } from './observer.js';
import { filledPointers, payloadSource, type PayloadSource } from './payloads.js';
import { createRandom, hashSeed, sampleValue } from './sample.js';

export interface MockPlan {
  /** What is published: one entry per channel and message the played side sends. */
  publish: Array<{ op: OperationModel; messageId: string }>;
  /** Request operations whose requests are answered (the service sends, the reply comes back). */
  answer: OperationModel[];
}

/** Services the contract names (`x-evc-service`), sorted. */
export function contractServices(system: SystemModel): string[] {
  return [...new Set(system.operations.map((o) => o.service).filter((s): s is string => s !== undefined))].sort();
}

/**
 * What the other side of `services` does: publish on every channel they receive from (every
 * channel some operation receives from, when no service is named) and answer their requests.
 */
export function mockPlan(system: SystemModel, services: readonly string[] = []): MockPlan {
  const mine = (o: OperationModel) => services.length === 0 || (o.service !== undefined && services.includes(o.service));
  const publish: MockPlan['publish'] = [];
  const seen = new Set<string>();
  for (const op of system.operations) {
    if (op.action !== 'receive' || !mine(op)) continue;
    for (const messageId of op.messageIds) {
      const k = `${op.channelId}\0${messageId}`;
      if (seen.has(k)) continue;
      seen.add(k);
      publish.push({ op, messageId });
    }
  }
  const answer = system.operations.filter((o) => o.action === 'send' && o.replyChannelId !== undefined && mine(o));
  return { publish, answer };
}

export interface MockOptions {
  rt: RuntimeSystem;
  transport: Transport;
  services?: string[];
  /** Messages per second (default 10). */
  rate?: number;
  /** Stop after this many published messages (replies not counted). */
  count?: number;
  /** Stop after this long. */
  durationMs?: number;
  seed?: number;
  /** Generate from the schema even where examples exist. */
  generate?: boolean;
  /** `evc-source` of what the mock publishes (default `evc-mock`). */
  source?: string;
  signal?: AbortSignal;
  /** Progress and notes (one line each). */
  log?: (line: string) => void;
  /** How often progress is logged, ms (default 5000; 0: never). */
  progressMs?: number;
  /** Whether the mock closes the transport when it stops (default true). */
  closeTransport?: boolean;
}

export interface MockReport {
  published: number;
  /** Published per concrete address. */
  perChannel: Record<string, number>;
  replies: number;
  failed: number;
  elapsedMs: number;
  requestedRate: number;
  achievedRate: number;
  /** Messages that could not be published at all (no valid example, schema not samplable). */
  skipped: Array<{ messageId: string; reason: string }>;
}

interface Target {
  op: OperationDescriptor;
  source: PayloadSource;
  parameters?: Record<string, string>;
  address: string;
}

/** Concrete values for an address's parameters: enum, default or examples from the contract, else generated. */
function parameterValues(channel: ChannelModel, seed: number): Record<string, string> | undefined {
  if (channel.parameters.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of channel.parameters)
    out[p.name] =
      p.enum?.[0] ??
      p.default ??
      p.examples?.[0] ??
      String(sampleValue({ type: 'string', pattern: '^[a-z][a-z0-9]{3}$' }, createRandom(hashSeed(seed, p.name))));
  return out;
}

function resolve(address: string, parameters: Record<string, string> | undefined): string {
  return parameters ? address.replace(/\{([^}]+)\}/g, (_, name: string) => parameters[name] ?? `{${name}}`) : address;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((done) => {
    if (signal?.aborted) return done();
    const wake = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', wake);
      done();
    };
    const t = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}

/** Runs until count, duration or the signal; resolves with what was published. */
export async function runMock(options: MockOptions): Promise<MockReport> {
  const { rt } = options;
  const system = rt.model;
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 1;
  const rate = options.rate ?? 10;
  const source = options.source ?? 'evc-mock';
  const plan = mockPlan(system, options.services);
  const skipped: MockReport['skipped'] = [];
  const targets: Target[] = [];
  for (const { op, messageId } of plan.publish) {
    const message = system.messages.find((m) => m.id === messageId)!;
    const descriptor = rt.messages.get(messageId)!;
    const src = payloadSource(message, descriptor, {
      seed,
      ...(options.generate ? { generate: true } : {}),
      ...(system.envelope ? { envelope: system.envelope } : {}),
      ...(rt.headersAll.get(messageId) ? { headersAll: rt.headersAll.get(messageId)! } : {}),
    });
    for (const name of src.skippedExamples) log(`note: example "${name}" of ${messageId} fails its own schema; not published`);
    if (src.payload(0) === undefined) {
      skipped.push({ messageId, reason: 'no valid example and no schema-valid value could be generated' });
      log(`note: ${messageId} skipped: no valid example and no schema-valid value could be generated`);
      continue;
    }
    const channel = system.channels.find((c) => c.id === op.channelId)!;
    const parameters = parameterValues(channel, seed);
    const opd = rt.operations.get(op.id)!;
    targets.push({ op: opd, source: src, ...(parameters ? { parameters } : {}), address: resolve(opd.channel.address, parameters) });
  }

  const client: EventClient = createClient(rt.descriptor, {
    transport: options.transport,
    source,
    dedupe: false,
    closeTransport: options.closeTransport ?? true,
  });
  const perChannel: Record<string, number> = {};
  let published = 0;
  let replies = 0;
  let failed = 0;
  let firstFailure = true;
  const fail = (what: string, err: unknown) => {
    failed++;
    if (firstFailure) log(`error: ${what}: ${(err as Error)?.message ?? String(err)}`);
    firstFailure = false;
  };

  const subscriptions: EventSubscription[] = [];
  try {
    // Requests first, so nothing the service asks after the mock starts goes unanswered.
    for (const op of plan.answer) subscriptions.push(await answerRequests(op));

    const started = Date.now();
    let lastProgress = started;
    const progressMs = options.progressMs ?? 5000;
    const limit = options.count ?? Infinity;
    const stopAt = options.durationMs !== undefined ? started + options.durationMs : Infinity;
    while (!options.signal?.aborted && published + failed < limit && Date.now() < stopAt && targets.length > 0) {
      const now = Date.now();
      const due = Math.min(limit, Math.floor(((now - started) / 1000) * rate) + 1);
      const n = Math.min(due - published - failed, 2000);
      if (n <= 0) {
        await sleep(Math.max(1, Math.min(50, Math.ceil(((published + failed + 1) / rate) * 1000 - (now - started)))), options.signal);
        continue;
      }
      // Round robin over the targets; batches by target (one operation, one address).
      const batches = new Map<Target, unknown[]>();
      for (let k = 0; k < n; k++) {
        const i = published + failed + k;
        const t = targets[i % targets.length]!;
        let list = batches.get(t);
        if (!list) batches.set(t, (list = []));
        list.push(t.source.payload(Math.floor(i / targets.length)));
      }
      await Promise.all(
        [...batches].map(async ([t, payloads]) => {
          const headers = t.source.headers(0);
          try {
            await client.publishBatch(t.op, payloads, { ...(t.parameters ? { parameters: t.parameters } : {}), ...(headers ? { headers } : {}) });
            published += payloads.length;
            perChannel[t.address] = (perChannel[t.address] ?? 0) + payloads.length;
          } catch (err) {
            fail(`publishing ${t.source.message.id} to ${t.address}`, err);
            failed += payloads.length - 1;
          }
        }),
      );
      if (progressMs > 0 && Date.now() - lastProgress >= progressMs) {
        lastProgress = Date.now();
        log(`${published} published (${Math.round((published / Math.max(1, lastProgress - started)) * 1000)}/s)${replies > 0 ? `, ${replies} replies` : ''}`);
      }
    }
    // Without anything to publish, the mock still answers requests until it is stopped.
    if (targets.length === 0 && plan.answer.length > 0) {
      while (!options.signal?.aborted && Date.now() < stopAt) await sleep(Math.min(200, Math.max(1, stopAt - Date.now())), options.signal);
    }
    const elapsedMs = Date.now() - started;
    return {
      published,
      perChannel,
      replies,
      failed,
      elapsedMs,
      requestedRate: rate,
      achievedRate: elapsedMs > 0 ? Math.round((published / elapsedMs) * 1000 * 10) / 10 : published,
      skipped,
    };
  } finally {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await client.close();
  }

  /** Subscribes to a request channel in a group of its own and publishes a reply to each request. */
  async function answerRequests(op: OperationModel): Promise<EventSubscription> {
    const requestOp = rt.operations.get(op.id)!;
    const replyChannel = rt.channels.get(op.replyChannelId!)!;
    const replyModel = system.channels.find((c) => c.id === op.replyChannelId)!;
    const replyOp: OperationDescriptor = {
      id: `${op.id}.reply`,
      action: 'send',
      channel: replyChannel,
      messages: replyChannel.messages,
    };
    const sources = replyChannel.messages.map((d) =>
      payloadSource(system.messages.find((m) => m.id === d.id)!, d, { seed, ...(system.envelope ? { envelope: system.envelope } : {}) }),
    );
    const usable = sources.filter((s) => s.payload(0) !== undefined);
    const parameters = parameterValues(replyModel, seed);
    // A request channel with address parameters: every address its enumerated values give.
    const requestModel = system.channels.find((c) => c.id === op.channelId);
    const addresses = requestModel && requestModel.parameters.length > 0 ? concreteAddresses(requestModel).addresses : [];
    let n = 0;
    return client.subscribe(
      { ...requestOp, action: 'receive' },
      async (request, ctx) => {
        if (ctx.headers[HEADER.source] === source || usable.length === 0) return;
        const src = usable[n % usable.length]!;
        const base = src.payload(Math.floor(n / usable.length));
        n++;
        const payload = copyIds(request, base, filledPointers(system.envelope, src.descriptor));
        try {
          try {
            await ctx.publish(replyOp, payload, parameters ? { parameters } : {});
          } catch (err) {
            // Copied ids are a convenience: when they make the reply invalid, the plain one goes.
            if (!isValidationError(err) || payload === base) throw err;
            await ctx.publish(replyOp, base, parameters ? { parameters } : {});
          }
          replies++;
        } catch (err) {
          fail(`replying to ${op.id}`, err);
        }
      },
      { group: `evc-mock-${randomUUID().slice(0, 8)}`, concurrency: 8, ...(addresses.length > 0 ? { addresses } : {}) },
    );
  }
}

/**
 * The reply with the request's ids copied in: every property named `id`, `*_id` or `*Id`
 * that sits at the same place in both (a request_id, say), envelope fields left out.
 */
function copyIds(request: unknown, reply: unknown, envelopePointers: string[]): unknown {
  if (reply === null || typeof reply !== 'object' || request === null || typeof request !== 'object') return reply;
  const skip = new Set(envelopePointers.map((p) => splitPointer(p).join('/')));
  const out = JSON.parse(JSON.stringify(reply)) as Record<string, unknown>;
  const walk = (req: Record<string, unknown>, rep: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(req)) {
      const here = [...path, k];
      if (skip.has(here.join('/'))) continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const sub = rep[k];
        if (sub !== null && typeof sub === 'object' && !Array.isArray(sub)) walk(v as Record<string, unknown>, sub as Record<string, unknown>, here);
      } else if (/(^id$|_id$|Id$)/.test(k) && k in rep && typeof v === typeof rep[k]) rep[k] = v;
    }
  };
  walk(request as Record<string, unknown>, out, []);
  return out;
}
