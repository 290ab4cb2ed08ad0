import { beforeAll, describe, expect, it } from 'vitest';
import type { SystemModel } from '../../src/contract/ir.js';
import { loadContracts } from '../../src/contract/load.js';
import { createChecker, SelectionError, type CheckResult } from '../../src/validate/checker.js';
import { violationLine } from '../../src/validate/explain.js';

let shop: SystemModel;
beforeAll(async () => {
  const r = await loadContracts(['test/fixtures/validate/shop.yaml'], { specValidation: false });
  expect(r.diagnostics).toEqual([]);
  shop = r.systems[0]!;
});

const placed = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  event_id: '3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a11',
  event_type: 'order.placed',
  data: { order_id: 'o-1', items: 2, status: 'new', ...data },
  ...extra,
});
const lines = (r: CheckResult) => r.violations.map(violationLine);

describe('createChecker: what the schema expected, in words', () => {
  const cases: [string, { given: unknown; want: string[] }][] = [
    ['type', { given: placed({ items: 'ten' }), want: ['/data/items: expected integer, got string "ten"'] }],
    ['required', { given: placed({ order_id: undefined }), want: ['/data: missing required property "order_id"'] }],
    ['additionalProperties', { given: placed({ foo: 1 }), want: ['/data/foo: unexpected property "foo" (additionalProperties: false)'] }],
    ['enum', { given: placed({ status: 'lost' }), want: ['/data/status: expected one of ["new","paid"], got string "lost"'] }],
    [
      'minLength and pattern',
      {
        given: placed({ order_id: 'x' }),
        want: ['/data/order_id: expected at least 3 characters, got string "x"', '/data/order_id: expected to match /^o-/, got string "x"'],
      },
    ],
    ['minimum', { given: placed({ items: 0 }), want: ['/data/items: expected >= 1, got integer 0'] }],
    ['maximum', { given: placed({ items: 101 }), want: ['/data/items: expected <= 100, got integer 101'] }],
    ['format', { given: placed({ email: 'nope' }), want: ['/data/email: expected format "email", got string "nope"'] }],
    [
      'maxItems and uniqueItems',
      {
        given: placed({ tags: ['a', 'a', 'b'] }),
        want: ['/data/tags: expected at most 2 items, got array of 3', '/data/tags: expected unique items (items 0 and 1 are equal)'],
      },
    ],
    ['format of the envelope id', { given: placed({}, { event_id: '42' }), want: ['/event_id: expected format "uuid", got string "42"'] }],
    [
      'the whole message of the wrong JSON type',
      { given: [1], want: ['/event_type: no type field at /event_type (known: order.cancelled, order.placed, payment.taken)'] },
    ],
  ];
  it.each(cases)('%s', (_name, c) => {
    const checker = createChecker(shop);
    const value = JSON.parse(JSON.stringify(c.given));
    const r = checker.check(value);
    expect(lines(r)).toEqual(c.want);
    expect(checker.isValid(value)).toBe(false);
  });

  it('exclusiveMinimum and multipleOf', () => {
    const r = createChecker(shop).check({
      event_id: '3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a13',
      event_type: 'payment.taken',
      data: { order_id: 'o', amount: -0.3 },
    });
    expect([r.status, r.messageId, ...lines(r)]).toEqual([
      'invalid',
      'PaymentTaken',
      '/data/amount: expected > 0, got number -0.3',
      '/data/amount: expected a multiple of 0.5, got number -0.3',
    ]);
  });
});

describe('createChecker: which message', () => {
  it('by the envelope type field', () => {
    const c = createChecker(shop);
    expect(c.check(placed({}))).toEqual({ status: 'valid', messageId: 'OrderPlaced', eventType: 'order.placed', violations: [] });
    expect([c.isValid(placed({})), c.isValid({ event_type: 'order.shipped' }), c.isValid({ event_type: 7 })]).toEqual([true, false, false]);
    const unknown = c.check({ event_type: 'order.shipped' });
    expect([unknown.status, ...lines(unknown)]).toEqual([
      'unknown-type',
      '/event_type: unknown event type "order.shipped" at /event_type (known: order.cancelled, order.placed, payment.taken)',
    ]);
  });

  it("--channel: by type among the channel's messages, else the closest of them", () => {
    const c = createChecker(shop, { channel: 'orders' });
    expect(c.check(placed({})).messageId).toBe('OrderPlaced');
    expect(c.isValid(placed({}))).toBe(true);
    // The type picks among the channel's messages for isValid as for check.
    expect(c.isValid({ event_id: '3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a12', event_type: 'order.cancelled', data: { order_id: 'o-1' } })).toBe(true);
    // payment.taken is not on this channel: every message of the channel is tried; the closest reported.
    const r = c.check({ event_id: '3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a12', event_type: 'payment.taken', data: { order_id: 'o-1' } });
    expect([r.status, r.messageId, ...lines(r)]).toEqual(['invalid', 'OrderCancelled', '/event_type: expected "order.cancelled", got string "payment.taken"']);
    // Also by address.
    expect(createChecker(shop, { channel: 'shop.payments' }).describe).toBe('on channel payments');
  });

  it('--message: that message, whatever the type says', () => {
    const c = createChecker(shop, { message: 'OrderCancelled' });
    const r = c.check(placed({}));
    expect([r.status, r.messageId, c.isValid(placed({}))]).toEqual(['invalid', 'OrderCancelled', false]);
  });

  it('unknown --message / --channel name what exists', () => {
    expect(() => createChecker(shop, { message: 'Nope' })).toThrow(
      new SelectionError('no message "Nope" in shop (messages: OrderPlaced, OrderCancelled, PaymentTaken)'),
    );
    expect(() => createChecker(shop, { channel: 'nope' })).toThrow(new SelectionError('no channel "nope" in shop (channels: orders, payments)'));
  });
});
