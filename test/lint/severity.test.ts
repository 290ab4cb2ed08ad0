/**
 * Rule severities per command: lint errors are errors in `evc lint` and warnings in
 * `evc generate` (errors again with strict); format-unknown warns; derived names are infos.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { loadContract } from '../../src/contract/index.js';
import { lintForGenerate, lintSystem } from '../../src/lint/index.js';
import { contractDir } from '../helpers/contract-dir.js';

/** Someone else's valid 3.0 document: inline payload, open objects, a bad example, an unknown format. */
const foreign = `asyncapi: 3.0.0
info: {title: Foreign, version: '1'}
channels:
  c1:
    address: a.b
    messages:
      m1:
        payload:
          type: object
          required: [n, ghost]
          properties:
            x: {type: string, format: x-custom-id}
            n: {type: integer}
        examples:
          - payload: {n: bad, ghost: 1}
operations:
  sendIt:
    action: send
    channel: {$ref: '#/channels/c1'}
`;

async function system(yaml: string) {
  const dir = contractDir({ 'd.yaml': yaml });
  const r = await loadContract(join(dir, 'd.yaml'));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.systems[0]!;
}
const lines = (ds: { severity: string; rule: string; location: { line: number; col: number } }[]) =>
  ds.map((d) => `${d.location.line}:${d.location.col} ${d.severity} ${d.rule}`);

describe('rule severities per command', () => {
  it('evc lint: errors; generate: the same findings as warnings; generate --strict: errors again', async () => {
    const s = await system(foreign);
    const lint = [
      '12:13 warning format-unknown',
      '15:23 error example-valid',
      '8:9 error additional-properties-explicit',
      '8:9 error payload-type-name',
      '8:9 error required-declared',
    ];
    expect(lines(lintSystem(s)).sort()).toEqual(lint);
    expect(lines(lintForGenerate(s)).sort()).toEqual(lint.map((l) => l.replace(' error ', ' warning ')));
    expect(lines(lintForGenerate(s, { strict: true })).sort()).toEqual(lint);
  });

  it('every rule, not only the schema conventions: an undeclared address parameter is a warning in generate', async () => {
    const s = await system(foreign.replace('address: a.b', 'address: a.{id}'));
    expect(lines(lintSystem(s, ['address-parameters']))).toEqual(['5:5 error address-parameters']);
    expect(lines(lintForGenerate(s)).filter((l) => l.includes('address-parameters'))).toEqual(['5:5 warning address-parameters']);
    expect(lines(lintForGenerate(s, { strict: true })).filter((l) => l.includes('address-parameters'))).toEqual(['5:5 error address-parameters']);
  });

  it('format-unknown names the format and its place', async () => {
    const s = await system(foreign);
    expect(lintSystem(s, ['format-unknown']).map((d) => [d.location.pointer, d.message])).toEqual([
      [
        '/channels/c1/messages/m1/payload/properties/x',
        'format "x-custom-id" is not one the validators know: it is an annotation, and values are not checked against it (known: the JSON Schema 2020-12 formats and int32, int64, float, double, byte, binary, password)',
      ],
    ]);
  });

  it('derived-name: each name a 2.x document does not give, as an info; generate leaves infos to lint', async () => {
    const s = await system(`asyncapi: 2.6.0
info: {title: T, version: '1'}
channels:
  user/signedup:
    subscribe:
      message:
        payload: {type: string}
`);
    expect(lintSystem(s, ['derived-name']).map((d) => `${d.location.line}:${d.location.col} ${d.severity} ${d.message}`)).toEqual([
      '5:5 info operation id "sendUserSignedup" is derived from the channel ("user/signedup") and the action (subscribe in 2.x: the application sends); set `operationId` to choose it',
      '6:7 info message id "sendUserSignedupMessage" is derived from its operation ("sendUserSignedup"): it has no messageId or name; set `messageId` to choose it',
    ]);
    expect(lintForGenerate(s).filter((d) => d.rule === 'derived-name')).toEqual([]);
  });
});

describe('evc generate --lint warn: the findings of every contract, in contract order', () => {
  // The first contract's lint runs once its first system's validator jobs are posted (generate.ts, loadOne):
  // the findings must be the same, in the same place, whatever path the run takes.
  const named = (title: string) => foreign.replace('title: Foreign', `title: ${title}`).replace('address: a.b', `address: ${title.toLowerCase()}.b`);
  const expected = async (dir: string, files: string[]) => {
    const out: string[] = [];
    for (const f of files) {
      const r = await loadContract(join(dir, f), { specValidation: false });
      out.push(
        ...[...r.diagnostics, ...r.systems.flatMap((sys) => lintForGenerate(sys))].map(
          (d) => `${f} ${d.location.line}:${d.location.col} ${d.severity} ${d.rule}`,
        ),
      );
    }
    return out;
  };
  const got = (dir: string, ds: { severity: string; rule: string; location: { file: string; line: number; col: number } }[]) =>
    ds.map((d) => `${d.location.file.slice(dir.length + 1)} ${d.location.line}:${d.location.col} ${d.severity} ${d.rule}`);

  it('two contracts that generate', async () => {
    const dir = contractDir({ 'asyncapi/a.yaml': named('Alpha'), 'asyncapi/b.yaml': named('Beta') });
    const r = await generate({ root: dir, cache: false, docs: false, lint: 'warn', check: true });
    const want = await expected(dir, ['asyncapi/a.yaml', 'asyncapi/b.yaml']);
    expect(want.filter((l) => l.startsWith('asyncapi/a.yaml')).length).toBeGreaterThan(0);
    expect(got(dir, r.diagnostics)).toEqual(want);
  });

  it('the second contract does not load: the first one is not planned, its findings are still there, before the error', async () => {
    const dir = contractDir({
      'asyncapi/a.yaml': named('Alpha'),
      'asyncapi/b.yaml': `${named('Beta')}components:\n  schemas:\n    X: {$ref: './gone.yaml'}\n`,
    });
    const r = await generate({ root: dir, cache: false, docs: false, lint: 'warn' });
    expect(r.changes).toEqual([]);
    const lines = got(dir, r.diagnostics);
    expect(lines.some((l) => l.startsWith('asyncapi/b.yaml') && l.includes(' error '))).toBe(true);
    expect(lines).toEqual(await expected(dir, ['asyncapi/a.yaml', 'asyncapi/b.yaml']));
  });

  it('the first system is refused (its folder is the docs folder): its findings are still there', async () => {
    const dir = contractDir({ 'asyncapi/docs.yaml': named('Docs'), 'asyncapi/e.yaml': named('Echo') });
    const r = await generate({ root: dir, cache: false, lint: 'warn', check: true, keepGoing: true });
    const lines = got(dir, r.diagnostics).filter((l) => !l.includes('system-id-unique'));
    expect(r.diagnostics.filter((d) => d.rule === 'system-id-unique').map((d) => d.location.file.slice(dir.length + 1))).toEqual(['asyncapi/docs.yaml']);
    expect(r.systems).toEqual(['e']);
    expect(lines).toEqual(await expected(dir, ['asyncapi/docs.yaml', 'asyncapi/e.yaml']));
    // Alone: no system is planned at all.
    const alone = contractDir({ 'asyncapi/docs.yaml': named('Docs') });
    const r2 = await generate({ root: alone, cache: false, lint: 'warn', check: true });
    expect(r2.systems).toEqual([]);
    expect(got(alone, r2.diagnostics).filter((l) => !l.includes('system-id-unique'))).toEqual(await expected(alone, ['asyncapi/docs.yaml']));
  });
});
