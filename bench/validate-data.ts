/**
 * Generated NDJSON for `evc validate` benchmarks and the constant-memory test: messages of
 * test/fixtures/validate/shop.yaml (three types), every `invalidEvery`-th one invalid.
 * Written in 1 MiB batches, so generating never holds the file either.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const SHOP_CONTRACT = 'test/fixtures/validate/shop.yaml';

export interface Generated {
  bytes: number;
  messages: number;
  invalid: number;
}

function message(i: number, invalid: boolean): string {
  const id = `3f1c6a52-5c1e-4d8e-9a57-${(i % 1e12).toString().padStart(12, '0')}`;
  switch (i % 3) {
    case 0:
      return JSON.stringify({
        event_id: id,
        event_type: 'order.placed',
        data: { order_id: `o-${i}`, items: invalid ? 'ten' : (i % 100) + 1, status: i % 2 ? 'new' : 'paid', email: `user${i}@example.com`, tags: ['a', 'b'] },
      });
    case 1:
      return JSON.stringify({ event_id: id, event_type: 'order.cancelled', data: invalid ? { order_id: `o-${i}`, reason: 'x' } : { order_id: `o-${i}` } });
    default:
      return JSON.stringify({ event_id: id, event_type: 'payment.taken', data: { order_id: `o-${i}`, amount: invalid ? -1 : ((i % 50) + 1) / 2 } });
  }
}

/** Write at least `targetBytes` of NDJSON to `path`. */
export function writeShopNdjson(path: string, targetBytes: number, invalidEvery = 1000): Generated {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let messages = 0;
  let invalid = 0;
  try {
    while (bytes < targetBytes) {
      let batch = '';
      while (batch.length < 1 << 20) {
        const bad = invalidEvery > 0 && messages % invalidEvery === invalidEvery - 1;
        if (bad) invalid++;
        batch += message(messages, bad) + '\n';
        messages++;
      }
      bytes += writeSync(fd, batch);
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, messages, invalid };
}
