/**
 * ajv errors as sentences a person reads: where in the message (a JSON pointer) and
 * what the schema expected, with the value that was there.
 */
import type { ErrorObject } from 'ajv';
import { decodePointerSegment, encodePointerSegment } from '../contract/json-pointer.js';

export interface Violation {
  /** JSON pointer inside the message ('' is the whole message). */
  pointer: string;
  /** What the schema expected, e.g. `expected integer, got string "ten"`. */
  text: string;
  /** The ajv keyword that failed (type, required, enum, ...). */
  keyword: string;
  /** Where in the schema, as ajv reports it (`#/properties/data/required`). */
  schemaPath: string;
}

const MAX_SHOWN = 60;

/** A value with its JSON type: `string "ten"`, `number 1.5`, `null`, `object`, `array of 3`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return `${Number.isInteger(value) ? 'integer' : 'number'} ${String(value)}`;
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return `${typeof value} ${json.length > MAX_SHOWN ? json.slice(0, MAX_SHOWN - 1) + '…"' : json}`;
}

function json(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? text.slice(0, 199) + '…' : text;
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[decodePointerSegment(raw)];
  }
  return node;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One ajv error as a Violation. `data` is the whole message, to show the offending value. */
export function explainError(error: ErrorObject, data: unknown): Violation {
  const p = error.params as Record<string, unknown>;
  let pointer = error.instancePath;
  const got = () => describeValue(valueAt(data, error.instancePath));
  let text: string;
  switch (error.keyword) {
    case 'type': {
      const want = Array.isArray(p.type) ? (p.type as string[]).join(' or ') : String(p.type).replace(/,/g, ' or ');
      text = `expected ${want}, got ${got()}`;
      break;
    }
    case 'required':
      text = `missing required property "${String(p.missingProperty)}"`;
      break;
    case 'dependentRequired':
      text = `missing property "${String(p.missingProperty)}" (required when "${String(p.property)}" is present)`;
      break;
    case 'additionalProperties':
      pointer = `${error.instancePath}/${encodePointerSegment(String(p.additionalProperty))}`;
      text = `unexpected property "${String(p.additionalProperty)}" (additionalProperties: false)`;
      break;
    case 'unevaluatedProperties':
      pointer = `${error.instancePath}/${encodePointerSegment(String(p.unevaluatedProperty))}`;
      text = `unexpected property "${String(p.unevaluatedProperty)}" (unevaluatedProperties: false)`;
      break;
    case 'enum':
      text = `expected one of ${json(p.allowedValues)}, got ${got()}`;
      break;
    case 'const':
      text = `expected ${json(p.allowedValue)}, got ${got()}`;
      break;
    case 'minLength':
      text = `expected at least ${plural(Number(p.limit), 'character')}, got ${got()}`;
      break;
    case 'maxLength':
      text = `expected at most ${plural(Number(p.limit), 'character')}, got ${got()}`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      text = `expected ${String(p.comparison)} ${String(p.limit)}, got ${got()}`;
      break;
    case 'multipleOf':
      text = `expected a multiple of ${String(p.multipleOf)}, got ${got()}`;
      break;
    case 'pattern':
      text = `expected to match /${String(p.pattern)}/, got ${got()}`;
      break;
    case 'format':
      text = `expected format "${String(p.format)}", got ${got()}`;
      break;
    case 'minItems':
      text = `expected at least ${plural(Number(p.limit), 'item')}, got ${got()}`;
      break;
    case 'maxItems':
      text = `expected at most ${plural(Number(p.limit), 'item')}, got ${got()}`;
      break;
    case 'uniqueItems':
      text = `expected unique items (items ${Math.min(Number(p.i), Number(p.j))} and ${Math.max(Number(p.i), Number(p.j))} are equal)`;
      break;
    case 'minProperties':
      text = `expected at least ${plural(Number(p.limit), 'property')}, got ${got()}`.replace('propertys', 'properties');
      break;
    case 'maxProperties':
      text = `expected at most ${plural(Number(p.limit), 'property')}, got ${got()}`.replace('propertys', 'properties');
      break;
    case 'oneOf':
      text = Array.isArray(p.passingSchemas)
        ? `expected exactly one oneOf branch to match, branches ${(p.passingSchemas as number[]).join(' and ')} match`
        : `expected exactly one oneOf branch to match, none does`;
      break;
    case 'anyOf':
      text = 'expected at least one anyOf branch to match, none does';
      break;
    case 'not':
      text = 'expected not to match the "not" schema';
      break;
    case 'false schema':
      text = 'no value is allowed here (schema false)';
      break;
    default:
      text = `${error.message ?? 'invalid'} (${error.keyword})`;
  }
  return { pointer, text, keyword: error.keyword, schemaPath: error.schemaPath };
}

/** All of a validator's errors, explained; the `if` wrapper errors (which only repeat `then`/`else`) dropped. */
export function explainErrors(errors: readonly ErrorObject[] | null | undefined, data: unknown): Violation[] {
  if (!errors) return [];
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const v = explainError(e, data);
    const key = `${v.pointer}\0${v.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

/** `/data/tests_passed: expected integer, got string "ten"` (the pointer shown as `/` for the root). */
export function violationLine(v: Violation): string {
  return `${v.pointer || '/'}: ${v.text}`;
}
