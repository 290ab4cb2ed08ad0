import { describe, expect, it } from 'vitest';
import { fieldsOf, type FieldDoc } from '../../src/docs/fields.js';
import { deriveFlows } from '../../src/docs/flows.js';
import { escapeHtml, scriptJson } from '../../src/docs/html.js';
import { mdCode, mdText } from '../../src/docs/markdown.js';
import { mermaidText } from '../../src/docs/mermaid.js';
import { formatRetention } from '../../src/docs/model.js';

const row = (path: string, type: string, required: boolean, constraints: string[] = [], description?: string): FieldDoc => ({
  path,
  type,
  required,
  ...(description ? { description } : {}),
  constraints,
});

describe('fieldsOf', () => {
  const recursive: Record<string, unknown> = { type: 'object', properties: { name: { type: 'string' } } };
  (recursive.properties as Record<string, unknown>).child = recursive;
  const cases: [string, { given: Record<string, unknown>; want: FieldDoc[] }][] = [
    ['a scalar payload is one row', { given: { type: 'string', format: 'uuid' }, want: [row('(payload)', 'string', true, ['format: uuid'])] }],
    [
      'nesting, arrays of objects, required per level',
      {
        given: {
          type: 'object',
          required: ['data'],
          properties: {
            data: {
              type: 'object',
              title: 'Data',
              additionalProperties: false,
              required: ['ids'],
              properties: {
                ids: { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 1, uniqueItems: true },
                files: { type: 'array', items: { type: 'object', required: ['path'], properties: { path: { type: 'string', description: 'Where.' } } } },
              },
            },
          },
        },
        want: [
          row('data', 'object (Data)', true, ['no other fields']),
          row('data.ids', 'array<string>', true, ['item count: ≥ 1', 'unique items', 'items format: uuid']),
          row('data.files', 'array<object>', false),
          row('data.files[].path', 'string', true, [], 'Where.'),
        ],
      },
    ],
    [
      'maps, allOf merged, nullable types, numeric ranges',
      {
        given: {
          allOf: [
            { type: 'object', required: ['a'], properties: { a: { type: ['integer', 'null'], minimum: 0, exclusiveMaximum: 10 } } },
            { properties: { tags: { type: 'object', additionalProperties: { type: 'string', maxLength: 8 } } } },
          ],
        },
        want: [
          row('a', 'integer | null', true, ['value: ≥ 0', 'value: < 10']),
          row('tags', 'object', false),
          row('tags.*', 'string', false, ['length: ≤ 8'], 'Any other key.'),
        ],
      },
    ],
    [
      'oneOf variants list their fields, marked with the variant',
      {
        given: {
          type: 'object',
          properties: {
            body: { oneOf: [{ title: 'Text', type: 'object', required: ['text'], properties: { text: { type: 'string' } } }, { type: 'integer' }] },
          },
        },
        want: [row('body', 'one of: object (Text) | integer', false), row('body.text', 'string', true, [], '(one of, variant Text)')],
      },
    ],
    [
      'a cycle the IR wrote as a reference to a named schema shows that name, in arrays and variants too',
      {
        given: {
          type: 'object',
          properties: {
            children: { type: 'array', items: { $ref: '#/$defs/TreeNode' } },
            next: { anyOf: [{ $ref: '#/$defs/List~1Node' }, { type: 'null' }] },
          },
        },
        want: [row('children', 'array<TreeNode (recursive)>', false), row('next', 'any of: List/Node (recursive) | null', false)],
      },
    ],
    ['recursion stops and says so', { given: recursive, want: [row('name', 'string', false), row('child', 'object', false, ['recursive (see above)'])] }],
  ];
  for (const [name, { given, want }] of cases) it(name, () => expect(fieldsOf(given)).toEqual(want));
});

describe('formatRetention', () => {
  const cases: [number, string][] = [
    [604_800_000, '7 days'],
    [86_400_000, '1 day'],
    [2_592_000_000, '30 days'],
    [129_600_000, '1.5 days'],
    [3_600_000, '1 hour'],
    [7_200_000, '2 hours'],
    [1500, '1500 ms'],
    [-1, 'unlimited'],
  ];
  for (const [ms, want] of cases) it(`${ms} -> ${want}`, () => expect(formatRetention(ms)).toBe(want));
});

describe('deriveFlows', () => {
  const caps = { maxFlows: 6, maxSteps: 24, maxDepth: 4 };
  it('starts from services that consume nothing, follows consumers breadth first, draws each publication once', () => {
    const sends = [
      { service: 'api', channel: 'a' },
      { service: 'worker', channel: 'b' },
      { service: 'worker', channel: 'a' },
      { service: 'cron', channel: 'c' },
    ];
    const receives = [
      { service: 'worker', channel: 'a' },
      { service: 'audit', channel: 'a' },
      { service: 'mailer', channel: 'b' },
    ];
    const { flows, omitted } = deriveFlows(undefined, sends, receives, caps);
    expect(flows).toEqual([
      {
        name: 'api publishes a',
        declared: false,
        truncated: false,
        steps: [
          { from: 'api', to: 'worker', label: 'a' },
          { from: 'api', to: 'audit', label: 'a' },
          { from: 'worker', to: 'mailer', label: 'b' },
          { from: 'worker', to: 'worker', label: 'a' },
          { from: 'worker', to: 'audit', label: 'a' },
        ],
      },
      { name: 'cron publishes c', declared: false, truncated: false, steps: [{ over: 'cron', note: 'publishes c; no consumer in this contract' }] },
    ]);
    expect(omitted).toBe(0);
  });

  it('caps steps and flows, and counts what was left out', () => {
    const sends = Array.from({ length: 10 }, (_, i) => ({ service: 'p', channel: `c${i}` }));
    const receives = sends.flatMap((s) => ['x', 'y', 'z'].map((service) => ({ service, channel: s.channel })));
    const { flows, omitted } = deriveFlows(undefined, sends, receives, { maxFlows: 3, maxSteps: 2, maxDepth: 4 });
    expect(flows.map((f) => [f.name, f.steps.length, f.truncated])).toEqual([
      ['p publishes c0', 2, true],
      ['p publishes c1', 2, true],
      ['p publishes c2', 2, true],
    ]);
    expect(omitted).toBe(7);
  });
});

describe('escaping', () => {
  const cases: [string, (s: string) => string, string, string][] = [
    ['mdText', mdText, 'a|b <i>x</i> `c` *d* _e_ [f](g) ~h~ & \\', 'a\\|b &lt;i&gt;x&lt;/i&gt; \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) \\~h\\~ &amp; \\\\'],
    ['mdText collapses newlines', mdText, 'one\n\n# two\r\n- three', 'one # two - three'],
    ['mdCode with backticks', (s) => mdCode(s), 'a `b` c', '``a `b` c``'],
    ['mdCode starting with a backtick', (s) => mdCode(s), '`x', '`` `x ``'],
    ['mdCode in a table escapes pipes', (s) => mdCode(s, true), 'a|b', '`a\\|b`'],
    ['mermaidText', (s) => mermaidText(s), 'a"b#c;d%e<f>g&h|i`j\\k\nl', 'a#34;b#35;c#59;d#37;e#60;f#62;g#38;h#124;i#96;j#92;k l'],
    ['mermaidText caps length', (s) => mermaidText(s, 5), 'abcdefgh', 'abcd…'],
    ['escapeHtml', escapeHtml, `<a href="x" onclick='y'>&</a>`, '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;'],
    ['scriptJson', (s) => scriptJson(s), '</script><!-- \u2028', '"\\u003c/script\\u003e\\u003c!-- \\u2028"'],
  ];
  for (const [name, fn, given, want] of cases) it(name, () => expect(fn(given)).toBe(want));

  it('mdText escapes what would start a block only at the start of a line', () => {
    expect(mdText('# x', true)).toBe('\\# x');
    expect(mdText('1. x', true)).toBe('1\\. x');
    expect(mdText('- x', true)).toBe('\\- x');
    expect(mdText('1. x')).toBe('1. x');
  });
});
