/**
 * The corpus: documents written for this test (test/corpus/documents) that exercise what
 * real contracts use: AsyncAPI 2.6 publish/subscribe with traits, bindings and parameters;
 * 3.0 request/reply; Avro payloads; recursive schemas; $refs above the document folder
 * (--root); the conventions of documents from elsewhere (no titles, open objects, a bad
 * example) with unknown and internationalized formats. Each is linted (exact error count),
 * generated, and every SDK is type-checked under strict NodeNext with code that uses the
 * types (right values compile, wrong ones do not); the validators run.
 *
 * scripts/corpus.mjs does the same over folders of public documents (docs/corpus.md).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../codegen/helpers.js';
import { tmpFolder, typecheck } from './typecheck.js';

const docs = 'test/corpus/documents';
const CORPUS: Array<{ doc: string; system: string; root?: string; lint: { errors: number; warnings: number } }> = [
  { doc: 'v2-pubsub/streetlights.yaml', system: 'streetlights', lint: { errors: 0, warnings: 7 } },
  { doc: 'v3-reply/lookup.yaml', system: 'lookup', lint: { errors: 0, warnings: 0 } },
  { doc: 'avro/payments.yaml', system: 'payments', lint: { errors: 0, warnings: 0 } },
  { doc: 'recursive/comments.yaml', system: 'comments', lint: { errors: 0, warnings: 0 } },
  { doc: 'above-root/asyncapi/orders.yaml', system: 'orders', root: 'above-root', lint: { errors: 0, warnings: 0 } },
  // Someone else's conventions: our lint rules say so (3 errors, 1 warning); generate only warns.
  { doc: 'formats/profiles.yaml', system: 'profiles', lint: { errors: 3, warnings: 1 } },
  // A channel that is a $ref named through it by operations, draft-07 tuples, a key JSON Schema does not define, `messages: []`.
  { doc: 'conventions/relay.yaml', system: 'relay', lint: { errors: 0, warnings: 1 } },
];

const evc = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/evc.js', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Code that uses the generated types: each @ts-expect-error must be an error, the rest must compile. */
const USAGE = `
import type { AuditEntry, LightMeasuredPayload, StreetlightsClient } from './generated/streetlights/index.js';
import type { LookupClient, UserFound, UserUnknown } from './generated/lookup/index.js';
import type { Currency, PaymentAuthorized, PaymentRefunded } from './generated/payments/index.js';
import type { Category, Comment } from './generated/comments/index.js';
import type { OrderPlaced } from './generated/orders/index.js';
import type { ProfilesProfileUpdatedPayload } from './generated/profiles/index.js';
import type { Reading, RelayClient } from './generated/relay/index.js';

// 2.x: subscribe = the application sends (publishLightMeasured), publish = it receives (onLightMeasured).
export async function streetlights(sdk: StreetlightsClient): Promise<void> {
  await sdk.publishLightMeasured({ lumens: 3 }, { parameters: { streetlightId: 's-1' }, headers: { 'my-app-header': 5 }, key: 'k' });
  // @ts-expect-error lumens is a number
  await sdk.publishLightMeasured({ lumens: 'bright' }, { parameters: { streetlightId: 's-1' } });
  await sdk.onLightMeasured((event: LightMeasuredPayload) => void event.lumens, { parameters: { streetlightId: 's-1' } });
  const audit: AuditEntry = { streetlightId: 's-1', at: 1700000000000, action: 'DIM', note: null };
  // @ts-expect-error an Avro enum is its symbols
  const badAudit: AuditEntry = { streetlightId: 's-1', at: 1, action: 'BLINK' };
  void audit;
  void badAudit;
}

// 3.0 request/reply: the typed reply.
export async function lookup(sdk: LookupClient): Promise<UserFound | UserUnknown> {
  return sdk.requestLookupUser({ userId: 7 }, { key: 7 });
}

// Avro: records, enums, unions with null, maps, named types across messages, recursion.
export const paid: PaymentAuthorized = {
  paymentId: '2f1c43b6-7d2e-4ef1-9a8d-3c9a1f0b5d11',
  amount: { value: '12.50', currency: 'EUR' },
  cardFingerprint: 'abcdefgh',
  authorizedAt: 1700000000000,
  settlementDay: 19700,
  metadata: { channel: 'web' },
  parent: null,
};
export const refunded: PaymentRefunded = { paymentId: paid.paymentId, refund: paid.amount, currency: 'GBP' satisfies Currency };
// @ts-expect-error a Money needs its currency
export const noCurrency: PaymentRefunded = { paymentId: 'x', refund: { value: '1.00' }, currency: 'EUR' };

// Recursive JSON Schemas.
export const thread: Comment = { id: '1', text: 'a', replies: [{ id: '2', text: 'b', replies: [] }] };
export const tree: Category = { name: 'root', children: [{ name: 'leaf' }] };
// @ts-expect-error a reply is a Comment
export const badThread: Comment = { id: '1', text: 'a', replies: [{ id: 2 }] };

// $refs above the document folder.
export const order: OrderPlaced = { orderId: '2f1c43b6-7d2e-4ef1-9a8d-3c9a1f0b5d11', total: { amount: '1.00', currency: 'USD' } };

// Someone else's document: a derived name, open object.
export const profile: ProfilesProfileUpdatedPayload = { homepage: 'https://例え.テスト/', handle: 'x', extra: true };

// Draft-07 tuples: positions past minItems are optional, additionalItems types the rest.
export const reading: Reading = { sensor: 's', sample: ['2024-01-01T00:00:00Z', 1, 2, 3], label: ['x'] };
// @ts-expect-error additionalItems: false closes the tuple
export const longLabel: Reading = { sensor: 's', sample: ['t', 1], label: ['x', 1, 2] };
// @ts-expect-error minItems 2: the value is required
export const shortSample: Reading = { sensor: 's', sample: ['t'] };
export async function relay(sdk: RelayClient): Promise<void> {
  await sdk.publishReading(reading);
  // @ts-expect-error an operation that lists no messages (\`messages: []\`) sends none
  await sdk.publishProbe({ up: true });
}
`;

describe('the corpus: lint, generate, type-check', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = tmpFolder('corpus');
  });

  for (const c of CORPUS) {
    const rootArgs = c.root ? ['--root', join(docs, c.root)] : [];
    it(`${c.doc}: evc lint finds ${c.lint.errors} error(s), ${c.lint.warnings} warning(s)`, () => {
      const r = evc('lint', join(docs, c.doc), ...rootArgs);
      expect(r.stderr).toBe(`evc lint: 1 contract(s) (${c.system}), ${c.lint.errors} error(s), ${c.lint.warnings} warning(s)\n`);
      expect(r.code).toBe(c.lint.errors > 0 ? 1 : 0);
    });
    it(`${c.doc}: evc generate writes the SDK`, () => {
      const r = evc('generate', join(docs, c.doc), ...rootArgs, '--out', join(tmp, 'generated'), '--no-cache');
      expect(r.stderr).toMatch(new RegExp(`evc generate: 1 system\\(s\\) \\(${c.system}\\): \\d+ written`));
      expect(r.code).toBe(0);
    });
  }

  it('the formats document: generate warns with what lint reports as errors', () => {
    const r = evc('generate', join(docs, 'formats/profiles.yaml'), '--out', join(tmp, 'generated'), '--no-cache');
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l.includes(' warning '))
        .map((l) => l.split(' ')[2]),
    ).toEqual(['additional-properties-explicit', 'payload-type-name', 'format-unknown', 'example-valid']);
  });

  it('every SDK type-checks under strict NodeNext, and code using the types compiles only when right', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(tmp, 'usage.ts'), USAGE);
    const r = typecheck(tmp);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('the generated validators: Avro decimals and enums, internationalized formats, an unknown format is not checked', async () => {
    const load = async (system: string) =>
      (await import(pathToFileURL(join(tmp, 'generated', system, 'validators.ts')).href)) as Record<string, ValidateFunction>;
    const payments = await load('payments');
    const paid = {
      paymentId: '2f1c43b6-7d2e-4ef1-9a8d-3c9a1f0b5d11',
      amount: { value: '12.50', currency: 'EUR' },
      cardFingerprint: 'abcdefgh',
      authorizedAt: 1,
      settlementDay: 1,
    };
    expect(payments.validatePaymentAuthorized!(paid)).toBe(true);
    expect(payments.validatePaymentAuthorized!({ ...paid, amount: { value: '12.505', currency: 'EUR' } })).toBe(false);
    expect(payments.validatePaymentAuthorized!({ ...paid, cardFingerprint: 'short' })).toBe(false);
    expect(payments.validatePaymentAuthorized!({ ...paid, parent: { ...paid, parent: { ...paid, amount: { value: '1', currency: 'YEN' } } } })).toBe(false);
    const profiles = await load('profiles');
    const v = profiles.validateProfilesProfileUpdated!;
    expect(v({ homepage: 'https://例え.テスト/パス', avatar: '/画像.png', email: '用户@例子.广告', host: 'bücher.de', handle: 'anything at all' })).toBe(true);
    expect([v({ homepage: '/relative' }), v({ avatar: 'http://a/\uFFFE' }), v({ email: 'ü@x' }), v({ host: 'bü cher' })]).toEqual([false, false, false, false]);
  });

  it('the generated validators: draft-07 tuples are checked, a key JSON Schema does not define is not', async () => {
    const relay = (await import(pathToFileURL(join(tmp, 'generated', 'relay', 'validators.ts')).href)) as Record<string, ValidateFunction>;
    const v = relay.validateRelayReading!;
    const ok = { sensor: 's', sample: ['2024-01-01T00:00:00Z', 1.5, 2] };
    expect([v(ok), v({ ...ok, label: ['x', 1] }), v({ ...ok, source: { id: 'a', is_shared: 'anything' } })]).toEqual([true, true, false]);
    expect([
      v({ ...ok, sample: ['yesterday', 1] }),
      v({ ...ok, sample: ['2024-01-01T00:00:00Z', 1, 'x'] }),
      v({ ...ok, sample: ['2024-01-01T00:00:00Z'] }),
      v({ ...ok, label: ['x', 1, 2] }),
      v({ ...ok, label: [1] }),
    ]).toEqual([false, false, false, false, false]);
  });
});
