/**
 * The loader refuses hostile contracts with one diagnostic at the place, before the YAML
 * conversion, the $ref resolution or the AsyncAPI parser recurse into them. The parser is
 * replaced here by a counter (its validate() and the Spectral run spec-validate.ts calls):
 * a refused contract must never reach it. The spec check runs in this thread here
 * (specInWorker: false), where the counter is: a worker would load the real parser.
 */
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadContract, loadContracts } from '../../src/contract/load.js';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

const parser = vi.hoisted(() => ({ built: 0, validated: 0 }));
vi.mock('@asyncapi/parser', () => ({
  Parser: class {
    constructor() {
      parser.built++;
    }
    async validate() {
      parser.validated++;
      return [];
    }
    // src/contract/spec-validate.ts runs the parser's Spectral instance on the data itself (no JSON text round trip).
    spectral = {
      async runWithResolved() {
        parser.validated++;
        return { results: [] };
      },
    };
  },
}));
beforeEach(() => {
  parser.validated = 0;
});

const HEAD = 'asyncapi: 3.0.0\ninfo:\n  title: Hostile\n  version: 1.0.0\n';

async function refusal(files: Record<string, string>, entry: string, options: Parameters<typeof loadContract>[1] = {}) {
  const dir = contractDir(files);
  const result = await loadContract(join(dir, entry), { specInWorker: false, ...options });
  expect(parser.validated).toBe(0);
  expect(result.systems).toEqual([]);
  return result.diagnostics.map(
    (d) =>
      `${d.location.file.slice(dir.length + 1)}:${d.location.line}:${d.location.col} ${d.severity} ${d.rule} ${d.message}${d.location.pointer ? ` (at ${d.location.pointer})` : ''}`,
  );
}

describe('contracts the loader refuses before the AsyncAPI parser', () => {
  it('reaches the parser with an ordinary contract (the counter works)', async () => {
    const dir = contractDir({ 'demo.yaml': demoContract() });
    const result = await loadContract(join(dir, 'demo.yaml'), { specInWorker: false });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(parser.validated).toBe(1);
  });

  it('a billion-laughs alias bomb: at the alias that passes the expansion limit', async () => {
    let text = `${HEAD}x-lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
    for (let i = 1; i <= 9; i++)
      text += `x-lol${i}: &lol${i} [${Array(10)
        .fill(`*lol${i - 1}`)
        .join(', ')}]\n`;
    expect(await refusal({ 'a.yaml': text }, 'a.yaml')).toEqual([
      'a.yaml:9:65 error yaml-alias YAML aliases expand the document by more than 100000 nodes (here *lol3, 11111 nodes): refused as an alias bomb (at /x-lol4/7)',
    ]);
  });

  it('an alias inside the node it names (circular data), and an alias without its anchor', async () => {
    expect(await refusal({ 'a.yaml': `${HEAD}x-loop: &loop {again: [1, *loop]}\n` }, 'a.yaml')).toEqual([
      'a.yaml:5:27 error yaml-alias alias *loop is inside the node it names: the data would be circular (at /x-loop/again/1)',
    ]);
    expect(await refusal({ 'a.yaml': `${HEAD}x-where: *nowhere\n` }, 'a.yaml')).toEqual([
      'a.yaml:5:1 error yaml-alias alias *nowhere names no anchor before it (&nowhere) (at /x-where)',
    ]);
  });

  it('aliases count as what they repeat for the nesting depth', async () => {
    let text = `${HEAD}x-d0: &d0 [0]\n`;
    for (let i = 1; i <= 40; i++) text += `x-d${i}: &d${i} [*d${i - 1}]\n`;
    expect(await refusal({ 'a.yaml': text }, 'a.yaml', { limits: { maxNestingDepth: 20 } })).toEqual([
      'a.yaml:24:14 error nesting-too-deep alias *d18 nests deeper than 20 levels of objects/arrays (--max-nesting-depth <n> or "maxNestingDepth" in evc.config.json raises it) (at /x-d19/0)',
    ]);
  });

  it('nesting deeper than the YAML parser follows is a nesting error, not a syntax error', async () => {
    const [line] = await refusal({ 'a.json': `{"asyncapi": "3.0.0", "x": ${'['.repeat(5000)}${']'.repeat(5000)}}` }, 'a.json');
    expect(line).toMatch(/^a\.json:1:\d+ error nesting-too-deep nested too deep for the YAML parser \(the limit is 64 levels of objects\/arrays\)$/);
  });

  it('$refs that stack schemas deeper than the limit, each file and component shallow', async () => {
    let text = `${HEAD}components:\n  schemas:\n`;
    for (let i = 0; i < 100; i++) text += `    A${i}: {type: object, properties: {next: {$ref: '#/components/schemas/A${i + 1}'}}}\n`;
    text += '    A100: {type: string}\n';
    expect(await refusal({ 'a.yaml': text }, 'a.yaml')).toEqual([
      'a.yaml:37:25 error nesting-too-deep nested deeper than 64 levels of objects/arrays once $refs are resolved (--max-nesting-depth <n> or "maxNestingDepth" in evc.config.json raises it) (at /components/schemas/A30/properties)',
    ]);
  });

  it('a component resolved first where it is shallow is checked again where a $ref puts it deeper', async () => {
    let deep = '{type: string}';
    for (let i = 0; i < 28; i++) deep = `{type: object, properties: {a: ${deep}}}`;
    const text = `${HEAD}components:\n  schemas:\n    Deep: ${deep}\n    Wrap: {type: object, properties: {w: {type: object, properties: {v: {type: object, properties: {x: {$ref: '#/components/schemas/Deep'}}}}}}}\n`;
    expect(await refusal({ 'a.yaml': text }, 'a.yaml')).toEqual([
      'a.yaml:8:101 error nesting-too-deep nested deeper than 64 levels of objects/arrays once $refs are resolved (--max-nesting-depth <n> or "maxNestingDepth" in evc.config.json raises it) (at /components/schemas/Wrap/properties/w/properties/v/properties/x)',
    ]);
  });

  it('a file over the size limit, a $ref to one, and files that pass it together', async () => {
    const pad = (n: number) => `# ${'x'.repeat(n)}\n`;
    const small = `${HEAD}components:\n  schemas:\n    S: {$ref: 'other.yaml#/S'}\n`;
    const limits = { maxContractBytes: 1000 };
    expect(await refusal({ 'a.yaml': small + pad(1000) }, 'a.yaml', { limits })).toEqual([
      `a.yaml:1:1 error contract-too-large file is ${small.length + 1003} bytes, over the limit of 1000 bytes for a contract file (--max-contract-bytes <n> or "maxContractBytes" in evc.config.json raises it)`,
    ]);
    const [ref] = await refusal({ 'a.yaml': small, 'other.yaml': `S: {type: string}\n${pad(1000)}` }, 'a.yaml', { limits });
    expect(ref).toMatch(
      /^a\.yaml:7:9 error contract-too-large \$ref points at \/.*\/other\.yaml, which is 1021 bytes, over the limit of 1000 bytes for a contract file .* \(at \/components\/schemas\/S\/\$ref\)$/,
    );
    const [together] = await refusal({ 'a.yaml': small, 'other.yaml': `S: {type: string}\n${pad(900)}` }, 'a.yaml', { limits });
    expect(together).toMatch(
      /^a\.yaml:7:9 error contract-too-large the document and the files its \$refs read come to 1\d{3} bytes with \/.*\/other\.yaml, over the limit of 1000 bytes .* \(at \/components\/schemas\/S\/\$ref\)$/,
    );
  });

  it('a remote document over the size limit', async () => {
    const text = `${HEAD}components:\n  schemas:\n    S: {$ref: 'https://example.test/s.yaml#/S'}\n`;
    const [line] = await refusal({ 'a.yaml': text }, 'a.yaml', {
      allowRemote: true,
      fetchText: async () => `S: {type: string}\n#${'x'.repeat(2000)}\n`,
      limits: { maxContractBytes: 1000 },
    });
    expect(line).toMatch(
      /^a\.yaml:7:9 error contract-too-large \$ref points at https:\/\/example\.test\/s\.yaml, which is 2020 bytes, over the limit of 1000 bytes/,
    );
  });

  it('a device or a pipe is not read', async () => {
    const result = await loadContracts(['/dev/zero'], { specInWorker: false });
    expect(result.diagnostics.map((d) => `${d.rule} ${d.message}`)).toEqual(['file-unreadable not a regular file: /dev/zero']);
  });
});
