/**
 * Which message of the contract a value is, and whether it is valid: by `--message`,
 * by `--channel` (among the channel's messages, by type, else the best of them), or by
 * the envelope's type field (the pointer from `x-evc-envelope.type`).
 */
import type { ValidateFunction } from 'ajv';
import { createAjv, prepareSchema } from '../contract/ajv.js';
import type { MessageModel, SystemModel } from '../contract/ir.js';
import { splitPointer } from '../contract/json-pointer.js';
import { explainErrors, type Violation } from './explain.js';

export type CheckStatus = 'valid' | 'invalid' | 'unknown-type';

export interface CheckResult {
  status: CheckStatus;
  /** The message the value was checked against (the closest one when none matched). */
  messageId?: string;
  /** The value of the envelope's type field, when there is one. */
  eventType?: string;
  violations: Violation[];
}

export interface CheckerOptions {
  /** Message id or name. */
  message?: string;
  /** Channel id or address. */
  channel?: string;
}

/** A bad `--message` / `--channel`, or a contract without a way to tell messages apart. */
export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface Checker {
  check(value: unknown): CheckResult;
  /**
   * Whether `check(value)` would say valid, without building a result or explaining
   * anything: the hot path for streams where almost every message is valid.
   */
  isValid(value: unknown): boolean;
  /** A short description of how messages are picked, for the summary. */
  describe: string;
}

/** A reader of the value at a pointer, its segments split once (not once per message). */
function readerOf(pointer: string): (root: unknown) => unknown {
  const segments = splitPointer(pointer);
  return (root) => {
    let node = root;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      if (!Object.hasOwn(node, seg)) return undefined;
      node = (node as Record<string, unknown>)[seg];
    }
    return node;
  };
}

export function createChecker(system: SystemModel, options: CheckerOptions = {}): Checker {
  const ajv = createAjv({ allErrors: true });
  const compiled = new Map<string, ValidateFunction>();
  const validatorOf = (m: MessageModel): ValidateFunction => {
    let v = compiled.get(m.id);
    if (!v) {
      v = ajv.compile(prepareSchema(m.payload) as object);
      compiled.set(m.id, v);
    }
    return v;
  };
  const run = (m: MessageModel, value: unknown): Violation[] => {
    const v = validatorOf(m);
    return v(value) ? [] : explainErrors(v.errors, value);
  };
  /** Valid against any candidate, else invalid with the errors of the closest (fewest violations). */
  const best = (candidates: MessageModel[], value: unknown, eventType: string | undefined): CheckResult => {
    let closest: { m: MessageModel; violations: Violation[] } | undefined;
    for (const m of candidates) {
      const violations = run(m, value);
      if (violations.length === 0) return { status: 'valid', messageId: m.id, ...(eventType !== undefined ? { eventType } : {}), violations };
      if (!closest || violations.length < closest.violations.length) closest = { m, violations };
    }
    return { status: 'invalid', messageId: closest!.m.id, ...(eventType !== undefined ? { eventType } : {}), violations: closest!.violations };
  };

  /** Valid against any candidate (their order as `best` tries them). */
  const anyValid = (candidates: MessageModel[], value: unknown): boolean => {
    for (let i = 0; i < candidates.length; i++) if (validatorOf(candidates[i]!)(value)) return true;
    return false;
  };

  const typePointer = system.envelope?.type;
  const typeAt = typePointer ? readerOf(typePointer) : () => undefined;
  const typeOf = (value: unknown): string | undefined => {
    const t = typeAt(value);
    return typeof t === 'string' ? t : undefined;
  };
  const byType = (pool: MessageModel[]) => {
    const map = new Map<string, MessageModel[]>();
    for (const m of pool) if (m.eventType !== undefined) map.set(m.eventType, [...(map.get(m.eventType) ?? []), m]);
    return map;
  };

  if (options.message !== undefined) {
    const m = system.messages.find((x) => x.id === options.message) ?? system.messages.find((x) => x.name === options.message);
    if (!m) throw new SelectionError(`no message "${options.message}" in ${system.id} (messages: ${system.messages.map((x) => x.id).join(', ')})`);
    const only = [m];
    return { describe: `as message ${m.id}`, check: (value) => best(only, value, typeOf(value)), isValid: (value) => anyValid(only, value) };
  }

  if (options.channel !== undefined) {
    const ch = system.channels.find((c) => c.id === options.channel) ?? system.channels.find((c) => c.address === options.channel);
    if (!ch) throw new SelectionError(`no channel "${options.channel}" in ${system.id} (channels: ${system.channels.map((c) => c.id).join(', ')})`);
    const pool = ch.messageIds.map((id) => system.messages.find((m) => m.id === id)).filter((m): m is MessageModel => m !== undefined);
    if (pool.length === 0) throw new SelectionError(`channel "${ch.id}" carries no messages`);
    const types = byType(pool);
    return {
      describe: `on channel ${ch.id}`,
      check: (value) => {
        const t = typeOf(value);
        const hit = t !== undefined ? types.get(t) : undefined;
        return best(hit ?? pool, value, t);
      },
      isValid: (value) => {
        const t = typeOf(value);
        const hit = t !== undefined ? types.get(t) : undefined;
        return anyValid(hit ?? pool, value);
      },
    };
  }

  if (!typePointer) {
    if (system.messages.length === 1) {
      const only = system.messages[0]!;
      const pool = [only];
      return { describe: `as message ${only.id}`, check: (value) => best(pool, value, undefined), isValid: (value) => anyValid(pool, value) };
    }
    throw new SelectionError(`${system.id} declares no envelope type field (x-evc-envelope.type): pass --message or --channel`);
  }
  const types = byType(system.messages);
  const known = [...types.keys()].sort();
  return {
    describe: `by ${typePointer}`,
    check: (value) => {
      const raw = typeAt(value);
      const t = typeof raw === 'string' ? raw : undefined;
      const hit = t !== undefined ? types.get(t) : undefined;
      if (!hit) {
        const what =
          raw === undefined
            ? `no type field at ${typePointer}`
            : typeof raw !== 'string'
              ? `type field ${typePointer} is not a string`
              : `unknown event type "${t}" at ${typePointer}`;
        return {
          status: 'unknown-type',
          ...(t !== undefined ? { eventType: t } : {}),
          violations: [{ pointer: typePointer, text: `${what} (known: ${known.join(', ')})`, keyword: 'type-field', schemaPath: '' }],
        };
      }
      return best(hit, value, t);
    },
    isValid: (value) => {
      const raw = typeAt(value);
      const hit = typeof raw === 'string' ? types.get(raw) : undefined;
      return hit !== undefined && anyValid(hit, value);
    },
  };
}
