/**
 * AsyncAPI 3 traits: a Message Object's `traits` (Message Trait Objects) and an Operation
 * Object's `traits` (Operation Trait Objects), merged into their target before the IR is
 * built, so every reader of the IR (lint, codegen, docs, diff) sees the merged object.
 *
 * The rule, from the AsyncAPI 3.0.0 specification, section "Traits Merge Mechanism"
 * (github.com/asyncapi/spec, spec/asyncapi.md; JSON Merge Patch links to RFC 7386):
 *
 *   "Traits MUST be merged with the target object using the JSON Merge Patch
 *    algorithm in the same order they are defined. A property on a trait MUST NOT
 *    override the same property on the target object."
 *
 * We do what the reference implementation does (@asyncapi/parser 3.x,
 * `applyTraitsToObjectV3`): start from nothing, merge-patch each trait in the order
 * listed (a later trait overrides an earlier one), then merge-patch the target itself
 * last, so its own values win. JSON Merge Patch recurses into objects, so the rule holds
 * at every depth: for a property set on both sides as objects (`bindings`, a `headers`
 * schema, `correlationId`), the target's nested values win and the trait's other
 * entries are kept (trait `bindings.kafka.key` + message `bindings.kafka.bindingVersion`
 * gives both; trait header properties are added to the message's). Anything else,
 * arrays included (`tags`, `examples`, a schema's `required`), is taken whole from the
 * side that wins. A `null` removes the property, as RFC 7386 says.
 *
 * One liberty with RFC 7386: a value present on one side only is taken as it is, not
 * rebuilt without its `null`s, so a header schema's `const: null` survives and the node
 * keeps its identity (its schema component name and its place in the sources).
 *
 * What a trait may not hold: the spec's Message Trait Object "MAY contain any property
 * from the Message Object, except `payload` and `traits`"; an Operation Trait Object
 * any property from the Operation Object "except the action, channel and traits ones"
 * (the operationTrait description in the official 3.0.0 JSON Schema, @asyncapi/specs,
 * whose properties allow neither `messages` nor `reply` either). Such a property is an
 * error at its place, and is not merged.
 */
import type { Diagnostic } from './ir.js';
import { isObject, type RefResolver } from './resolve.js';
import { encodePointerSegment } from './json-pointer.js';

type Obj = Record<string, unknown>;

export type TraitTarget = 'message' | 'operation';

const NOT_IN_TRAIT: Record<TraitTarget, readonly string[]> = {
  message: ['payload', 'traits'],
  operation: ['action', 'channel', 'messages', 'reply', 'traits'],
};

const TRAIT_OBJECT: Record<TraitTarget, string> = { message: 'Message Trait Object', operation: 'Operation Trait Object' };
const A: Record<TraitTarget, string> = { message: 'a message', operation: 'an operation' };

const andList = (items: readonly string[]) => `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/**
 * The target with its traits merged in: a new object (the target and its traits are
 * shared, resolved nodes and are never changed), without `traits`, placed where the
 * target was written. The target itself when it lists no traits.
 */
export function applyTraits(target: Obj, kind: TraitTarget, resolver: RefResolver, report: (d: Diagnostic) => void): Obj {
  if (!('traits' in target)) return target;
  const targetOrigin = resolver.originOf(target) ?? { file: '', pointer: '' };
  /** `under`: a JSON pointer below the node, its segments encoded. */
  const error = (rule: string, message: string, node: object, under: string) => {
    const origin = resolver.originOf(node) ?? targetOrigin;
    report({ severity: 'error', rule, message, location: resolver.locate({ file: origin.file, pointer: `${origin.pointer}/${under}` }) });
  };
  const traits = target.traits;
  if (!Array.isArray(traits)) {
    error('trait-invalid', `\`traits\` of ${A[kind]} must be a list of ${TRAIT_OBJECT[kind]}s (or $refs to them)`, target, 'traits');
    return target;
  }
  let merged: Obj = {};
  for (const [i, trait] of traits.entries()) {
    if (!isObject(trait)) {
      error('trait-invalid', `expected a ${TRAIT_OBJECT[kind]} or a $ref to one`, target, `traits/${i}`);
      continue;
    }
    const patch: Obj = {};
    for (const [key, value] of Object.entries(trait)) {
      if (NOT_IN_TRAIT[kind].includes(key)) {
        const what = `an AsyncAPI 3 ${TRAIT_OBJECT[kind]} may hold any field of the ${kind} except ${andList(NOT_IN_TRAIT[kind])}`;
        error('trait-field', `${A[kind]} trait may not set \`${key}\` (${what}); set it on the ${kind} itself`, trait, encodePointerSegment(key));
        continue;
      }
      patch[key] = value;
    }
    merged = mergePatch(merged, patch, resolver) as Obj;
  }
  merged = mergePatch(merged, target, resolver) as Obj;
  delete merged.traits;
  resolver.setOrigin(merged, targetOrigin);
  return merged;
}

/**
 * RFC 7386 MergePatch(target, patch), without changing either: objects merge key by key
 * (a `null` removes the key), anything else in `patch` replaces. A merged object is
 * placed where the patch's object was written (the side that wins), else the target's.
 */
export function mergePatch(target: unknown, patch: unknown, resolver: RefResolver): unknown {
  if (!isObject(patch) || !isObject(target)) return patch;
  const out: Obj = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = key in out ? mergePatch(out[key], value, resolver) : value;
  }
  const origin = resolver.originOf(patch) ?? resolver.originOf(target);
  if (origin) resolver.setOrigin(out, origin);
  return out;
}
