/**
 * Confluent Schema Registry's JSON Schema compatibility cases (draft-07, 2020-12, combined
 * schemas), turned into evc's own fixture by scripts/reference-suite.mjs
 * (test/fixtures/diff/reference-suite.yaml). Each case's schemas become the payload of one
 * message that the system both sends and receives, diffed with the real `evc diff` library
 * call under BACKWARD, wire findings only (test/diff/helpers.ts backwardAnswer). A case
 * agrees when evc's verdict is decided and equal to Confluent's; "undecided" (a warning)
 * never counts as agreement. Every other answer must be listed in `knownDifferences` with
 * the reason (docs/diff-semantics.md gives the counterexample for each).
 */
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/contract/ir.js';
import { readSource } from '../../src/contract/source.js';
import { backwardAnswer, type SuiteAnswer } from './helpers.js';

interface ReferenceCase {
  id: string;
  source: string;
  draft: 'draft-07' | '2020-12';
  old: JsonSchema;
  new: JsonSchema;
  expected: 'compatible' | 'incompatible';
}

interface KnownDifference {
  evc: SuiteAnswer;
  reason: string;
  /** evc incompatible: a document valid under `old` and invalid under `new` (checked below with the draft's own validator). */
  counterexample?: unknown;
  /** evc compatible: documents both schemas judge alike, among them those Confluent's verdict is about (checked below). */
  judgedAlike?: unknown[];
}

/**
 * Cases where Confluent's verdict is wrong by the JSON Schema specification and evc keeps
 * the right one (docs/diff-semantics.md, "Where Confluent's verdicts differ", argues each).
 */
const requiredUndeclared: KnownDifference = {
  evc: 'incompatible',
  reason:
    'required ["foo"] -> ["bar"]: "bar" is not declared, but `required` does not need a declaration: every old document without "bar" (e.g. {"foo": "x"}) is rejected by the new schema. Confluent only looks at required names that are declared properties and sees "foo" dropped (compatible).',
  counterexample: { foo: 'x' },
};
const dependentSchemaNoObject: KnownDifference = {
  evc: 'compatible',
  reason:
    'a dependent schema applies to the whole object once the name is present; {type: string} and {type: number} both reject every object, so both schemas forbid "foo" and accept everything else: the same set of documents. Confluent compares the two dependent schemas as if they applied to the value of "foo".',
  judgedAlike: [{ foo: 'x' }, { foo: 1 }, {}, { bar: 1 }, 'foo', 1, null],
};
const additionalItemsAlone: KnownDifference = {
  evc: 'compatible',
  reason:
    'draft-07 validation §6.4.2: without an `items` array, `additionalItems` is ignored (`items`, absent, already applies to every element). Both schemas accept every document; Confluent compares the keyword as if it applied.',
  judgedAlike: [[], [1], ['x'], [1, 'x', null], {}, 'x'],
};
const knownDifferences: Record<string, KnownDifference> = {
  'confluent-d7-052': dependentSchemaNoObject,
  'confluent-d7-056': requiredUndeclared,
  'confluent-d7-088': additionalItemsAlone,
  'confluent-d7-089': additionalItemsAlone,
  'confluent-2020-054': dependentSchemaNoObject,
  'confluent-2020-058': requiredUndeclared,
};

/** The draft's own validator (ajv's draft-07 or 2020-12 class), not evc's 2020-12 reading of draft-07. */
function validatorOf(draft: ReferenceCase['draft'], schema: JsonSchema) {
  // No case uses `format`; strict off lets draft-07 cases carry keywords of 2020-12 and vice versa as they are written.
  const ajv = draft === '2020-12' ? new Ajv2020({ strict: false }) : new Ajv({ strict: false });
  return ajv.compile(schema);
}

const cases = readSource(fileURLToPath(new URL('../fixtures/diff/reference-suite.yaml', import.meta.url))).data as ReferenceCase[];

describe('Confluent Schema Registry JSON Schema compatibility cases (BACKWARD)', () => {
  it('holds the 263 cases of the four case files with unique ids', () => {
    expect(cases.length).toBe(263);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(cases.filter((c) => c.draft === 'draft-07').length).toBe(132);
    expect(cases.filter((c) => c.draft === '2020-12').length).toBe(131);
    for (const id of Object.keys(knownDifferences)) expect(cases.map((c) => c.id)).toContain(id);
  });

  it.each(Object.entries(knownDifferences))("%s: the known difference is proven with the draft's validator", (id, known) => {
    const c = cases.find((x) => x.id === id)!;
    expect(known.evc).not.toBe(c.expected);
    const oldValid = validatorOf(c.draft, c.old);
    const newValid = validatorOf(c.draft, c.new);
    if (known.evc === 'incompatible') {
      expect([oldValid(known.counterexample), newValid(known.counterexample)]).toEqual([true, false]);
    } else {
      for (const doc of known.judgedAlike ?? []) expect([JSON.stringify(doc), newValid(doc)]).toEqual([JSON.stringify(doc), oldValid(doc)]);
      expect(known.judgedAlike?.length).toBeGreaterThan(3);
    }
  });

  it('agrees with every case except the listed known differences', async () => {
    const disagreements: string[] = [];
    const stale: string[] = [];
    const unproven: string[] = [];
    const forwardUndecided: string[] = [];
    let agree = 0;
    let undecided = 0;
    for (const c of cases) {
      const { answer, rules, report } = await backwardAnswer(c.old, c.new);
      if (answer === 'undecided') undecided++;
      // Every breaking verdict, both directions (forward: old readers, new writers; Confluent
      // has no verdict for it), comes with a counterexample the draft's own validator confirms.
      const wire = report.findings.filter((x) => x.category === 'wire');
      if (wire.some((f) => f.forward === 'warning')) forwardUndecided.push(c.id);
      for (const direction of ['backward', 'forward'] as const) {
        const [valid, invalid] = direction === 'backward' ? [c.old, c.new] : [c.new, c.old];
        for (const f of wire.filter((x) => x[direction] === 'breaking')) {
          const ce = f.counterexamples.find((x) => x.direction === direction);
          const ok = ce !== undefined && validatorOf(c.draft, valid)(ce.value) && !validatorOf(c.draft, invalid)(ce.value);
          if (!ok)
            unproven.push(
              `${c.id} ${direction} ${f.rule} ${f.pointer}: ${ce ? `${JSON.stringify(ce.value)} not confirmed` : (f.counterexampleNote ?? 'no counterexample')}`,
            );
        }
      }
      const known = knownDifferences[c.id];
      if (answer === c.expected) {
        agree++;
        if (known) stale.push(`${c.id}: listed as a known difference but evc now agrees`);
      } else if (!known || known.evc !== answer)
        disagreements.push(
          `${c.id} (${c.source}): expected ${c.expected}, evc ${answer} ${rules.join(', ')}\n  old ${JSON.stringify(c.old)}\n  new ${JSON.stringify(c.new)}`,
        );
    }
    const known = Object.keys(knownDifferences).length;
    process.stdout.write(
      `reference suite: ${agree}/${cases.length} agree (${((100 * agree) / cases.length).toFixed(1)} %), ${undecided} undecided (warning only), ${known} known difference(s) where Confluent's verdict is wrong: ${agree}/${cases.length - known} of the others\n`,
    );
    expect(disagreements).toEqual([]);
    expect(unproven).toEqual([]);
    expect(forwardUndecided).toEqual([]);
    expect(stale).toEqual([]);
    // Every case is decided by the specification: no warning on any.
    expect(undecided).toBe(0);
    // Agreement is all cases but the known differences (six where Confluent's verdict is wrong: 257/263, 97.7 %).
    expect(agree).toBe(cases.length - Object.keys(knownDifferences).length);
  }, 300_000);
});
