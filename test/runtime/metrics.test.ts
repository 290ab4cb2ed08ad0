import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/runtime/index.js';
import { createPrometheusMetrics } from '../../src/runtime/prometheus.js';

describe('metrics', () => {
  it('writes exact counter values and cumulative histogram buckets in Prometheus text', async () => {
    const m = createMetrics();
    const c = m.consumer('orders', 'billing');
    c.consumed();
    c.consumed();
    c.failed();
    c.deadLettered('handler');
    c.deadLettered('decode');
    c.duplicate();
    c.handlerSeconds(0.0003);
    c.handlerSeconds(0.002);
    m.published('orders', 3);
    m.published('orders');
    const text = await m.text();
    expect(text).toContain('evc_published_total{channel="orders"} 4\n');
    expect(text).toContain('evc_consumed_total{channel="orders",group="billing"} 2\n');
    expect(text).toContain('evc_failed_total{channel="orders",group="billing"} 1\n');
    expect(text).toContain('evc_dead_lettered_total{channel="orders",group="billing",reason="handler"} 1\n');
    expect(text).toContain('evc_dead_lettered_total{channel="orders",group="billing",reason="decode"} 1\n');
    expect(text).toContain('evc_duplicates_total{channel="orders",group="billing"} 1\n');
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith('evc_handler_duration_seconds'))
      .map((l) => l.replace(/,channel="orders",group="billing"|\{channel="orders",group="billing"\}/, ''));
    expect(buckets).toEqual([
      'evc_handler_duration_seconds_bucket{le="0.0001"} 0',
      'evc_handler_duration_seconds_bucket{le="0.00025"} 0',
      'evc_handler_duration_seconds_bucket{le="0.0005"} 1',
      'evc_handler_duration_seconds_bucket{le="0.001"} 1',
      'evc_handler_duration_seconds_bucket{le="0.0025"} 2',
      'evc_handler_duration_seconds_bucket{le="0.005"} 2',
      'evc_handler_duration_seconds_bucket{le="0.01"} 2',
      'evc_handler_duration_seconds_bucket{le="0.025"} 2',
      'evc_handler_duration_seconds_bucket{le="0.05"} 2',
      'evc_handler_duration_seconds_bucket{le="0.1"} 2',
      'evc_handler_duration_seconds_bucket{le="0.25"} 2',
      'evc_handler_duration_seconds_bucket{le="0.5"} 2',
      'evc_handler_duration_seconds_bucket{le="1"} 2',
      'evc_handler_duration_seconds_bucket{le="2.5"} 2',
      'evc_handler_duration_seconds_bucket{le="5"} 2',
      'evc_handler_duration_seconds_bucket{le="10"} 2',
      'evc_handler_duration_seconds_bucket{le="+Inf"} 2',
      'evc_handler_duration_seconds_sum 0.0023',
      'evc_handler_duration_seconds_count 2',
    ]);
  });

  it('registers into a shared registry with a prefix', async () => {
    const registry = new Registry();
    const a = createPrometheusMetrics({ registry, prefix: 'svc_a_' });
    a.published('x');
    expect(await registry.metrics()).toContain('svc_a_published_total{channel="x"} 1');
    expect(a.registry).toBe(registry);
    // prom-client and the core's own renderer write the same text.
    const own = createMetrics({ prefix: 'svc_a_' });
    own.published('x');
    own.consumer('x', 'g').handlerSeconds(0.002);
    a.consumer('x', 'g').handlerSeconds(0.002);
    expect(await own.text()).toBe(await registry.metrics());
  });
});
