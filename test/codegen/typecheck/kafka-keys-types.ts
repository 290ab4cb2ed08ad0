/**
 * Publish options' `key` typed from each message's Kafka key schema
 * (test/fixtures/codegen/kafka-keys). Each line after `@ts-expect-error` must be a type
 * error (tsc fails on an unused directive); the others must compile. Type-checked by
 * test/codegen/type-level.test.ts.
 */
import { createShopClient } from '../../fixtures/codegen/kafka-keys/expected/shop/index.js';

export async function keys(): Promise<void> {
  const shop = createShopClient();
  await shop.publishPlaceOrder({ orderId: 'o-1' }, { key: 'o-1' });
  await shop.publishUpdateShipment({ shipmentId: 's-1', status: 'packed' }, { key: 'eu' });
  await shop.publishChangePrice({ sku: 'A-1', store: 7, cents: 1 }, { key: { sku: 'A-1', store: 7 } });
  await shop.publishSensorData({ sensor: 3, value: 1 }, { key: 3 });
  // A channel where one message declares no key schema: a string is fine too.
  await shop.publishSensorData({ sensor: 3, offset: 1 }, { key: 'sensor-3' });

  // @ts-expect-error the key of an order is a string (uuid)
  await shop.publishPlaceOrder({ orderId: 'o-1' }, { key: 1 });
  // @ts-expect-error not a Region
  await shop.publishUpdateShipment({ shipmentId: 's-1', status: 'packed' }, { key: 'mars' });
  // @ts-expect-error the price key needs the store
  await shop.publishChangePrice({ sku: 'A-1', store: 7, cents: 1 }, { key: { sku: 'A-1' } });
  // @ts-expect-error the price key is an object, not its JSON text
  await shop.publishChangePriceBatch([{ sku: 'A-1', store: 7, cents: 1 }], { key: '{"sku":"A-1","store":7}' });
  // @ts-expect-error a sensor key is a number or a string, not an object
  await shop.publishSensorData({ sensor: 3, value: 1 }, { key: { sensor: 3 } });
}
