/**
 * The runtime's metrics, one set per client unless one is passed in. The pipeline binds
 * its series per (channel, group) once and then only adds numbers; `text()` renders them
 * in the Prometheus text format with no metrics library. To expose them through a
 * prom-client Registry, use `createPrometheusMetrics` from `@event-contracts/runtime/prometheus`.
 */
import { LocalCounter, LocalHistogram, prometheusText, type Collector, type CounterSeries, type HistogramSeries } from './metric-series.js';

export interface ConsumerInstruments {
  consumed(): void;
  failed(): void;
  deadLettered(reason: 'decode' | 'validation' | 'handler'): void;
  duplicate(): void;
  /** Seconds spent in the handler (all attempts). */
  handlerSeconds(seconds: number): void;
  /** Seconds from publish to the handler's start. */
  endToEndSeconds(seconds: number): void;
}

export interface Metrics {
  /** The metric families, for exporters (the prom-client bridge reads these). */
  readonly collectors: readonly Collector[];
  published(channel: string, count?: number): void;
  consumer(channel: string, group: string): ConsumerInstruments;
  /** Every series in the Prometheus text exposition format (version 0.0.4). */
  text(): Promise<string>;
}

export interface MetricsOptions {
  /** Metric name prefix. Default `evc_`. */
  prefix?: string;
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Metric names (with the default prefix): `evc_published_total{channel}`,
 * `evc_consumed_total`, `evc_failed_total`, `evc_dead_lettered_total{…,reason}`,
 * `evc_duplicates_total` (all `{channel,group}`), and histograms
 * `evc_handler_duration_seconds`, `evc_publish_to_handle_seconds`.
 *
 * @example
 * const metrics = createMetrics();
 * const client = createClient(system, { metrics });
 * http.get('/metrics', async () => metrics.text());
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const p = options.prefix ?? 'evc_';
  const published = new LocalCounter(`${p}published_total`, 'Events published');
  const consumed = new LocalCounter(`${p}consumed_total`, 'Events handled successfully');
  const failed = new LocalCounter(`${p}failed_total`, 'Failed handler attempts');
  const dead = new LocalCounter(`${p}dead_lettered_total`, 'Events sent to the dead-letter channel');
  const dupes = new LocalCounter(`${p}duplicates_total`, 'Duplicate deliveries acknowledged without calling the handler');
  const handler = new LocalHistogram(`${p}handler_duration_seconds`, 'Handler duration, all attempts', LATENCY_BUCKETS);
  const e2e = new LocalHistogram(`${p}publish_to_handle_seconds`, 'Time from publish to the start of the handler', LATENCY_BUCKETS);
  const collectors: readonly Collector[] = [published, consumed, failed, dead, dupes, handler, e2e];

  const publishedByChannel = new Map<string, CounterSeries>();
  return {
    collectors,
    published(channel, count = 1) {
      let series = publishedByChannel.get(channel);
      if (!series) publishedByChannel.set(channel, (series = published.bind({ channel })));
      series.value += count;
    },
    consumer(channel, group) {
      // Series are bound on first use, so a scrape shows only what happened.
      const labels = { channel, group };
      let c: CounterSeries | undefined;
      let f: CounterSeries | undefined;
      let d: CounterSeries | undefined;
      let h: HistogramSeries | undefined;
      let e: HistogramSeries | undefined;
      return {
        consumed: () => void ((c ??= consumed.bind(labels)).value += 1),
        failed: () => void ((f ??= failed.bind(labels)).value += 1),
        deadLettered: (reason) => void (dead.bind({ ...labels, reason }).value += 1),
        duplicate: () => void ((d ??= dupes.bind(labels)).value += 1),
        handlerSeconds: (s) => (h ??= handler.bind(labels)).observe(s),
        endToEndSeconds: (s) => (e ??= e2e.bind(labels)).observe(s),
      };
    },
    text: async () => prometheusText(collectors),
  };
}
