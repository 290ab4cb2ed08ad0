/**
 * The AsyncAPI spec check runs in a worker thread beside the loading and the IR build
 * (spec-validate.ts, startSpecWorker); in this thread (specInWorker: false) it is the code
 * it was before. Both give the same diagnostics, in the same order, at the same places.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/contract/ir.js';
import { loadContract, loadContracts } from '../../src/contract/load.js';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

const corpus = join(import.meta.dirname, '../corpus/documents');

function show(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.location.file}:${d.location.line}:${d.location.col} ${d.severity} ${d.rule} ${d.message}`);
}

describe('the spec check in a worker thread', () => {
  it('finds what the check in this thread finds, at the same places, in a contract across files', async () => {
    const dir = contractDir({
      'demo.yaml': demoContract({
        extra: `tags:
  - name: a
  - name: a
x-shared:
  $ref: 'shared/bad.yaml#/thing'`,
      }).replace('  version: 1.0.0\n', '  version: 1.0.0\n  contact: { url: 5 }\n'),
      'shared/bad.yaml': 'thing:\n  summary: 5\n',
    });
    const inWorker = await loadContract(join(dir, 'demo.yaml'));
    const inThread = await loadContract(join(dir, 'demo.yaml'), { specInWorker: false });
    const found = show(inWorker.diagnostics).filter((d) => d.includes(' asyncapi/'));
    // The check did report something here: the comparison below compares findings.
    expect(found.length).toBeGreaterThan(0);
    expect(show(inWorker.diagnostics)).toEqual(show(inThread.diagnostics));
    expect(inWorker.systems.map((s) => s.id)).toEqual(inThread.systems.map((s) => s.id));
  });

  it.each([['avro/payments.yaml'], ['v2-pubsub/streetlights.yaml'], ['recursive/comments.yaml'], ['conventions/relay.yaml']])(
    'corpus %s: the same diagnostics either way',
    async (file) => {
      const inWorker = await loadContracts([join(corpus, file)]);
      const inThread = await loadContracts([join(corpus, file)], { specInWorker: false });
      expect(show(inWorker.diagnostics)).toEqual(show(inThread.diagnostics));
    },
  );
});
