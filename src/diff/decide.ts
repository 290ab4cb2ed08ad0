/**
 * Payload (and header) schema changes decided in both directions: backward is
 * `isSubschema(old, new)` (old writers, new readers), forward is `isSubschema(new, old)`.
 * The issues of both checks at the same place and of the same kind become one change with
 * a verdict per direction; a kind failing both ways gets the "-changed" rule.
 */
import type { JsonSchema } from '../contract/ir.js';
import type { Verdict } from './finding.js';
import { instancePointer, type InstanceSegment } from './schema.js';
import { ISSUE_RULES, isSubschema, nodeOf, type Issue } from './subschema.js';

export interface DecidedChange {
  rule: string;
  text: string;
  instancePath: InstanceSegment[];
  backward: Verdict;
  forward: Verdict;
  /** Why a direction is a warning (what the answer depends on). */
  undecided: string[];
  oldNode?: JsonSchema | undefined;
  newNode?: JsonSchema | undefined;
  /** The issues behind each direction (witnesses, local schemas, anchors) for the counterexample search. */
  issues: { backward: Issue[]; forward: Issue[] };
}

/** Issue texts speak of writer and reader; findings speak of the old and the new schema. */
function phrase(text: string, dir: 'backward' | 'forward'): string {
  const [writer, reader] = dir === 'backward' ? ['old', 'new'] : ['new', 'old'];
  return text
    .replace(/ is required by the reader( and the writer never sets it)?/, (_m, never: string | undefined) =>
      dir === 'backward' ? ` is now required${never ? ' (and was never set)' : ''}` : ` is no longer required${never ? ' (and is never set)' : ''}`,
    )
    .replace(/\bthe reader(?='s|\b)/g, `the ${reader} schema`)
    .replace(/\bthe writer(?='s|\b)/g, `the ${writer} schema`)
    .replace(/\bby the reader only/g, `by the ${reader} schema only`)
    .replace(/\bby the writer only/g, `by the ${writer} schema only`);
}

const verdictOf = (issues: Issue[]): Verdict => (issues.length === 0 ? 'safe' : issues.some((i) => i.answer === 'no') ? 'breaking' : 'warning');

/**
 * @example
 *   decideSchemas({ type: 'string' }, { type: ['string', 'null'] });
 *   // [{ rule: 'type-widened', backward: 'safe', forward: 'breaking', ... }]
 */
export function decideSchemas(oldRoot: JsonSchema, newRoot: JsonSchema): DecidedChange[] {
  const groups = new Map<string, { backward: Issue[]; forward: Issue[] }>();
  const add = (dir: 'backward' | 'forward', list: Issue[]) => {
    for (const i of list) {
      const key = `${instancePointer(i.path)}\u0000${ISSUE_RULES[i.kind][2]}`;
      const g = groups.get(key) ?? { backward: [], forward: [] };
      g[dir].push(i);
      groups.set(key, g);
    }
  };
  add('backward', isSubschema(oldRoot, newRoot).issues);
  add('forward', isSubschema(newRoot, oldRoot).issues);
  const out: DecidedChange[] = [];
  for (const g of groups.values()) {
    const first = (g.backward[0] ?? g.forward[0])!;
    const names = ISSUE_RULES[first.kind];
    const rule = g.backward.length > 0 && g.forward.length > 0 ? (names[0] === names[1] ? names[0] : names[2]) : g.backward.length > 0 ? names[0] : names[1];
    const texts = [...new Set([...g.backward.map((i) => phrase(i.text, 'backward')), ...g.forward.map((i) => phrase(i.text, 'forward'))])];
    const undecided = [...new Set([...g.backward, ...g.forward].filter((i) => i.answer === 'unknown' && i.undecided).map((i) => i.undecided!))];
    const b = g.backward[0];
    const f = g.forward[0];
    out.push({
      rule,
      text: texts.join('; '),
      instancePath: first.path,
      backward: verdictOf(g.backward),
      forward: verdictOf(g.forward),
      undecided,
      oldNode: nodeOf(b ? (b.writerNode ?? b.writer) : (f?.readerNode ?? f?.reader)),
      newNode: nodeOf(b ? (b.readerNode ?? b.reader) : (f?.writerNode ?? f?.writer)),
      issues: g,
    });
  }
  return out;
}
