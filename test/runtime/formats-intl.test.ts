/**
 * The internationalized formats ajv-formats lacks (src/runtime/formats.ts): `iri`,
 * `iri-reference`, `idn-hostname`, `idn-email`. Differential: on ASCII strings each must
 * answer exactly as its ajv-formats counterpart (`uri`, `uri-reference`, `hostname`,
 * `email`); on any string, `iri` and `iri-reference` must answer as an independent
 * reference, ajv-formats' own URI regexes widened with RFC 3987's ucschar (and iprivate in
 * the query) as a Unicode regex. Hand-picked cases pin the IDN forms.
 */
import { fullFormats as ajvFormats } from 'ajv-formats/dist/formats.js';
import { describe, expect, it } from 'vitest';
import { createAjv } from '../../src/contract/ajv.js';
import { fullFormats, idnEmail, idnHostname, iri, iriReference } from '../../src/runtime/formats.js';
import { prng } from './helpers.js';

type Check = (s: string) => boolean;

const UCSCHAR =
  '\\u{A0}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFEF}' +
  Array.from({ length: 14 }, (_, i) => (i === 13 ? '\\u{E1000}-\\u{EFFFD}' : `\\u{${(i + 1).toString(16)}0000}-\\u{${(i + 1).toString(16)}FFFD}`)).join('');
const IPRIVATE = '\\u{E000}-\\u{F8FF}\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}';

/** ajv-formats' URI regex as an IRI regex: case spelled out (no /i, which folds K and ſ onto ASCII under /u), ucschar where unreserved is, iprivate in the query. */
function widen(source: string): RegExp {
  let s = source.replaceAll('a-z', 'a-zA-Z').replaceAll('0-9a-f]', '0-9a-fA-F]');
  // Mark the IPvFuture class (stays ASCII) and the query class (also takes iprivate) with §.
  s = s.replace(/(\[Vv\]\[0-9a-fA-F\]\+\\\.)\[/, '$1[§');
  s = s.replace(/\\\?\(\?:\[/, '\\?(?:[§§');
  s = s.replace(/\[([^\]§]*~[^\]§]*)\]/g, (_m, cls: string) => `[${cls}${UCSCHAR}]`);
  s = s.replace(/\[§§([^\]]*)\]/, (_m, cls: string) => `[${cls}${UCSCHAR}${IPRIVATE}]`).replace('[§', '[');
  return new RegExp(s, 'u');
}
// ajv-formats does not export its URI regex: the same text is its full-mode uri-reference's with the scheme required and without `"`.
const ajvUriRegex = new RegExp(
  (ajvFormats['uri-reference'] as RegExp).source
    .replace('^(?:[a-z][a-z0-9+\\-.]*:)?', '^(?:[a-z][a-z0-9+\\-.]*:)')
    .replaceAll(`'"`, "'")
    .replace(/\)\?\(\?:\\\?/, ')(?:\\?'),
  'i',
);

const reference: Record<'iri' | 'iri-reference', Check> = {
  iri: (s) => IRI.test(s),
  'iri-reference': (s) => IRI_REFERENCE.test(s),
};
let IRI: RegExp;
let IRI_REFERENCE: RegExp;

const IRIS = [
  'http://example.com/',
  'http://例え.テスト/パス?クエリ#断片',
  'https://user:pw@bücher.de:8080/a/b;c?d=e&f#g',
  'urn:isbn:0451450523',
  'mailto:José@example.com',
  'http://[::1]/',
  'http://[2001:db8::7]:80/ö',
  'http://[v1.fe]/',
  'http://a/?\uE000',
  'http://a/\uE000',
  'http://a/#\uE000',
  'ftp://ftp.is.co.za/rfc/rfc1808.txt',
  'http://a/\uFFFE',
  'http://a/\uFDD0',
  'http://a/\u{1F600}',
  'http://a/\u{E0001}',
  'http://a/\u{E1000}',
  'http://a/\uD83D',
  'http://a/b c',
  'http://[::é]/',
  'http://[v1.é]/',
  'é:foo',
  'x:é',
  '//例え/パス',
  '/パス',
  'パス',
  '?q=\u{F0000}',
  '#\u{F0000}',
  '',
  'http:',
  'a:/[::1]',
  '\\\\server\\share',
];

const ALPHABET = 'abcXYZ019:/?#[]@!$&\'()*+,;=%-._~" \\^`{|}<>\u00a0é例\uE000\uF8FF\uFFFE\uFDD0\uD83D\uDE00\u{1F600}\u{E0001}\u{F0000}';

function mutate(s: string, rand: () => number): string {
  const chars = [...ALPHABET];
  let out = s;
  for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
    const i = Math.floor(rand() * (out.length + 1));
    const c = chars[Math.floor(rand() * chars.length)]!;
    const op = Math.floor(rand() * 3);
    out = op === 0 ? out.slice(0, i) + c + out.slice(i + 1) : op === 1 ? out.slice(0, i) + c + out.slice(i) : out.slice(0, i) + out.slice(i + 1);
  }
  return out;
}

function* corpus(seed: number, count: number): Generator<string> {
  yield* IRIS;
  const rand = prng(seed);
  for (let i = 0; i < count; i++) yield mutate(IRIS[Math.floor(rand() * IRIS.length)]!, rand);
}

function disagreements(ours: Check, ref: Check, inputs: Iterable<string>, limit = 20): string[] {
  const out: string[] = [];
  for (const s of inputs) {
    const want = ref(s);
    if (ours(s) !== want) {
      out.push(`${JSON.stringify(s)}: reference says ${want}`);
      if (out.length >= limit) break;
    }
  }
  return out;
}

describe('iri and iri-reference', () => {
  it("the reference regexes are built from ajv-formats' own (and agree with them on ASCII)", () => {
    IRI = widen(ajvUriRegex.source);
    IRI_REFERENCE = widen((ajvFormats['uri-reference'] as RegExp).source);
    const ascii = [...corpus(7, 20_000)].filter((s) => /^[\0-\x7f]*$/.test(s));
    expect(ascii.length).toBeGreaterThan(5000);
    expect(disagreements(reference.iri, ajvFormats.uri as Check, ascii)).toEqual([]);
    expect(disagreements(reference['iri-reference'], (s) => (ajvFormats['uri-reference'] as RegExp).test(s), ascii)).toEqual([]);
  });

  it('hand-picked', () => {
    expect(IRIS.filter(iri)).toEqual([
      'http://example.com/',
      'http://例え.テスト/パス?クエリ#断片',
      'https://user:pw@bücher.de:8080/a/b;c?d=e&f#g',
      'urn:isbn:0451450523',
      'mailto:José@example.com',
      'http://[::1]/',
      'http://[2001:db8::7]:80/ö',
      'http://[v1.fe]/',
      'http://a/?\uE000',
      'ftp://ftp.is.co.za/rfc/rfc1808.txt',
      'http://a/\u{1F600}',
      'http://a/\u{E1000}',
      'x:é',
      'a:/[::1]', // ajv-formats' `\/?\/` reads one slash as an authority: kept, as `uri` does
    ]);
    // As ajv-formats' uri-reference and uri do: a first segment may hold a colon (é:foo), and
    // uri wants a non-empty path after the scheme (http:).
    expect(IRIS.filter((s) => iriReference(s) && !iri(s))).toEqual(['é:foo', '//例え/パス', '/パス', 'パス', '?q=\u{F0000}', '', 'http:']);
  });

  for (const [name, ours] of [
    ['iri', iri],
    ['iri-reference', iriReference],
  ] as const) {
    it(`${name}: equal to the reference on hand-picked and 100k seeded mutations`, () => {
      expect(disagreements(ours, reference[name], corpus(0x1e1 + name.length, 100_000))).toEqual([]);
    });
  }

  it('the corpus tells a subtly wrong checker apart (this test can fail)', () => {
    const wrong: Array<[string, Check]> = [
      ['iprivate anywhere', (s) => iri(s) || iri(s.replace(/[\uE000-\uF8FF]/gu, '?$&'))],
      ['non-characters allowed', (s) => iri(s) || iri(s.replace(/[\uFFFE\uFDD0]/gu, 'é'))],
      ['no non-ASCII at all', (s) => iri(s) && /^[\0-\x7f]*$/.test(s)],
    ];
    for (const [what, check] of wrong) expect(disagreements(check, reference.iri, corpus(3, 100_000), 1), what).toHaveLength(1);
  });
});

describe('idn-hostname and idn-email', () => {
  it('on ASCII strings: exactly ajv-formats hostname and email', () => {
    const rand = prng(11);
    const chars = 'abz09-._@+!#~ A';
    const inputs: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      let s = '';
      for (let n = Math.floor(rand() * 14); n > 0; n--) s += chars[Math.floor(rand() * chars.length)];
      inputs.push(s);
    }
    inputs.push('a'.repeat(63), 'a'.repeat(64), `${'a.'.repeat(126)}a`, `${'a.'.repeat(127)}a`);
    expect(disagreements(idnHostname, (s) => (ajvFormats.hostname as RegExp).test(s), inputs)).toEqual([]);
    expect(disagreements(idnEmail, (s) => (ajvFormats.email as RegExp).test(s), inputs)).toEqual([]);
  });

  it('idn-hostname: U-labels whose A-label form is a host name', () => {
    const cases: Array<[string, boolean]> = [
      ['bücher.de', true],
      ['例え.テスト', true],
      ['xn--bcher-kva.de', true],
      ['Bücher.DE', true],
      ['ü', true],
      ['a\uFF0Eb', true], // a full-width dot is a dot (UTS #46)
      ['bü cher.de', false],
      ['bücher..de', false],
      ['-bücher.de', false],
      ['bücher-.de', false],
      ['bücher.-de', false],
      ['bü-cher.de', true],
      ['bücher.de:80', false],
      ['bücher.de/x', false],
      ['b%C3%BCcher.de', false],
      ['user@bücher.de', false],
      [`${'ü'.repeat(60)}.de`, false], // its A-label is longer than 63 octets
      ['\u{1F600}\uD800.de', false],
      ['', false],
    ];
    expect(cases.map(([s]) => [s, idnHostname(s)])).toEqual(cases);
  });

  it('idn-email: UTF-8 local parts (RFC 6531) and internationalized domains', () => {
    const cases: Array<[string, boolean]> = [
      ['用户@例子.广告', true],
      ['José.Müller@example.com', true],
      ['me@bücher.de', true],
      ['ü@x.de', true],
      ['ü@x', false], // email wants a dot in the domain, so does idn-email
      ['ü..x@x.de', false],
      ['.ü@x.de', false],
      ['ü x@x.de', false],
      ['ü@bü cher.de', false],
      ['@bücher.de', false],
      ['ü@', false],
    ];
    expect(cases.map(([s]) => [s, idnEmail(s)])).toEqual(cases);
  });
});

describe('fullFormats and ajv', () => {
  it('holds the four, and createAjv checks them (a format the set does not know is not checked)', () => {
    expect(fullFormats.iri).toBe(iri);
    expect(fullFormats['iri-reference']).toBe(iriReference);
    expect(fullFormats['idn-email']).toBe(idnEmail);
    expect(fullFormats['idn-hostname']).toBe(idnHostname);
    const validate = createAjv({ allErrors: true }).compile({
      type: 'object',
      properties: {
        a: { type: 'string', format: 'iri' },
        b: { type: 'string', format: 'iri-reference' },
        c: { type: 'string', format: 'idn-email' },
        d: { type: 'string', format: 'idn-hostname' },
      },
    });
    expect(validate({ a: 'http://例え.テスト/', b: '/パス', c: '用户@例子.广告', d: 'bücher.de' })).toBe(true);
    expect(validate({ a: '/パス', b: 'http://a/\uFFFE', c: 'ü@x', d: 'bü cher' })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(['/a', '/b', '/c', '/d']);
  });
});
