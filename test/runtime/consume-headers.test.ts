import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { createClient, createMemoryTransport, type ValidateFunction } from '../../src/runtime/index.js';
import type { Delivery } from '../../src/runtime/transport.js';
import { orderSystem } from '../conformance/system.js';

const headerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['x-tenant'],
  properties: { 'x-tenant': { type: 'string', pattern: '^[a-z]+$' } },
};

describe('consume: headers off the wire are validated like the payload', () => {
  it('an event whose headers break the header schema goes to the dead letter at once; a valid one is handled', async () => {
    const t = orderSystem();
    t.message.validateHeaders = new Ajv({ allErrors: true }).compile(headerSchema) as ValidateFunction;
    const transport = createMemoryTransport();
    const client = createClient(t.system, { transport, dedupe: false });
    const handled: string[] = [];
    await client.subscribe(t.receive, (e: { data: { order_id: string } }) => void handled.push(e.data.order_id), {
      retry: { maxAttempts: 3, initialDelayMs: 1 },
    });
    const dead: Delivery[] = [];
    await transport.subscribe({ group: 'dlq-reader', channels: [t.deadLetter], handler: async (d) => void dead.push(d) });

    // Through the SDK: the caller's headers are validated on publish, the runtime adds its own.
    await client.publish(t.send, { data: { order_id: 'ok-1', seq: 1 } }, { headers: { 'x-tenant': 'acme' } });
    // A producer outside the SDK: same payload shape, a header the contract forbids.
    const raw = {
      event_id: randomUUID(),
      event_type: 'order.placed',
      timestamp: new Date().toISOString(),
      correlation_id: 'c-1',
      data: { order_id: 'bad-1', seq: 2 },
    };
    await transport.publish(t.address, [
      { key: 'bad-1', value: Buffer.from(JSON.stringify(raw)), headers: { 'x-tenant': 'ACME!', 'content-type': 'application/json' } },
    ]);

    const deadline = Date.now() + 5000;
    while ((handled.length < 1 || dead.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(handled).toEqual(['ok-1']);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers['evc-error-class']).toBe('ValidationError');
    expect(dead[0]!.headers['evc-error-message']).toMatch(/\/headers\/x-tenant/);
    expect(dead[0]!.headers['evc-attempts']).toBe('1');
    expect(JSON.parse(dead[0]!.value.toString()).data.order_id).toBe('bad-1');
    await client.close();
  });
});
