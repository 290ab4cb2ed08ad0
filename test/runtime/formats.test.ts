/**
 * The fast format checkers (src/runtime/formats.ts) against ajv-formats' fullFormats, the
 * reference they replace: hand-picked edge cases, exhaustive single-code-unit
 * substitutions, field-by-field combinations, and seeded random mutations. Any input on
 * which the two answer differently fails the test (and is listed).
 */
import { fullFormats as ajvFormats } from 'ajv-formats/dist/formats.js';
import type { FormatDefinition } from 'ajv';
import { describe, expect, it } from 'vitest';
import { createAjv } from '../../src/contract/ajv.js';
import { date, dateTime, fullFormats, time, uuid } from '../../src/runtime/formats.js';
import { prng } from './helpers.js';

type Check = (s: string) => boolean;

const reference: Record<'uuid' | 'date' | 'time' | 'date-time', Check> = {
  uuid: (s) => (ajvFormats.uuid as RegExp).test(s),
  date: (ajvFormats.date as FormatDefinition<string>).validate as Check,
  time: (ajvFormats.time as FormatDefinition<string>).validate as Check,
  'date-time': (ajvFormats['date-time'] as FormatDefinition<string>).validate as Check,
};
const fast: Record<keyof typeof reference, Check> = { uuid, date, time, 'date-time': dateTime };

/** Inputs on which `ours` and `ref` disagree (at most `limit`, escaped so whitespace shows). */
function disagreements(ours: Check, ref: Check, inputs: Iterable<string>, limit = 20): string[] {
  const out: string[] = [];
  for (const s of inputs) {
    const want = ref(s);
    if (ours(s) !== want) {
      out.push(`${JSON.stringify(s)}: ajv-formats says ${want}`);
      if (out.length >= limit) break;
    }
  }
  return out;
}

const THRESHOLD = '999999999999996447286321199499070644378662109375'; // 1 - 2^-48

// --- hand-picked ------------------------------------------------------------------------

const UUIDS = [
  '123e4567-e89b-12d3-a456-426614174000',
  '123E4567-E89B-12D3-A456-426614174000',
  'ABCDEFab-cdef-ABCD-efAB-0123456789af',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'urn:uuid:123e4567-e89b-12d3-a456-426614174000',
  'URN:UUID:123e4567-e89b-12d3-a456-426614174000',
  'Urn:Uuid:123E4567-e89b-12d3-a456-426614174000',
  'urn:uuid:urn:uuid:123e4567-e89b-12d3-a456-426614174000',
  'urn:uuid123e4567-e89b-12d3-a456-426614174000',
  'urn-uuid:123e4567-e89b-12d3-a456-426614174000',
  'uuid:123e4567-e89b-12d3-a456-426614174000',
  ' urn:uuid:123e4567-e89b-12d3-a456-426614174000',
  'urn:uuıd:123e4567-e89b-12d3-a456-426614174000', // dotless i: uppercases to I
  'urn:uuİd:123e4567-e89b-12d3-a456-426614174000',
  '123e4567-e89b-12d3-a456-42661417400g',
  '123e4567-e89b-12d3-a456-42661417400G',
  '123e4567e89b-12d3-a456-4266141740000',
  '123e4567-e89b12d3-a456-4266141740000',
  '123e456-7e89b-12d3-a456-426614174000',
  '123e4567-e89b-12d3-a4564-26614174000',
  '123e4567-e89b-12d3-a456-42661417400',
  '123e4567-e89b-12d3-a456-4266141740000',
  '{123e4567-e89b-12d3-a456-426614174000}',
  '123e4567-e89b-12d3-a456-426614174000\n',
  '123e4567-e89b-12d3-a456-426614174000 ',
  ' 123e4567-e89b-12d3-a456-426614174000',
  '123e4567_e89b_12d3_a456_426614174000',
  '123e4567-e89b-12d3-a456-٤26614174000', // Arabic-Indic digit four
  '123e4567-e89b-12d3-a456-４26614174000', // fullwidth four
  '123e4567-e89b-12d3-a456-ａ26614174000', // fullwidth a
  '123e4567‐e89b-12d3-a456-426614174000', // U+2010 hyphen
  '123e4567-e89b-12d3-a456-426614174000\u0000',
  '',
  '-',
  'urn:uuid:',
];

const DATES = [
  '2024-02-29',
  '2023-02-29',
  '2000-02-29',
  '1900-02-29',
  '2100-02-29',
  '2400-02-29',
  '2004-02-29',
  '0000-02-29',
  '2024-02-30',
  '2024-01-31',
  '2024-01-32',
  '2024-04-30',
  '2024-04-31',
  '2024-06-31',
  '2024-09-31',
  '2024-11-31',
  '2024-12-31',
  '2024-13-01',
  '2024-00-10',
  '2024-10-00',
  '0000-01-01',
  '9999-12-31',
  '2024-1-01',
  '2024-01-1',
  '24-01-01',
  '20240-01-01',
  '2024/01/01',
  '2024-01-01 ',
  ' 2024-01-01',
  '2024-01-01\n',
  '２024-01-01',
  '2024-0١-01',
  '+2024-01-01',
  '-2024-01-01',
  '2024--01-01',
  '',
  '2024-01-01T',
];

const TIMES = [
  '00:00:00Z',
  '23:59:59Z',
  '23:59:59z',
  '23:59:60Z',
  '23:59:60z',
  '23:59:61Z',
  '23:58:60Z',
  '22:59:60Z',
  '24:00:00Z',
  '12:00:00',
  '12:00:00.5',
  '12:00:00+01:00',
  '12:00:00-01:00',
  '12:00:00+0100',
  '12:00:00+01',
  '12:00:00-23',
  '12:00:00+24:00',
  '12:00:00+23:60',
  '12:00:00+23:59',
  '12:00:00+1:00',
  '12:00:00+01:0',
  '12:00:00+01:',
  '12:00:00+010',
  '12:00:00+01::00',
  '12:00:00+01:00Z',
  '12:00:00ZZ',
  '12:00:00 Z',
  '12:00:00Z ',
  ' 12:00:00Z',
  '12:00:00Z\n',
  '12:00:00\nZ',
  '12:00:00.Z',
  '12:00:00.0Z',
  '12:00:00.123456789Z',
  '12:00:00,5Z',
  '12:00:00.5.5Z',
  '12:00:00.+01:00',
  '00:59:60+01:00',
  '00:59:60+0100',
  '00:59:60+01',
  '23:59:60+00:00',
  '23:59:60-00:00',
  '15:59:60-08:00',
  '15:59:60-0800',
  '00:29:60+00:30',
  '23:29:60-00:30',
  '00:00:60+00:01',
  '23:58:60-00:01',
  '24:59:30+01:00',
  '24:59:60+01:00',
  '47:59:59+23:59',
  '47:59:30+23:59',
  '25:00:00+01:00',
  '00:59:59+01:00',
  '00:60:00+00:01',
  '99:99:99Z',
  '99:99:60+23:59',
  '23:59:59.999999999999999Z',
  '12:00:59.999999999999999Z',
  `12:00:59.${THRESHOLD}Z`,
  `12:00:59.${THRESHOLD.slice(0, -1)}4Z`,
  `23:59:60.${THRESHOLD}Z`,
  `23:59:60.${THRESHOLD.slice(0, -1)}4Z`,
  `23:59:60.${THRESHOLD}0000000000001Z`,
  '23:59:60.99999999999999Z',
  `12:00:59.${THRESHOLD.slice(0, -1)}49999999999999999999999Z`,
  `12:00:59.${THRESHOLD}0Z`,
  '12:00:59.9999999999999965Z',
  '12:00:59.99999999999999644728632119949907064437866210937Z',
  '12:00:58.99999999999999999999Z',
  '１2:00:00Z',
  '12:0٠:00Z',
  '12:00:00+0١:00',
  '',
  'Z',
  '12:00Z',
  '12:00:0Z',
  '1:00:00Z',
  '12-00-00Z',
  'T12:00:00Z',
];

const DATE_TIMES = [
  '2024-01-27T10:00:00Z',
  '2024-01-27t10:00:00z',
  '2024-01-27 10:00:00Z',
  '2024-01-27\t10:00:00Z',
  '2024-01-27\n10:00:00Z',
  '2024-01-27\r10:00:00Z',
  '2024-01-27\u00a010:00:00Z',
  '2024-01-27\u200810:00:00Z',
  '2024-01-27\u300010:00:00Z',
  '2024-01-27\ufeff10:00:00Z',
  '2024-01-27\u202810:00:00Z',
  '2024-01-27\u180e10:00:00Z',
  '2024-01-27\u200b10:00:00Z',
  '2024-01-27TT10:00:00Z',
  '2024-01-27T 10:00:00Z',
  '2024-01-27  10:00:00Z',
  '2024-01-2710:00:00Z',
  '2024-01-27_10:00:00Z',
  '2024-01-27T10:00:00Z\n',
  '2024-01-27T10:00:00Z ',
  ' 2024-01-27T10:00:00Z',
  '\n2024-01-27T10:00:00Z',
  '2024-01-27T10:00:00',
  '2024-01-27T10:00:00.123+05:30',
  '2024-01-27T10:00:00.123+0530',
  '2024-01-27T10:00:00+05',
  '2024-01-27T10:00:00-00:00',
  '2016-12-31T23:59:60Z',
  '2016-12-31T23:59:60+00:00',
  '2016-12-31T15:59:60-08:00',
  '2017-01-01T00:59:60+01:00',
  '2016-12-31T23:59:61Z',
  '2016-12-31T22:59:60Z',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2000-02-29T00:00:00Z',
  '2100-02-29T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2024-04-31T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-01-27T24:00:00Z',
  '2024-01-27T24:59:30+01:00',
  '2024-01-27',
  'T10:00:00Z',
  '2024-01-27T',
  '',
  'T',
  ' ',
  '2024-01-27T10:00:00.Z',
  '2024-01-27T10:00:00+24:00',
  '2024-01-27T10:00:00+23:60',
  '2024-01-27T10:00:00+1:00',
  '２024-01-27T10:00:00Z',
  '2024-01-27T1０:00:00Z',
  '2024-01-27T10:00:00Ｚ',
  '2024-01-27Ｔ10:00:00Z',
  '2024-01-27T10:00:00Z2024-01-27T10:00:00Z',
  '2024-01-27T10:00:00ZT',
  '2024-01-27 T10:00:00Z',
  `2024-01-27T12:00:59.${THRESHOLD}Z`,
  `2024-01-27T23:59:59.${THRESHOLD}Z`,
  '2024-01-27T12:00:59.999999999999999Z',
];

// --- generated inputs -----------------------------------------------------------------------

/** Every code unit at every position of `sample`, one at a time. */
function* substitutions(sample: string): Generator<string> {
  for (let i = 0; i < sample.length; i++) {
    const head = sample.slice(0, i);
    const tail = sample.slice(i + 1);
    for (let c = 0; c <= 0xffff; c++) yield head + String.fromCharCode(c) + tail;
  }
}

const YEARS = ['0000', '0001', '0004', '0100', '0400', '1900', '1999', '2000', '2004', '2023', '2024', '2100', '2400', '9999'];
const MONTHS = ['00', '01', '02', '04', '06', '09', '11', '12', '13', '19', '20', '99'];
const DAYS = ['00', '01', '28', '29', '30', '31', '32', '39', '40', '99'];
const HOURS = ['00', '01', '09', '22', '23', '24', '25', '46', '47', '48', '99'];
const MINUTES = ['00', '01', '29', '30', '58', '59', '60', '61', '99'];
const SECONDS = ['00', '01', '58', '59', '60', '61', '99'];
const FRACTIONS = [
  '',
  '.',
  '.0',
  '.5',
  '.999',
  '.99999999999999',
  '.999999999999999',
  `.${THRESHOLD}`,
  `.${THRESHOLD.slice(0, -1)}4`,
  `.${THRESHOLD}1`,
  '.9999999999999999999999999',
];
const ZONES = [
  '',
  'Z',
  'z',
  'ZZ',
  '+00:00',
  '-00:00',
  '+00',
  '-0000',
  '+01:00',
  '-01:00',
  '+0100',
  '-01',
  '+00:01',
  '-00:01',
  '+00:30',
  '-00:30',
  '+23:59',
  '-23:59',
  '+2359',
  '+24:00',
  '-24',
  '+00:60',
  '-0060',
  '+1:00',
  '+01:0',
  '+01:',
  '+010',
  '+01::00',
  ' Z',
  'UTC',
];

function* dateFields(): Generator<string> {
  for (const y of YEARS) for (const m of MONTHS) for (const d of DAYS) yield `${y}-${m}-${d}`;
}

function* timeFields(fractions = FRACTIONS, zones = ZONES): Generator<string> {
  for (const h of HOURS) for (const m of MINUTES) for (const s of SECONDS) for (const f of fractions) for (const z of zones) yield `${h}:${m}:${s}${f}${z}`;
}

/** The time combinations (fewer fractions and zones) after valid and invalid dates and separators. */
function* dateTimeFields(): Generator<string> {
  const times = [...timeFields(['', '.5', `.${THRESHOLD}`], ['', 'Z', 'z', '+01:00', '-0100', '+00:01', '-00:30', '+24:00'])];
  for (const d of ['2024-02-29', '2023-02-29', '2024-12-31']) for (const sep of ['T', 't', ' ', '\n', '_']) for (const t of times) yield `${d}${sep}${t}`;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Values built from random fields, each drawn from a range a little wider than the valid one. */
function randomStructured(kind: 'date' | 'time' | 'date-time', rand: () => number): string {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length - 1)]!;
  const d = () => `${pad(int(9999), 4)}-${pad(int(14), 2)}-${pad(int(33), 2)}`;
  const t = () => {
    const frac = rand() < 0.5 ? '' : `.${rand() < 0.2 ? THRESHOLD.slice(0, int(THRESHOLD.length)) + String(int(9)).repeat(int(3)) : String(int(999999))}`;
    const zone = rand() < 0.3 ? pick(['Z', 'z', '']) : `${pick(['+', '-'])}${pad(int(25), 2)}${pick([':', '', ':'])}${pad(int(61), 2)}`;
    return `${pad(int(49), 2)}:${pad(int(61), 2)}:${pad(int(61), 2)}${frac}${zone}`;
  };
  if (kind === 'date') return d();
  if (kind === 'time') return t();
  return `${d()}${pick(['T', 't', ' ', 'T', '\t', '_'])}${t()}`;
}

const ALPHABET = '0123456789abcdefABCDEFgGuUrRnNiIdD:-+.TtZz \t\n\r\u00a0\u2028\u3000\ufeffı٠０';

/** 1-3 random edits (replace, insert, delete, duplicate, swap, truncate) of a valid value. */
function mutate(s: string, rand: () => number): string {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  const char = () => (rand() < 0.9 ? ALPHABET[int(ALPHABET.length - 1)]! : String.fromCharCode(int(0xffff)));
  let out = s;
  for (let n = 1 + int(2); n > 0; n--) {
    const i = int(out.length);
    switch (int(5)) {
      case 0:
        out = out.slice(0, i) + char() + out.slice(i + 1);
        break;
      case 1:
        out = out.slice(0, i) + char() + out.slice(i);
        break;
      case 2:
        out = out.slice(0, i) + out.slice(i + 1);
        break;
      case 3: {
        const j = int(out.length);
        out = out.slice(0, i) + out.slice(Math.min(i, j), Math.max(i, j)) + out.slice(i);
        break;
      }
      case 4:
        out = i + 1 < out.length ? out.slice(0, i) + out[i + 1] + out[i] + out.slice(i + 2) : out;
        break;
      default:
        out = out.slice(0, i);
    }
  }
  return out;
}

function* randomInputs(kind: keyof typeof reference, seeds: readonly string[], count: number, seed: number): Generator<string> {
  const rand = prng(seed);
  for (let i = 0; i < count; i++) {
    if (kind !== 'uuid' && i % 3 === 0) yield randomStructured(kind, rand);
    else if (kind !== 'uuid' && i % 3 === 1) yield mutate(randomStructured(kind, rand), rand);
    else yield mutate(seeds[Math.floor(rand() * seeds.length)]!, rand);
  }
}

const VALID_SEEDS: Record<keyof typeof reference, string[]> = {
  uuid: UUIDS.filter(reference.uuid),
  date: DATES.filter(reference.date),
  time: TIMES.filter(reference.time),
  'date-time': DATE_TIMES.filter(reference['date-time']),
};

/** Everything a checker is compared on. */
function* corpus(kind: keyof typeof reference): Generator<string> {
  yield* { uuid: UUIDS, date: DATES, time: TIMES, 'date-time': DATE_TIMES }[kind];
  if (kind === 'date') yield* dateFields();
  if (kind === 'time') yield* timeFields();
  if (kind === 'date-time') {
    for (const d of dateFields()) yield `${d}T00:00:00Z`;
    yield* dateTimeFields();
  }
  yield* randomInputs(kind, VALID_SEEDS[kind], 200_000, 0x5eed + kind.length);
}

describe('fast formats agree with ajv-formats fullFormats', () => {
  it('the hand-picked cases hold valid values of every format (the random mutations start from them)', () => {
    for (const kind of Object.keys(VALID_SEEDS) as Array<keyof typeof reference>) expect(VALID_SEEDS[kind].length).toBeGreaterThan(3);
  });

  for (const kind of Object.keys(reference) as Array<keyof typeof reference>) {
    it(`${kind}: hand-picked, field combinations and 200k seeded random mutations`, () => {
      expect(disagreements(fast[kind], reference[kind], corpus(kind))).toEqual([]);
    });
  }

  it('every UTF-16 code unit at every position of valid values', () => {
    const samples: Array<[keyof typeof reference, string]> = [
      ['uuid', 'urn:uuid:1a2B3c4D-e5F6-7a8b-9C0d-E1f2A3b4C5d6'],
      ['date', '2024-02-29'],
      ['time', '00:59:60.5+01:00'],
      ['date-time', '2016-12-31T23:59:59.5-0800'],
    ];
    for (const [kind, sample] of samples) {
      expect(reference[kind](sample)).toBe(true);
      expect(disagreements(fast[kind], reference[kind], substitutions(sample))).toEqual([]);
    }
  });

  it('the corpus tells a subtly wrong checker apart (this test can fail)', () => {
    const wrong: Array<[keyof typeof reference, string, Check]> = [
      ['uuid', 'no urn:uuid: prefix', (s) => s.length === 36 && uuid(s)],
      ['uuid', 'lower-case hex only', (s) => uuid(s) && !/[A-F]/.test(s)],
      ['uuid', 'a final newline allowed (a multiline $)', (s) => uuid(s) || (s.endsWith('\n') && uuid(s.slice(0, -1)))],
      ['date', 'every century a leap year', (s) => date(s) || (date(`2000${s.slice(4)}`) && s.slice(2, 4) === '00')],
      ['time', 'no zone required', (s) => time(s) || time(`${s}Z`)],
      ['time', 'fractions never round', (s) => (/\.9{15}/.test(s) ? !time(s) : time(s))],
      ['time', 'leap seconds only at 23:59 local', (s) => time(s) && (!s.startsWith('24') || s.slice(6, 8) === '60')],
      ['date-time', 'no lower-case t', (s) => dateTime(s) && s[10] !== 't'],
      ['date-time', 'only a space as whitespace', (s) => dateTime(s) && (s[10] === ' ' || !/\s/.test(s[10]!))],
    ];
    for (const [kind, what, check] of wrong) {
      const found = disagreements(check, reference[kind], corpus(kind), 1);
      expect(found, `${kind}: ${what}`).toHaveLength(1);
    }
  });
});

describe('fullFormats', () => {
  it('is ajv-formats fullFormats with the fast uuid, date, time and date-time; compare functions kept', () => {
    // Plus the internationalized formats ajv-formats lacks (test/runtime/formats-intl.test.ts).
    expect(Object.keys(fullFormats).sort()).toEqual([...Object.keys(ajvFormats), 'iri', 'iri-reference', 'idn-email', 'idn-hostname'].sort());
    for (const [name, format] of Object.entries(ajvFormats)) {
      if (['uuid', 'date', 'time', 'date-time'].includes(name)) continue;
      expect(fullFormats[name as keyof typeof fullFormats], name).toBe(format);
    }
    expect(fullFormats.uuid).toBe(uuid);
    for (const [name, check] of [
      ['date', date],
      ['time', time],
      ['date-time', dateTime],
    ] as const) {
      const def = fullFormats[name] as FormatDefinition<string>;
      expect(def.validate).toBe(check);
      expect(def.compare).toBe((ajvFormats[name] as FormatDefinition<string>).compare);
    }
  });

  it('is what createAjv validates with, formatMinimum included', () => {
    const ajv = createAjv();
    expect(ajv.formats.uuid).toBe(uuid);
    const validate = ajv.compile({
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, at: { type: 'string', format: 'date-time', formatMinimum: '2020-01-01T00:00:00Z' } },
    });
    expect(validate({ id: 'URN:UUID:123E4567-E89B-12D3-A456-426614174000', at: '2024-02-29 12:00:00.5+05:30' })).toBe(true);
    expect(validate({ id: '123e4567-e89b-12d3-a456-42661417400', at: '2024-02-29T12:00:00Z' })).toBe(false);
    expect(validate({ id: '123e4567-e89b-12d3-a456-426614174000', at: '2024-02-30T00:00:00Z' })).toBe(false);
    expect(validate({ id: '123e4567-e89b-12d3-a456-426614174000', at: '2019-12-31T23:59:59Z' })).toBe(false);
    expect(validate({ id: '123e4567-e89b-12d3-a456-426614174000', at: '2024-02-29t12:00:00z' })).toBe(true);
  });
});
