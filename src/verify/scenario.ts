/**
 * Scenario files for `evc verify --scenario` (docs/contract-testing.md): publish these
 * messages, then expect these messages within N ms, matched on fields. The file is read
 * with positions (src/contract/source.ts) and checked against the contract before anything
 * is sent: a message the contract lacks, an unknown example, channel or operation, a field
 * path the message's payload schema does not declare, or an inline payload that fails its
 * schema is a diagnostic at file:line:col.
 */
import { randomUUID } from 'node:crypto';
import { basename, extname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createClient, getPointer, type OperationDescriptor, type Transport } from '@event-contracts/runtime';
import type { Diagnostic, JsonSchema, MessageModel, SystemModel } from '../contract/ir.js';
import { encodePointerSegment, splitPointer } from '../contract/json-pointer.js';
import { readSource, type SourceFile } from '../contract/source.js';
import { explainErrors } from '../validate/explain.js';
import { payloadPointer } from '../codegen/context.js';
import type { RuntimeSystem } from './descriptor.js';
import type { ObservedMessage } from './observer.js';
import { filledPointers, payloadSource, withoutPointers } from './payloads.js';
import { createRandom, sampleValid, sampleValue } from './sample.js';

export interface ScenarioPublish {
  messageId: string;
  /** The operation published through (on the message's channel). */
  operationId?: string;
  channelId: string;
  payload: unknown;
  headers?: Record<string, string>;
  key?: string;
  parameters?: Record<string, string>;
  location: string;
}

export interface ScenarioExpect {
  messageId: string;
  withinMs: number;
  /** Pointer → value. */
  where: Array<{ pointer: string; path: string; value: unknown }>;
  count: number;
  /** Only messages carrying the scenario's correlation id. */
  correlated: boolean;
  location: string;
}

export interface Scenario {
  name: string;
  file: string;
  publish: ScenarioPublish[];
  expect: ScenarioExpect[];
}

export interface ExpectationResult {
  message: string;
  withinMs: number;
  met: boolean;
  /** Matching messages seen. */
  seen: number;
  /** When the last needed match arrived, ms after publishing ended. */
  afterMs?: number;
  reason?: string;
  location: string;
}

export interface ScenarioResult {
  name: string;
  file: string;
  correlationId?: string;
  published: number;
  expectations: ExpectationResult[];
  ok: boolean;
}

/** The scenario file is wrong: every problem, each at its place. */
export class ScenarioError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.location.file}:${d.location.line}:${d.location.col} ${d.message}`).join('\n'));
    this.name = new.target.name;
  }
}

const DEFAULT_WITHIN_MS = 10_000;
const TOP_KEYS = ['name', 'description', 'within', 'publish', 'expect'];
const PUBLISH_KEYS = ['message', 'example', 'payload', 'channel', 'operation', 'headers', 'key', 'parameters'];
const EXPECT_KEYS = ['message', 'within', 'where', 'count', 'correlated'];

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `/data/user_id` stays; `data.user_id` becomes `/data/user_id` (dots split, no escapes). */
export function fieldPointer(path: string): string {
  if (path.startsWith('/') || path === '') return path;
  return '/' + path.split('.').map(encodePointerSegment).join('/');
}

/** Sub-schemas a value at this place may be checked against: the schema, its allOf parts and its oneOf/anyOf branches. */
function alternatives(schema: unknown, out: JsonSchema[] = [], seen = new Set<unknown>()): JsonSchema[] {
  if (!isMap(schema) || seen.has(schema)) return out;
  seen.add(schema);
  out.push(schema);
  for (const k of ['allOf', 'oneOf', 'anyOf']) if (Array.isArray(schema[k])) for (const s of schema[k] as unknown[]) alternatives(s, out, seen);
  for (const k of ['then', 'else']) if (isMap(schema[k])) alternatives(schema[k], out, seen);
  return out;
}

/** Whether the payload schema declares the path: properties, patternProperties, additionalProperties schemas, items. */
export function schemaDeclares(schema: JsonSchema, pointer: string): boolean {
  let nodes: JsonSchema[] = [schema];
  for (const seg of splitPointer(pointer)) {
    const next: JsonSchema[] = [];
    for (const n of nodes.flatMap((x) => alternatives(x))) {
      const props = n.properties;
      if (isMap(props) && isMap(props[seg])) next.push(props[seg] as JsonSchema);
      else if (isMap(props) && props[seg] === true) next.push({});
      if (isMap(n.patternProperties)) {
        for (const [re, sub] of Object.entries(n.patternProperties)) {
          try {
            if (new RegExp(re, 'u').test(seg) && isMap(sub)) next.push(sub as JsonSchema);
          } catch {
            // not a pattern JavaScript reads: no match
          }
        }
      }
      if (isMap(n.additionalProperties)) next.push(n.additionalProperties as JsonSchema);
      if (/^(0|[1-9]\d*)$/.test(seg)) {
        if (Array.isArray(n.prefixItems) && isMap(n.prefixItems[Number(seg)])) next.push(n.prefixItems[Number(seg)] as JsonSchema);
        if (isMap(n.items)) next.push(n.items as JsonSchema);
      }
    }
    if (next.length === 0) return false;
    nodes = next;
  }
  return true;
}

/**
 * Reads and checks a scenario against the system. Throws ScenarioError with every problem
 * (ContractError-style places), or a ContractError when the file cannot be read or parsed.
 */
export function loadScenario(file: string, rt: RuntimeSystem): Scenario {
  const source: SourceFile = readSource(file);
  const system = rt.model;
  const problems: Diagnostic[] = [];
  const at = (pointer: string) => {
    const p = source.position(pointer);
    return { file, pointer, line: p.line, col: p.col };
  };
  const place = (pointer: string) => {
    const p = source.position(pointer);
    return `${file}:${p.line}:${p.col}`;
  };
  const error = (rule: string, pointer: string, message: string) => problems.push({ severity: 'error', rule, message, location: at(pointer) });
  const data = source.data;
  const scenario: Scenario = { name: basename(file, extname(file)), file, publish: [], expect: [] };
  if (!isMap(data)) {
    error('scenario-shape', '', 'a scenario is a mapping with publish: and expect: lists');
    throw new ScenarioError(problems);
  }
  for (const k of Object.keys(data))
    if (!TOP_KEYS.includes(k)) error('scenario-shape', `/${encodePointerSegment(k)}`, `unknown key "${k}" (expected: ${TOP_KEYS.join(', ')})`);
  if (data.name !== undefined) {
    if (typeof data.name === 'string' && data.name !== '') scenario.name = data.name;
    else error('scenario-shape', '/name', 'name must be a non-empty string');
  }
  const withinOf = (v: unknown, pointer: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    error('scenario-shape', pointer, `within must be a number of milliseconds > 0 (got ${JSON.stringify(v)})`);
    return fallback;
  };
  const defaultWithin = withinOf(data.within, '/within', DEFAULT_WITHIN_MS);
  const findMessage = (v: unknown, pointer: string): MessageModel | undefined => {
    if (typeof v !== 'string' || v === '') {
      error('scenario-message', pointer, 'message must name a message of the contract (its id or name)');
      return undefined;
    }
    const m = system.messages.find((x) => x.id === v) ?? system.messages.find((x) => x.name === v);
    if (!m) error('scenario-message', pointer, `no message "${v}" in ${system.id} (messages: ${system.messages.map((x) => x.id).join(', ')})`);
    return m;
  };
  const list = (key: 'publish' | 'expect'): unknown[] => {
    const v = data[key];
    if (v === undefined) {
      if (key === 'expect') error('scenario-shape', '', 'expect: is missing (a list of messages to wait for)');
      return [];
    }
    if (!Array.isArray(v)) {
      error('scenario-shape', `/${key}`, `${key} must be a list`);
      return [];
    }
    return v;
  };

  list('publish').forEach((item, i) => {
    const base = `/publish/${i}`;
    if (!isMap(item)) return error('scenario-shape', base, 'each publish entry is a mapping with message: and example: or payload:');
    for (const k of Object.keys(item))
      if (!PUBLISH_KEYS.includes(k)) error('scenario-shape', `${base}/${encodePointerSegment(k)}`, `unknown key "${k}" (expected: ${PUBLISH_KEYS.join(', ')})`);
    const m = findMessage(item.message, `${base}/message`);
    if (!m) return;
    const descriptor = rt.messages.get(m.id)!;
    // The channel: named, or the operation's, or the message's only one.
    let channelId: string | undefined;
    let operationId: string | undefined;
    if (item.operation !== undefined) {
      const op = system.operations.find((o) => o.id === item.operation);
      if (!op) return error('scenario-channel', `${base}/operation`, `no operation "${String(item.operation)}" in ${system.id}`);
      if (!system.channels.find((c) => c.id === op.channelId)?.messageIds.includes(m.id)) {
        return error('scenario-channel', `${base}/operation`, `operation ${op.id} is on channel ${op.channelId}, which does not carry ${m.id}`);
      }
      operationId = op.id;
      channelId = op.channelId;
    }
    if (item.channel !== undefined) {
      const c = system.channels.find((x) => x.id === item.channel) ?? system.channels.find((x) => x.address === item.channel);
      if (!c)
        return error(
          'scenario-channel',
          `${base}/channel`,
          `no channel "${String(item.channel)}" in ${system.id} (channels: ${system.channels.map((x) => x.id).join(', ')})`,
        );
      if (!c.messageIds.includes(m.id))
        return error('scenario-channel', `${base}/channel`, `channel ${c.id} does not carry ${m.id} (it carries ${c.messageIds.join(', ')})`);
      if (channelId !== undefined && channelId !== c.id)
        return error('scenario-channel', `${base}/channel`, `operation ${operationId} is on channel ${channelId}, not ${c.id}`);
      channelId = c.id;
    }
    if (channelId === undefined) {
      if (m.channelIds.length !== 1) {
        return error(
          'scenario-channel',
          `${base}/message`,
          `${m.id} is on ${m.channelIds.length} channels (${m.channelIds.join(', ')}): name one with channel:`,
        );
      }
      channelId = m.channelIds[0]!;
    }
    if (item.example !== undefined && item.payload !== undefined) return error('scenario-shape', `${base}/payload`, 'give example: or payload:, not both');
    const strip = filledPointers(system.envelope, descriptor);
    let payload: unknown;
    if (item.example !== undefined) {
      const ex = m.examples.find((e, k) => e.name === item.example || (e.name === undefined && String(k) === String(item.example)));
      if (!ex || ex.payload === undefined) {
        const names = m.examples.map((e, k) => e.name ?? String(k));
        return error(
          'scenario-example',
          `${base}/example`,
          `${m.id} has no example "${String(item.example)}" (examples: ${names.length > 0 ? names.join(', ') : 'none'})`,
        );
      }
      payload = withoutPointers(ex.payload, strip);
    } else if (item.payload !== undefined) {
      // Checked as the runtime will see it: the envelope fields it fills put in from a generated value.
      const validate = descriptor.validateAll ?? descriptor.validate;
      const sample = sampleValid(m.payload, (x) => validate(x), createRandom(1)) ?? sampleValue(m.payload, createRandom(1));
      const filled = fillFrom(item.payload, sample, system, m);
      if (!validate(filled)) {
        for (const v of explainErrors((validate.errors ?? []) as never, filled)) {
          error('scenario-payload', `${base}/payload${v.pointer}`, `payload of ${m.id} ${v.pointer || '/'}: ${v.text}`);
        }
        return;
      }
      payload = item.payload;
    } else {
      payload = payloadSource(m, descriptor, { ...(system.envelope ? { envelope: system.envelope } : {}) }).payload(0);
      if (payload === undefined)
        return error('scenario-example', `${base}/message`, `${m.id} has no valid example and no value could be generated: give payload:`);
    }
    const strings = (key: 'headers' | 'parameters'): Record<string, string> | undefined => {
      const v = item[key];
      if (v === undefined) return undefined;
      if (!isMap(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        error('scenario-shape', `${base}/${key}`, `${key} must map names to strings`);
        return undefined;
      }
      return v as Record<string, string>;
    };
    const headers = strings('headers');
    const parameters = strings('parameters');
    if (item.key !== undefined && typeof item.key !== 'string') error('scenario-shape', `${base}/key`, 'key must be a string');
    scenario.publish.push({
      messageId: m.id,
      channelId,
      payload,
      ...(operationId ? { operationId } : {}),
      ...(headers ? { headers } : {}),
      ...(parameters ? { parameters } : {}),
      ...(typeof item.key === 'string' ? { key: item.key } : {}),
      location: place(base),
    });
  });

  const correlationDeclared = system.envelope?.correlationId !== undefined || system.messages.some((m) => m.correlationIdLocation !== undefined);
  list('expect').forEach((item, i) => {
    const base = `/expect/${i}`;
    if (!isMap(item)) return error('scenario-shape', base, 'each expect entry is a mapping with message: and where:');
    for (const k of Object.keys(item))
      if (!EXPECT_KEYS.includes(k)) error('scenario-shape', `${base}/${encodePointerSegment(k)}`, `unknown key "${k}" (expected: ${EXPECT_KEYS.join(', ')})`);
    const m = findMessage(item.message, `${base}/message`);
    const withinMs = withinOf(item.within, `${base}/within`, defaultWithin);
    let count = 1;
    if (item.count !== undefined) {
      if (typeof item.count === 'number' && Number.isInteger(item.count) && item.count >= 1) count = item.count;
      else error('scenario-shape', `${base}/count`, `count must be a whole number >= 1 (got ${JSON.stringify(item.count)})`);
    }
    let correlated = correlationDeclared;
    if (item.correlated !== undefined) {
      if (typeof item.correlated !== 'boolean') error('scenario-shape', `${base}/correlated`, 'correlated must be true or false');
      else if (item.correlated && !correlationDeclared)
        error('scenario-shape', `${base}/correlated`, `${system.id} declares no correlation id: nothing to correlate on`);
      else correlated = item.correlated;
    }
    const where: ScenarioExpect['where'] = [];
    if (item.where !== undefined && !isMap(item.where))
      error('scenario-shape', `${base}/where`, 'where must map field paths (JSON pointer or dotted) to values');
    else if (m) {
      for (const [path, value] of Object.entries((item.where as Record<string, unknown> | undefined) ?? {})) {
        const pointer = fieldPointer(path);
        if (!schemaDeclares(m.payload, pointer)) {
          error('scenario-field', `${base}/where/${encodePointerSegment(path)}`, `${m.id} has no field ${path} (${pointer}) in its payload schema`);
          continue;
        }
        where.push({ pointer, path, value });
      }
    }
    if (m) scenario.expect.push({ messageId: m.id, withinMs, where, count, correlated, location: place(base) });
  });
  if (problems.length > 0) throw new ScenarioError(problems);
  return scenario;
}

/** The inline payload with the envelope fields the runtime fills taken from a generated sample where missing. */
function fillFrom(payload: unknown, sample: unknown, system: SystemModel, m: MessageModel): unknown {
  if (!isMap(payload) || !isMap(sample)) return payload;
  const out = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  const env = system.envelope;
  const pointers = [env?.id, env?.time, env?.correlationId ?? payloadPointer(m.correlationIdLocation), env?.causationId, env?.sequence, env?.type].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  for (const p of pointers) {
    const segs = splitPointer(p);
    const v = getPointer(sample, p);
    if (v === undefined || getPointer(out, p) !== undefined) continue;
    let node: Record<string, unknown> = out;
    for (let k = 0; k < segs.length - 1; k++) {
      const next = node[segs[k]!];
      if (!isMap(next)) break;
      node = next;
    }
    node[segs[segs.length - 1]!] = v;
  }
  return out;
}

export interface ScenarioRun {
  /** Feed every observed message (the observer's onMessage). */
  observe(m: ObservedMessage): void;
  /** Publishes the scenario's messages, then waits for the expectations. */
  run(): Promise<ScenarioResult>;
}

/**
 * Runs a loaded scenario over a transport: publishes through the runtime's client (source
 * `evc-verify`, one fresh correlation id for the whole scenario), then waits until every
 * expectation is met or its time is up. Start the observer first and route its messages
 * to `observe`.
 */
export function scenarioRun(scenario: Scenario, rt: RuntimeSystem, transport: Transport): ScenarioRun {
  const correlationId = randomUUID();
  const state = scenario.expect.map(() => ({ seen: 0, at: undefined as number | undefined }));
  const waiting: Array<() => void> = [];
  let publishedAt: number | undefined;
  const early: ObservedMessage[] = [];

  const matches = (e: ScenarioExpect, m: ObservedMessage): boolean =>
    m.messageId === e.messageId &&
    (!e.correlated || m.correlationId === correlationId) &&
    e.where.every((w) => isDeepStrictEqual(getPointer(m.payload, w.pointer), w.value));

  const observe = (m: ObservedMessage) => {
    if (publishedAt === undefined) {
      early.push(m);
      return;
    }
    scenario.expect.forEach((e, i) => {
      const s = state[i]!;
      if (s.seen >= e.count || !matches(e, m)) return;
      s.seen++;
      if (s.seen >= e.count) s.at = Math.max(0, m.receivedAt - publishedAt!);
    });
    for (const w of waiting.splice(0)) w();
  };

  return {
    observe,
    async run() {
      const client = createClient(rt.descriptor, { transport, source: 'evc-verify', dedupe: false, closeTransport: false });
      const started = Date.now();
      let published = 0;
      try {
        for (const p of scenario.publish) {
          const op: OperationDescriptor = (p.operationId ? rt.operations.get(p.operationId) : undefined) ?? {
            id: `scenario.${p.messageId}`,
            action: 'send',
            channel: rt.channels.get(p.channelId)!,
            messages: [rt.messages.get(p.messageId)!],
          };
          await client.publish({ ...op, messages: [rt.messages.get(p.messageId)!] }, p.payload, {
            correlationId,
            ...(p.headers ? { headers: p.headers } : {}),
            ...(p.key !== undefined ? { key: p.key } : {}),
            ...(p.parameters ? { parameters: p.parameters } : {}),
          });
          published++;
        }
      } finally {
        await client.close();
      }
      publishedAt = started;
      for (const m of early.splice(0)) observe(m);
      const deadline = started + Math.max(0, ...scenario.expect.map((e) => e.withinMs));
      const allMet = () => scenario.expect.every((e, i) => state[i]!.seen >= e.count);
      while (!allMet() && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
          waiting.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      const expectations: ExpectationResult[] = scenario.expect.map((e, i) => {
        const s = state[i]!;
        const met = s.seen >= e.count && s.at !== undefined && s.at <= e.withinMs;
        const what = `${e.messageId}${e.where.length > 0 ? ` where ${e.where.map((w) => `${w.path} = ${JSON.stringify(w.value)}`).join(', ')}` : ''}`;
        return {
          message: what,
          withinMs: e.withinMs,
          met,
          seen: s.seen,
          ...(s.at !== undefined ? { afterMs: s.at } : {}),
          ...(met
            ? {}
            : {
                reason:
                  s.seen >= e.count
                    ? `seen after ${s.at} ms, later than ${e.withinMs} ms`
                    : `${s.seen} of ${e.count} seen within ${e.withinMs} ms${e.correlated ? ` (correlation id ${correlationId})` : ''}`,
              }),
          location: e.location,
        };
      });
      return { name: scenario.name, file: scenario.file, correlationId, published, expectations, ok: expectations.every((x) => x.met) };
    },
  };
}
