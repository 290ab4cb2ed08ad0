/**
 * The reference suite (test/fixtures/diff/compat-suite.yaml): each case's schemas become the
 * payload of one message that the system both sends and receives, diffed with the real
 * `evc diff` library call under BACKWARD. Only wire findings count (the `sdk-*` source
 * findings are another axis). A case agrees when the verdict is decided and equal to the
 * expected one; an undecided answer ("warning") never counts as agreement.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/contract/ir.js';
import { readSource } from '../../src/contract/source.js';
import { diffDocs, makeDoc } from './helpers.js';

interface SuiteCase {
  name: string;
  draft: 'draft-07' | '2020-12';
  old: JsonSchema;
  new: JsonSchema;
  expected: 'compatible' | 'incompatible';
}

type Answer = 'compatible' | 'incompatible' | 'undecided';

/** Cases where evc answers otherwise, and why (docs/diff-semantics.md argues each). */
const knownDifferences: Record<string, { evc: Answer; reason: string }> = {
  'integer split over two anyOf ranges': {
    evc: 'undecided',
    reason:
      'the writer fits the union of two anyOf branches but no single one; evc proves inclusion branch by branch and leaves a cover by several branches undecided',
  },
};

// Read with the contracts' own YAML reader: a syntax error names file:line:col.
const cases = readSource(fileURLToPath(new URL('../fixtures/diff/compat-suite.yaml', import.meta.url))).data as SuiteCase[];

/** A case's schema as a payload: its own definitions move to components/schemas, and refs follow. */
function wrap(schema: JsonSchema) {
  const { definitions, $defs, ...payload } = schema as JsonSchema & { definitions?: JsonSchema; $defs?: JsonSchema };
  const schemas = { ...(definitions ?? {}), ...($defs ?? {}) };
  const text = JSON.stringify(payload).replace(/"#\/(?:definitions|\$defs)\//g, '"#/components/schemas/');
  const doc = makeDoc(JSON.parse(text) as JsonSchema);
  if (Object.keys(schemas).length > 0) doc.components.schemas = schemas;
  return doc;
}

async function answerOf(c: SuiteCase): Promise<{ answer: Answer; rules: string[] }> {
  const report = await diffDocs(wrap(c.old), wrap(c.new), 'BACKWARD');
  const wire = report.findings.filter((f) => f.category === 'wire');
  const rules = wire.filter((f) => f.verdict !== 'safe').map((f) => `${f.rule}(${f.verdict})`);
  if (wire.some((f) => f.verdict === 'breaking')) return { answer: 'incompatible', rules };
  if (wire.some((f) => f.verdict === 'warning')) return { answer: 'undecided', rules };
  return { answer: 'compatible', rules };
}

describe('compatibility reference suite (BACKWARD)', () => {
  it('has at least 120 cases with unique names, both verdicts in every family', () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.filter((c) => c.expected === 'compatible').length).toBeGreaterThan(40);
    expect(cases.filter((c) => c.expected === 'incompatible').length).toBeGreaterThan(40);
    for (const name of Object.keys(knownDifferences)) expect(cases.map((c) => c.name)).toContain(name);
  });

  it('agrees with every case except the listed known differences', async () => {
    const disagreements: string[] = [];
    const stale: string[] = [];
    let agree = 0;
    for (const c of cases) {
      const { answer, rules } = await answerOf(c);
      const known = knownDifferences[c.name];
      if (answer === c.expected) {
        agree++;
        if (known) stale.push(`${c.name}: listed as a known difference but evc now agrees`);
      } else if (!known || known.evc !== answer) disagreements.push(`${c.name} [${c.draft}]: expected ${c.expected}, evc ${answer} ${rules.join(', ')}`);
    }
    process.stdout.write(
      `compat suite: ${agree}/${cases.length} agree (${((100 * agree) / cases.length).toFixed(1)} %), ${Object.keys(knownDifferences).length} known difference(s)\n`,
    );
    expect(disagreements).toEqual([]);
    expect(stale).toEqual([]);
  }, 120_000);
});
