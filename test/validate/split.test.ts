import { describe, expect, it } from 'vitest';
import { detectMode, splitMessages, type SplitItem } from '../../src/validate/split.js';

async function split(text: string, chunkSize: number, mode?: 'ndjson' | 'array' | 'json'): Promise<SplitItem[]> {
  const chunks = async function* () {
    for (let i = 0; i < text.length; i += chunkSize) yield text.slice(i, i + chunkSize);
  };
  const out: SplitItem[] = [];
  for await (const item of splitMessages(chunks(), mode)) out.push(item);
  return out;
}

// Every case is cut at every chunk size from 1 to 9 and at once: chunk borders must not matter.
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1 << 20];

const cases: [string, { given: string; want: SplitItem[] }][] = [
  [
    'NDJSON with blank lines, escaped quotes and a broken line',
    {
      given: '{"a":1}\n\n{"b":"x\\"}\\\\"}\r\nnot json\n{"c":[1,{"d":"]"}]}',
      want: [
        { text: '{"a":1}', line: 1, index: 0 },
        { text: '{"b":"x\\"}\\\\"}', line: 3, index: 1 },
        { text: 'not json', line: 4, index: 2 },
        { text: '{"c":[1,{"d":"]"}]}', line: 5, index: 3 },
      ],
    },
  ],
  [
    'a JSON array: each element, with its line and index',
    {
      given: '[\n  {"a":1},\n  {"b":"],[{"},\n  3, "s", null,\n  [1, 2]\n]\n',
      want: [
        { text: '{"a":1}', line: 2, index: 0 },
        { text: '{"b":"],[{"}', line: 3, index: 1 },
        { text: '3', line: 4, index: 2 },
        { text: '"s"', line: 4, index: 3 },
        { text: 'null', line: 4, index: 4 },
        { text: '[1, 2]', line: 5, index: 5 },
      ],
    },
  ],
  [
    'NDJSON lines trimmed of any whitespace, a byte order mark and no-break spaces too, and a last line without newline',
    {
      given: '\uFEFF{"a":1}\n\u00a0{"b":2}\t\r\n \n{"c":3}',
      want: [
        { text: '{"a":1}', line: 1, index: 0 },
        { text: '{"b":2}', line: 2, index: 1 },
        { text: '{"c":3}', line: 4, index: 2 },
      ],
    },
  ],
  ['an empty array', { given: ' [ ] ', want: [] }],
  [
    'one pretty-printed object',
    { given: '{\n  "a": {"b": [1, 2]},\n  "c": "}"\n}\n', want: [{ text: '{\n  "a": {"b": [1, 2]},\n  "c": "}"\n}', line: 1, index: 0 }] },
  ],
  [
    'concatenated pretty objects',
    {
      given: '{\n "a": 1\n}\n{\n "b": 2\n}',
      want: [
        { text: '{\n "a": 1\n}', line: 1, index: 0 },
        { text: '{\n "b": 2\n}', line: 4, index: 1 },
      ],
    },
  ],
  [
    'an unclosed array',
    {
      given: '[{"a":1},\n{"b":',
      want: [
        { text: '{"a":1}', line: 1, index: 0 },
        { text: '{"b":', line: 2, index: 1 },
        { problem: 'the array is not closed: missing "]"', line: 2, index: 2 },
      ],
    },
  ],
  [
    'text after the array',
    {
      given: '[1]\nx',
      want: [
        { text: '1', line: 1, index: 0 },
        { problem: 'unexpected "x" after the closing "]"', line: 2, index: 1 },
      ],
    },
  ],
];

describe('splitMessages', () => {
  it.each(cases)('%s', async (_name, c) => {
    for (const size of SIZES) expect(await split(c.given, size)).toEqual(c.want);
  });

  it('a .ndjson file is split by lines even when a line starts with "["', async () => {
    expect(await split('[1,2]\n[3]\n', 3, 'ndjson')).toEqual([
      { text: '[1,2]', line: 1, index: 0 },
      { text: '[3]', line: 2, index: 1 },
    ]);
  });

  it('detects the mode from the head', () => {
    expect(detectMode('  [\n')).toBe('array');
    expect(detectMode('{"a":1}\n{"a":2}')).toBe('ndjson');
    expect(detectMode('{"a":\n1}')).toBe('json');
    expect(detectMode('{"a":1,}\n{"a":2}')).toBe('ndjson'); // a broken but balanced first line
  });
});
