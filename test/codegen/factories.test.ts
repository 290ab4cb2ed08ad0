/**
 * Message factories in the generated SDK (templates/factories.ts): `make<Message>()` is
 * the message's first example, valid against its validator; overrides deep-merge (objects
 * merged, arrays replaced) into a new object each call, `__proto__` stays a key; a
 * message without examples gets minimal schema values chosen at generate time.
 */
import { describe, expect, it } from 'vitest';
import { makeNotificationCreated, makeUserCreated, validateNotificationCreated, validateUserCreated } from '../../generated/chat/index.js';
import * as skafu from '../../generated/skafu/index.js';
import { planSystem } from '../../src/codegen/plan.js';
import { loadContracts } from '../../src/contract/load.js';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

describe('generated factories (generated/chat)', () => {
  it('make<Message>() is the first example and passes the validator', () => {
    const e = makeUserCreated();
    expect(e).toEqual({
      event_id: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
      event_type: 'UserCreated',
      timestamp: '2025-01-27T10:00:00Z',
      correlation_id: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
      data: { user_id: '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f', email: 'ada@example.com', username: 'ada', created_at: '2025-01-27T10:00:00Z' },
    });
    expect(validateUserCreated(e)).toBe(true);
  });

  it('overrides merge deeply, replace arrays and scalars, and each call is a new object', () => {
    const e = makeNotificationCreated({ data: { title: 'Hi', type: 'chat_message' } });
    expect(e.data).toEqual({ ...makeNotificationCreated().data, title: 'Hi', type: 'chat_message' });
    expect(validateNotificationCreated(e)).toBe(true);
    const a = makeUserCreated();
    a.data.username = 'changed';
    expect(makeUserCreated().data.username).toBe('ada');
    const withProto = makeUserCreated(JSON.parse('{"data":{"__proto__":{"polluted":true}}}') as never) as unknown as { data: Record<string, unknown> };
    expect(Object.keys(withProto.data)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('every seed message has a factory whose value passes its validator', () => {
    const makers = Object.entries(skafu).filter(([name]) => name.startsWith('make'));
    expect(makers.length).toBe(24);
    for (const [name, make] of makers) {
      const validate = (skafu as Record<string, unknown>)[`validate${name.slice(4)}`] as ((v: unknown) => boolean) | undefined;
      expect(validate, name).toBeTypeOf('function');
      expect(validate!((make as () => unknown)()), name).toBe(true);
    }
  });
});

/** The factories.ts that generate would write for the contract at `file` (which must load without errors). */
async function plannedFactories(file: string): Promise<string> {
  const loaded = await loadContracts([file], { specValidation: false });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const files = await planSystem(loaded.systems[0]!, {
    runtimeImport: '@event-contracts/runtime',
    generator: { name: 'evc', version: 'test' },
    sources: [file],
  });
  return files.find((f) => f.path.endsWith('/factories.ts'))!.contents;
}

describe('factories for messages without examples', () => {
  it('hold minimal schema values chosen at generate time (required, defaults, first enum value)', async () => {
    const dir = contractDir({
      'shop.yaml': demoContract({
        envelope: '',
        channels: `  orders:
    address: orders
    messages:
      OrderPlaced:
        $ref: '#/components/messages/OrderPlaced'`,
        operations: `  sendOrderPlaced:
    action: send
    channel:
      $ref: '#/channels/orders'`,
        components: `  messages:
    OrderPlaced:
      name: OrderPlaced
      payload:
        title: OrderPlaced
        type: object
        additionalProperties: false
        required: [order_id, status, items]
        properties:
          order_id: { type: string, format: uuid }
          status: { enum: [new, paid] }
          items: { type: integer, minimum: 1 }
          currency: { type: string, default: EUR }
          note: { type: string }`,
      }),
    });
    const factories = await plannedFactories(`${dir}/shop.yaml`);
    const line = factories.split('\n').find((l) => l.includes('return mergeOverrides('));
    expect(line).toMatch(
      /^ {2}return mergeOverrides\(\{ order_id: "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", status: "new", items: 1, currency: "EUR" \}, overrides\) as OrderPlaced;$/,
    );
    expect(factories).toContain('export function makeOrderPlaced(overrides?: FactoryOverrides<OrderPlaced>): OrderPlaced {');
    expect(await plannedFactories(`${dir}/shop.yaml`)).toBe(factories);
  });

  it('when the minimal value fails its validator, tries more values with the generated code; with none valid, no factory', async () => {
    const message = (name: string, payload: string) => `    ${name}:
      name: ${name}
      payload:
${payload}`;
    const dir = contractDir({
      'odd.yaml': demoContract({
        envelope: '',
        channels: `  odd:
    address: odd
    messages:
      NotZero:
        $ref: '#/components/messages/NotZero'
      Never:
        $ref: '#/components/messages/Never'`,
        operations: `  sendOdd:
    action: send
    channel:
      $ref: '#/channels/odd'`,
        components: `  messages:
${message('NotZero', '        type: object\n        required: [n]\n        properties:\n          n: { type: integer, minimum: 0, maximum: 50, not: { const: 0 } }')}
${message('Never', '        type: object\n        required: [n]\n        properties:\n          n: { type: integer, not: { type: integer } }')}`,
      }),
    });
    const factories = await plannedFactories(`${dir}/odd.yaml`);
    // The minimal value { n: 0 } fails `not: { const: 0 }`: a later, random try passes.
    const notZero = /return mergeOverrides\(\{ n: (\d+) \}, overrides\) as NotZeroPayload;/.exec(factories);
    expect(notZero, factories).not.toBeNull();
    expect(Number(notZero![1])).toBeGreaterThan(0);
    expect(Number(notZero![1])).toBeLessThanOrEqual(50);
    expect(factories).not.toContain('makeNever');
    expect(factories).toContain('// No factory for Never: it has no example and no valid value could be made from its schema.');
  });
});
