/**
 * evc's own compatibility suite (test/fixtures/diff/compat-suite.yaml, written from the
 * specification; Confluent's cases run in reference-suite.test.ts): each case's schemas
 * become the payload of one message that the system both sends and receives, diffed with
 * the real `evc diff` library call under BACKWARD (helpers.ts backwardAnswer). Only wire
 * findings count (the `sdk-*` source findings are another axis). A case agrees when the
 * verdict is decided and equal to the expected one; an undecided answer ("warning") never
 * counts as agreement.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/contract/ir.js';
import { readSource } from '../../src/contract/source.js';
import { backwardAnswer, type SuiteAnswer } from './helpers.js';

interface SuiteCase {
  name: string;
  draft: 'draft-07' | '2020-12';
  old: JsonSchema;
  new: JsonSchema;
  expected: 'compatible' | 'incompatible';
}

/** Cases where evc answers otherwise, and why (docs/diff-semantics.md argues each). */
const knownDifferences: Record<string, { evc: SuiteAnswer; reason: string }> = {};

// Read with the contracts' own YAML reader: a syntax error names file:line:col.
const cases = readSource(fileURLToPath(new URL('../fixtures/diff/compat-suite.yaml', import.meta.url))).data as SuiteCase[];

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
      const { answer, rules } = await backwardAnswer(c.old, c.new);
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
