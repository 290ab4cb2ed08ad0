/**
 * A differential fuzz of the fast YAML reader (src/contract/yaml-fast.ts): random block
 * documents built from tricky pieces (YAML 1.2 core scalars and their look-alikes, quoted
 * and escaped strings, flow collections, block scalars with chomping, comments, indicator
 * characters, keys a plain object would reorder or treat specially). Wherever the fast
 * reader accepts a text, the yaml package's path (parseSourceWithYaml) must accept it too,
 * with the same data (key order, NaN and -0 included) and the same line:col for every node.
 * Seeded: a failure names the seed and the text, and repeats.
 */
import { describe, expect, it } from 'vitest';
import { parseSource, parseSourceWithYaml } from '../../src/contract/source.js';
import { fastParse } from '../../src/contract/yaml-fast.js';

const SCALARS = [
  'a',
  'abc',
  'x y',
  '1',
  '-1',
  '+1',
  '0x1F',
  '0o17',
  '017',
  '1.5',
  '1e3',
  '.5',
  '-.inf',
  '.nan',
  'null',
  '~',
  'Null',
  'NULL',
  'true',
  'False',
  'yes',
  'no',
  'on',
  '2001-12-14',
  "'q'",
  "'it''s'",
  '"dq"',
  '"a\\nb"',
  '"\\u00e9"',
  '"\\x41"',
  '""',
  "''",
  'a:b',
  'a #c',
  'a# b',
  'http://x.y/z',
  '[]',
  '{}',
  '[a, b]',
  '{a: 1, b: [c]}',
  '[a,b]',
  '{a:1}',
  '- a',
  '@x',
  '`x',
  '%x',
  '!x',
  '&a x',
  '*a',
  '? x',
  ': x',
  '|',
  '>',
  '|-',
  '>+',
  '12:30',
  '1_000',
  '0b101',
  '+.5',
  '1.',
  '-0',
  '0',
  '00',
  '.',
  '-',
  '--',
  'a: b',
  'é',
  '"a',
  "'a",
  '[a',
  '{a',
  'x  # c',
  'a,b',
  '[a, [b, {c: d}]]',
  '{ a: b }',
  '[ ]',
  "{'a': b}",
  '{"a":b}',
  '"\\t"',
  '"\\/"',
  '"\\q"',
  "'a''",
  '-.5e-3',
  '0xG1',
  'TRUE',
  'tRue',
];
const KEYS = [
  'a',
  'b',
  'k',
  'key with space',
  '"q"',
  "'s'",
  '1',
  '01',
  'true',
  'null',
  '__proto__',
  '<<',
  '~',
  'x:y',
  'a b',
  '"a: b"',
  '-x',
  '?x',
  'é',
  '"1"',
  'a#b',
];

function generator(seed: number) {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const block = (depth: number, indent: string): string => {
    const n = 1 + Math.floor(rnd() * 3);
    const seq = rnd() < 0.3;
    let out = '';
    for (let i = 0; i < n; i++) {
      const head = seq ? `${indent}- ` : `${indent}${pick(KEYS)}:`;
      const r = rnd();
      if (depth < 4 && r < 0.35) {
        if (seq && rnd() < 0.5) out += `${indent}- ${pick(KEYS)}: ${pick(SCALARS)}\n`;
        else out += `${head}\n${block(depth + 1, indent + pick(['  ', '  ', '    ', ' ']))}`;
      } else if (r < 0.45) {
        const ind = `${indent}  `;
        out += `${head}${seq ? '' : ' '}${pick(['|', '>', '|-', '>-', '|+', '>+'])}\n${ind}${pick(SCALARS)}\n`;
        if (rnd() < 0.3) out += '\n';
        out += `${ind}${pick(SCALARS)}\n`;
        if (rnd() < 0.2) out += `${ind}  more\n`;
      } else if (r < 0.5) {
        out += `${head}\n`;
      } else {
        out += `${head}${seq ? '' : ' '}${pick(SCALARS)}${rnd() < 0.1 ? ' # c' : ''}\n`;
      }
      if (rnd() < 0.05) out += pick(['\n', '# c\n', '   \n', `${indent}  # x\n`]);
    }
    return out;
  };
  return () => block(0, '');
}

function pointers(v: unknown, p = ''): string[] {
  const out = [p];
  if (v && typeof v === 'object')
    for (const k of Object.keys(v)) out.push(...pointers((v as Record<string, unknown>)[k], `${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

describe('fast YAML reader: differential fuzz against the yaml package', () => {
  for (const seed of [1, 42, 20261207]) {
    it(`seed ${seed}: 4,000 documents, same data and places wherever the fast reader reads one`, () => {
      const next = generator(seed);
      let accepted = 0;
      for (let t = 0; t < 4000; t++) {
        const text = next();
        if (!fastParse(text, 60)) continue;
        accepted++;
        let ref: ReturnType<typeof parseSourceWithYaml>;
        try {
          ref = parseSourceWithYaml('f.yaml', text);
        } catch (err) {
          throw new Error(`seed ${seed}: the fast reader read a text the yaml package refuses (${(err as Error).message}): ${JSON.stringify(text)}`);
        }
        const got = parseSource('f.yaml', text);
        expect(got.data, `seed ${seed}, data of ${JSON.stringify(text)}`).toStrictEqual(ref.data);
        for (const p of pointers(ref.data)) expect(got.position(p), `seed ${seed}, ${p} in ${JSON.stringify(text)}`).toStrictEqual(ref.position(p));
      }
      // The generator must exercise the fast path, not only its bail-outs.
      expect(accepted).toBeGreaterThan(500);
    });
  }
});
