/**
 * `@event-contracts/runtime/prometheus`: the runtime's metrics registered into a
 * prom-client Registry (prom-client is an optional peer dependency: `npm install prom-client`).
 *
 * @example
 * import { createPrometheusMetrics } from '@event-contracts/runtime/prometheus';
 * const metrics = createPrometheusMetrics({ registry }); // your Registry, or a new one
 * const sdk = createSkillsPlatformClient({ transport, metrics });
 * http.get('/metrics', async () => metrics.registry.metrics());
 */
import type { Registry } from 'prom-client';
import { createMetrics, type Metrics, type MetricsOptions } from './metrics.js';
import { requirePeer } from './peer.js';

export interface PrometheusMetricsOptions extends MetricsOptions {
  /** Register into this registry instead of a new one. */
  registry?: Registry;
}

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
}

type PromClient = typeof import('prom-client');

export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new (requirePeer<PromClient>('prom-client', '@event-contracts/runtime/prometheus').Registry)();
  const metrics = createMetrics(options.prefix !== undefined ? { prefix: options.prefix } : {});
  for (const c of metrics.collectors) {
    const metric = {
      name: c.name,
      help: c.help,
      type: c.type,
      aggregator: 'sum' as const,
      get: async () => ({ name: c.name, help: c.help, type: c.type, aggregator: 'sum' as const, values: c.values() }),
      reset: () => c.reset(),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
  return { ...metrics, registry, text: () => registry.metrics() };
}
