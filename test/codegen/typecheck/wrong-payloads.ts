/**
 * Compile-time contract of the generated clients: each line after `@ts-expect-error` must
 * be a type error (tsc fails on an unused directive), and the lines without one must
 * compile. test/codegen/compile-time.test.ts also type-checks a copy without the
 * directives and expects exactly these lines to fail.
 */
import { createOrdersClient } from '../../fixtures/codegen/multi-message/expected/orders/index.js';
import { createDevicesClient } from '../../fixtures/codegen/parameters/expected/devices/index.js';
import { createShapesClient } from '../../fixtures/codegen/composition/expected/shapes/index.js';

export async function publishes(): Promise<void> {
  const orders = createOrdersClient();
  const devices = createDevicesClient();
  const shapes = createShapesClient();
  const order = { orderId: 'o1', lines: [{ sku: 'ABC-1', quantity: 2 }], total: 10 };

  // Valid calls: envelope fields are optional, parameters typed, enums accepted.
  await orders.publishPlaceOrder({ order }, { headers: { 'x-tenant': 't1' } });
  await orders.publishCancelOrder({ orderId: 'o1', reason: 'fraud' });
  await orders.publishOrderEvent({ type: 'order.cancelled', orderId: 'o1', reason: 'customer' });
  await devices.publishReading({ deviceId: 'd1', at: '2025-01-27T10:00:00Z', values: { t: 21.5 } }, { parameters: { region: 'eu', deviceId: 'd1' } });
  await shapes.publishDrawShape({ shape: { kind: 'circle', radius: 1 }, style: { width: 1, fill: null } });
  await orders.onShippingPlaced((event) => {
    if (event.type === 'order.cancelled') return void event.reason;
    return void event.order.lines[0]?.sku;
  });

  // @ts-expect-error wrong field type: orderId is a string
  await orders.publishCancelOrder({ orderId: 42, reason: 'fraud' });
  // @ts-expect-error missing required field: reason
  await orders.publishCancelOrder({ orderId: 'o1' });
  // @ts-expect-error wrong enum value
  await orders.publishCancelOrder({ orderId: 'o1', reason: 'bored' });
  // @ts-expect-error unknown field on a closed payload
  await orders.publishCancelOrder({ orderId: 'o1', reason: 'fraud', extra: true });
  // @ts-expect-error wrong envelope type constant
  await orders.publishCancelOrder({ orderId: 'o1', reason: 'fraud', type: 'order.placed' });
  // @ts-expect-error nested array of objects: quantity is a number
  await orders.publishPlaceOrder({ order: { ...order, lines: [{ sku: 'ABC-1', quantity: '2' }] } });
  // @ts-expect-error typed headers
  await orders.publishPlaceOrder({ order }, { headers: { 'x-tenant': 1 } });
  // @ts-expect-error parameters are required for a parameterized address
  await devices.publishReading({ deviceId: 'd1', at: 'now', values: {} });
  // @ts-expect-error enum-typed parameter
  await devices.publishReading({ deviceId: 'd1', at: 'now', values: {} }, { parameters: { region: 'mars', deviceId: 'd1' } });
  // @ts-expect-error oneOf: no such shape
  await shapes.publishDrawShape({ shape: { kind: 'triangle', radius: 1 }, style: { width: 1 } });
  // @ts-expect-error nullable is null, not undefined-or-anything
  await shapes.publishDrawShape({ shape: { kind: 'circle', radius: 1 }, style: { width: 1 }, layer: 'top' });
  // @ts-expect-error handlers receive the typed union: no such field
  await orders.onShippingPlaced((event) => void event.nope);
  // @ts-expect-error deprecated methods still type-check their payloads
  await orders.publishWriteAudit({ text: 1 });
}
