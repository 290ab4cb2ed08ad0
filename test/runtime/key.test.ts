/**
 * Message keys typed from the contract's Kafka key schema (test/fixtures/codegen/kafka-keys)
 * travel as strings: numbers as their text, objects as canonical JSON, so equal keys share a
 * partition whatever order their fields were written in. On the memory transport through
 * the generated client; keyText on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createShopClient, type ShopClient } from '../fixtures/codegen/kafka-keys/expected/shop/client.js';
import { keyText } from '../../src/runtime/index.js';
import { waitFor } from '../conformance/wait-for.js';
import { spyTransport, type SpyTransport } from './helpers.js';

describe('keyText', () => {
  it.each([
    ['a string, as it is', 'eu', 'eu'],
    ['an integer, as its text', 42, '42'],
    ['a number', -1.5, '-1.5'],
    ['a bigint', 12345678901234567890n, '12345678901234567890'],
    ['a boolean', true, 'true'],
    ['an object, as canonical JSON (keys sorted, no spaces)', { store: 7, sku: 'A-1' }, '{"sku":"A-1","store":7}'],
    ['nested objects and arrays, sorted at every level', { b: [{ y: 1, x: 2 }], a: { d: null, c: 'é' } }, '{"a":{"c":"é","d":null},"b":[{"x":2,"y":1}]}'],
    ['an object without its undefined fields', { b: undefined, a: 1 }, '{"a":1}'],
  ])('%s', (_what, key, text) => {
    expect(keyText(key)).toBe(text);
  });
});

describe('typed keys through a generated client', () => {
  let client: ShopClient | undefined;
  let spy: SpyTransport;
  afterEach(async () => {
    await client?.close();
  });

  function setup(): ShopClient {
    spy = spyTransport();
    client = createShopClient({ transport: spy });
    return client;
  }
  const keysOn = (address: string) => spy.calls.filter((c) => c.channel === address).flatMap((c) => c.messages.map((m) => m.key));

  it('sends each kind of key as its text, the same object key the same way in any field order', async () => {
    const shop = setup();
    await shop.publishPlaceOrder({ orderId: '0b6f6c36-1f0e-4c3e-9d4c-2f1d2b3c4d5e' }, { key: '0b6f6c36-1f0e-4c3e-9d4c-2f1d2b3c4d5e' });
    await shop.publishUpdateShipment({ shipmentId: 's-1', status: 'packed' }, { key: 'apac' });
    await shop.publishChangePrice({ sku: 'A-1', store: 7, cents: 199 }, { key: { sku: 'A-1', store: 7 } });
    await shop.publishChangePriceBatch([{ sku: 'A-1', store: 7, cents: 189 }], { key: { store: 7, sku: 'A-1' } });
    await shop.publishSensorData({ sensor: 3, value: 20.5 }, { key: 3 });
    await shop.publishSensorData({ sensor: 3, offset: 0.1 }, { key: 'sensor-3' });
    expect(keysOn('shop.orders')).toEqual(['0b6f6c36-1f0e-4c3e-9d4c-2f1d2b3c4d5e']);
    expect(keysOn('shop.shipments')).toEqual(['apac']);
    expect(keysOn('shop.prices')).toEqual(['{"sku":"A-1","store":7}', '{"sku":"A-1","store":7}']);
    expect(keysOn('shop.sensors')).toEqual(['3', 'sensor-3']);
  });

  it('a handler sees the key as it travelled', async () => {
    const shop = setup();
    const seen: Array<string | undefined> = [];
    await shop.onRecordSensors((_event, ctx) => {
      seen.push(ctx.key);
    });
    await shop.publishSensorData({ sensor: 9, value: 1 }, { key: 9 });
    await waitFor(() => seen.length > 0, { timeoutMs: 2_000, what: 'the reading' });
    expect(seen).toEqual(['9']);
  });
});
