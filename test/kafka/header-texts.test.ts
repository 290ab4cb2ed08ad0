/**
 * HeaderTexts: header Buffers to text, reusing the previous record's string when the bytes
 * are the same (no broker needed).
 */
import type { IHeaders } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { HeaderTexts } from '../../src/runtime/transports/kafka/header-texts.js';

const b = (s: string) => Buffer.from(s);

const cases: [string, { given: (IHeaders | undefined)[]; want: Record<string, string>[] }][] = [
  ['no headers', { given: [undefined, {}], want: [{}, {}] }],
  [
    'the same bytes twice, then a value of the same length that differs in its last byte',
    {
      given: [{ 'evc-type': b('order.placed') }, { 'evc-type': b('order.placed') }, { 'evc-type': b('order.placez') }],
      want: [{ 'evc-type': 'order.placed' }, { 'evc-type': 'order.placed' }, { 'evc-type': 'order.placez' }],
    },
  ],
  [
    'a value longer than the inline comparison, equal and then differing at its end',
    {
      given: [{ big: b(`${'x'.repeat(100)}a`) }, { big: b(`${'x'.repeat(100)}a`) }, { big: b(`${'x'.repeat(100)}b`) }],
      want: [{ big: `${'x'.repeat(100)}a` }, { big: `${'x'.repeat(100)}a` }, { big: `${'x'.repeat(100)}b` }],
    },
  ],
  [
    'a header dropped between records shifts the others',
    {
      given: [
        { a: b('1'), c: b('3') },
        { c: b('3'), d: b('4') },
      ],
      want: [
        { a: '1', c: '3' },
        { c: '3', d: '4' },
      ],
    },
  ],
  [
    'a repeated name keeps its last value; a null value is left out; UTF-8 decoded',
    {
      given: [{ multi: [b('first'), b('last')], empty: null as unknown as Buffer, text: 'as is', utf: b('café ☕') }],
      want: [{ multi: 'last', text: 'as is', utf: 'café ☕' }],
    },
  ],
  [
    'a repeated name whose last value is null is left out',
    {
      given: [{ m: [b('x'), null as unknown as Buffer], n: b('1') }],
      want: [{ n: '1' }],
    },
  ],
];

describe('HeaderTexts', () => {
  it.each(cases)('%s', (_, { given, want }) => {
    const texts = new HeaderTexts();
    expect(given.map((h) => texts.decode(h))).toEqual(want);
  });

  it.each(cases)('one(name) answers as decode()[name]: %s', (_, { given, want }) => {
    // One decoder across the records, as in a batch, so a reused string is checked against new bytes.
    const texts = new HeaderTexts();
    const names = [...new Set([...given.flatMap((h) => Object.keys(h ?? {})), 'absent'])];
    const got = given.map((h) => Object.fromEntries(names.map((n) => [n, texts.one(h, n)]).filter(([, v]) => v !== undefined)));
    expect(got).toEqual(want);
  });
});
