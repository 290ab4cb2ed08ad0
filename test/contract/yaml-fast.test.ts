/**
 * The fast YAML reader (src/contract/yaml-fast.ts) against the yaml package's path
 * (parseSourceWithYaml): where it reads a text, the data (key order, -0, NaN included) and
 * the line:col of every node are the same; where it gives up, parseSource goes through the
 * yaml package and has its data or its error. Over hand-written cases, the repository's
 * contracts and fixtures, and the synthetic contract of the benchmarks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticContract } from '../../bench/generate-synthetic.js';
import { parseSource, parseSourceWithYaml, type SourceFile } from '../../src/contract/source.js';
import { fastParse } from '../../src/contract/yaml-fast.js';
import { repoRoot } from '../codegen/helpers.js';

const CASES: Array<[string, string]> = [
  ['blk1', 'a: |\n  foo\n  bar\nb: 1\n'],
  ['blk10', 'a:\n  - |\n    foo\n  - b: |\n      bar\n    c: 2\n'],
  ['blk11', 'a: |  # comment\n    two\n    # not comment\n  # comment\nb: 2\n'],
  ['blk12', 'a: |\n  foo\n  \n  bar\n'],
  ['blk13', 'a: |\n   foo\n   bar\nb:\n'],
  ['blk14', 'a: |+\n  foo\n\n\n'],
  ['blk15', 'a: >\n  foo\n\n'],
  ['blk16', '- |-\n  x\n- |+\n  y\n\n- z'],
  ['blk17', 'a:\n  b: |\n    x\n\n  c: >+\n    y\n\n\n'],
  ['blk18', 'a: |\n  x\n\n'],
  ['blk2', 'a: |-\n  foo\n\n  bar\n\n\nb: 1\n'],
  ['blk3', 'a: |+\n  foo\n\n\nb: 1\n'],
  ['blk4', 'a: >\n  foo\n  bar\n\n  baz\n\n\n  qux\nb: x\n'],
  ['blk5', 'a: >-\n  foo  \n  bar\n'],
  ['blk6', 'a: |\n  foo'],
  ['blk7', 'a: |+\n  foo'],
  ['blk8', 'a: >+\n  foo\n\n'],
  ['blk9', '- |\n  foo\n- >\n  bar\n  baz\n- x\n'],
  [
    'map1',
    'a: 1\nb: -1\nc: +1\nd: 0o17\ne: 0x1F\nf: 1.5\ng: 1e3\nh: .inf\ni: -.Inf\nj: .nan\nk: ~\nl: null\nm: True\nn: FALSE\no: 1.\np: .5\nq: -0\nr: 1_000\ns: 0b11\nt: 012\nu: 99999999999999999999\nv: 2020-01-01\nw: yes\nx: -foo\ny: :foo\nz: ?x\n',
  ],
  ['map10', 'a: x\n  y\n'],
  ['map11', '__proto__: 1\n'],
  ['map12', '1: a\n'],
  ['map13', 'true: a\n'],
  ['map14', 'a: &x 1\nb: *x\n'],
  ['map15', 'a: !!str 1\n'],
  ['map16', '--- \na: 1\n'],
  ['map17', 'a: [a, b,]\n'],
  ['map18', 'a: {a: 1, a: 2}\n'],
  ['map19', 'a: [a: 1]\n'],
  ['map2', '\'a b\': 1\n"c\\td": 2\n"e\\u00e9\\x41\\U0001F600": 3\n\'it\'\'s\': "q\\"\\\\\\/"\nf: \'x\' # c\ng: "y"   \n'],
  ['map20', 'a: {x: http://y}\n'],
  ['map21', 'a: 1\n...\n'],
  ['map22', 'a: "\\q"\n'],
  ['map23', 'x: y\n- z\n'],
  ['map24', 'a:\n  b:\n    c:\n      d: [[[1]]]\n'],
  ['map25', "a: 'x' y\n"],
  ['map26', 'a: [x] y\n'],
  ['map27', 'a: b\n  # c\nd: e\n'],
  ['map28', 'a: |\n'],
  ['map29', 'a: -\n'],
  ['map3', 'a: b#c\nd: e # f\ng: h  i\nj: k:l\nm: [a, \'b\', "c", [d], {e: f}]\nn: {a: 1, b: [2, 3], \'c\': x y, "d": -}\no: []\np: {}\nq: [ a , b ]\n'],
  ['map30', 'key with spaces  : v\n'],
  ['map31', 'a: {b: c}  # x\n'],
  ['map32', 'a: ""\nb: \'\'\n'],
  ['map33', '? a\n: b\n'],
  ['map34', 'a:\n- b\n - c\n'],
  ['map35', 'a: - b\n'],
  ['map36', "a: ' x '\n"],
  ['map37', 'a: "x" # c\n'],
  ['map38', "$ref: '#/x'\n"],
  ['map39', 'a: b\t\n'],
  ['map4', 'a:\n\n  # c\n  b: 1\n\n# c\nc:   \n  d: x\n'],
  ['map40', 'a: [1, 2\n  , 3]\n'],
  ['map41', 'a: @x\n'],
  ['map42', 'a: `x\n'],
  ['map43', 'a: %x\n'],
  ['map44', 'a: {b: }\n'],
  ['map45', 'a: 0o8\nb: 0xg\nc: 1e\nd: 1.2.3\ne: +.5\nf: -.5e-3\ng: +inf\nh: NaN\n'],
  ['map46', 'a: ["x": 1]\n'],
  ['map47', 'a: { "x": 1 }\n'],
  ['map48', '"0": a\n'],
  ['map49', 'a: b\n\n\n'],
  ['map5', '  a: 1\n  b: 2\n'],
  ['map50', '\n\n# c\na: 1'],
  ['map51', '<<: {a: 1}\n'],
  ['map52', 'a:\n  |\n  x\n'],
  ['map53', 'a: >\n  x\n    y\n  z\n'],
  ['map54', 'a: |\n    x\n  y\n'],
  ['map55', '- a\n-\n- b\n'],
  ['map56', 'a: [b, c]\n  d: e\n'],
  ['map57', 'a:\n    b: 1\n   c: 2\n'],
  ['map58', 'a: x #c\nb: x# c\n'],
  ['map59', '\u00e9: \u00fc\n"\u00fc": \'\u00e9\'\n'],
  ['map6', 'a: 1\na: 2\n'],
  ['map60', "a: 'x'':\n"],
  ['map61', 'a: -- x\n'],
  ['map62', 'a: ? x\n'],
  ['map63', 'a: 1\n#x\n  b: 2\n'],
  ['map64', '- a: 1\n  - b\n'],
  ['map65', 'a: |2\n   x\n'],
  ['map66', 'a: >\n\n  x\n'],
  ['map67', 'a: |\n  x\n \n  y\n'],
  ['map68', 'a: |\n  x\n   \n  y\n'],
  ['map69', 'a: [a, {b: [c, {d: e}]}, "f"]\n'],
  ['map7', 'a: 1\n b: 2\n'],
  ['map70', 'a: {b: c, d: {e: f}}\n'],
  ['map8', 'a: b: c\n'],
  ['map9', "a: 'x\n  y'\n"],
  ['seq1', '- a\n- b: 1\n  c: 2\n- - x\n'],
  ['seq2', 'a:\n- 1\n- 2\nb: 3\n'],
  ['seq3', 'a:\n  -\n    b: 1\n  - [1, 2]\n  - {x: y}\n'],
  ['seq4', '- a: 1\n  b:\n  - x\n  - y\n- c\n'],
  ['seq5', '-\n  - 1\n'],
];

// What the fast reader reads itself; every other case goes through the yaml package.
const ACCEPTED = new Set(
  'blk1 blk10 blk11 blk12 blk13 blk14 blk15 blk16 blk17 blk18 blk2 blk3 blk4 blk5 blk6 blk7 blk8 blk9 map1 map2 map24 map27 map30 map31 map32 map36 map37 map38 map4 map45 map47 map49 map5 map50 map58 map59 map61 map67 map69 map70 seq2 seq3 seq4 seq5'.split(
    ' ',
  ),
);

/** Every JSON pointer of a value, in document order. */
function pointers(value: unknown, pointer = '', out: string[] = []): string[] {
  out.push(pointer);
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) pointers(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
  return out;
}

/** Same data (Object.is on scalars, keys in the same order, plain objects) and the same place for every node. */
function expectSame(fast: SourceFile, yaml: SourceFile, every = 1): void {
  const differences: string[] = [];
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (a && typeof a === 'object' && b && typeof b === 'object') {
      if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) differences.push(`${at}: kind`);
      const keys = Object.keys(a);
      if (keys.join('\0') !== Object.keys(b).join('\0')) differences.push(`${at}: keys ${keys.join(',')} vs ${Object.keys(b).join(',')}`);
      for (const key of keys) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}/${key}`);
    } else if (!Object.is(a, b)) {
      differences.push(`${at}: ${String(a)} vs ${String(b)}`);
    }
  };
  walk(fast.data, yaml.data, '');
  const checked = pointers(yaml.data).filter((_, i) => i % every === 0);
  // Pointers that are not in the document: the nearest node above.
  checked.push('/nope', '/channels/nope/x', '/0', '/asyncapi/x');
  for (const pointer of checked) {
    const p = fast.position(pointer);
    const q = yaml.position(pointer);
    if (p.line !== q.line || p.col !== q.col) differences.push(`${pointer}: at ${p.line}:${p.col} vs ${q.line}:${q.col}`);
  }
  expect(differences).toEqual([]);
  expect(checked.length).toBeGreaterThan(4);
}

function outcome(read: () => SourceFile): SourceFile | string {
  try {
    return read();
  } catch (err) {
    return `${(err as Error).message} ${JSON.stringify((err as { location?: unknown }).location)}`;
  }
}

describe('fast YAML reader', () => {
  it.each(CASES)('%s: the same data and places as the yaml package, or left to it', (name, text) => {
    const fast = fastParse(text, 64);
    expect(fast !== undefined, 'read by the fast reader').toBe(ACCEPTED.has(name));
    const a = outcome(() => parseSource('case.yaml', text));
    const b = outcome(() => parseSourceWithYaml('case.yaml', text));
    if (typeof a === 'string' || typeof b === 'string') expect(a).toEqual(b);
    else expectSame(a, b);
  });

  it('reads the synthetic contract itself, with the same data and places', () => {
    const text = syntheticContract(40, 10);
    expect(fastParse(text, 64)).toBeDefined();
    expectSame(parseSource('bench.yaml', text), parseSourceWithYaml('bench.yaml', text));
  });

  it('agrees with the yaml package on the repository contracts and fixtures', () => {
    const files: string[] = [];
    const collect = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) collect(path);
        else if (/\.(ya?ml|json)$/.test(name)) files.push(path);
      }
    };
    for (const dir of ['asyncapi', 'test/fixtures', 'test/corpus/documents']) collect(join(repoRoot, dir));
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (fastParse(text, 64)) read++;
      const a = outcome(() => parseSource(file, text));
      const b = outcome(() => parseSourceWithYaml(file, text));
      if (typeof a === 'string' || typeof b === 'string') expect(a, file).toEqual(b);
      else expectSame(a, b);
    }
    expect(read).toBeGreaterThan(20);
  });

  it('leaves nesting near the limit to the yaml package, which refuses it with its place', () => {
    let text = 'a:\n';
    for (let i = 1; i < 70; i++) text += `${'  '.repeat(i)}k${i}:\n`;
    text += `${'  '.repeat(70)}leaf: 1\n`;
    expect(fastParse(text, 64)).toBeUndefined();
    expect(outcome(() => parseSource('deep.yaml', text))).toEqual(outcome(() => parseSourceWithYaml('deep.yaml', text)));
    expect(outcome(() => parseSource('deep.yaml', text))).toMatch(/nested deeper than 64 levels/);
  });
});
