/**
 * Counters and histograms kept as plain numbers per label set and handed to prom-client
 * only when the registry is scraped. prom-client's own `inc`/`observe` validate and hash
 * the labels on every call; on the consume path that cost more than the handler.
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

interface CustomMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: MetricValue[] }>;
  reset(): void;
}

export interface CounterSeries {
  value: number;
}

export class LocalCounter {
  private readonly series = new Map<string, { labels: Labels; s: CounterSeries }>();

  constructor(registry: Registry, name: string, help: string) {
    const metric: CustomMetric = {
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({
        name,
        help,
        type: 'counter',
        aggregator: 'sum',
        values: [...this.series.values()].map(({ labels, s }) => ({ labels, value: s.value })),
      }),
      reset: () => this.series.clear(),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series for these labels, created at zero. Hold on to it and add to `.value`. */
  bind(labels: Labels): CounterSeries {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels, s: { value: 0 } }));
    return entry.s;
  }
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class LocalHistogram {
  private readonly series = new Map<string, { labels: Labels; s: HistogramSeries }>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    const metric: CustomMetric = {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: this.values(name) }),
      reset: () => this.series.clear(),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  bind(labels: Labels): HistogramSeries {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels, s: new HistogramSeries(this.bounds) }));
    return entry.s;
  }

  private values(name: string): MetricValue[] {
    const out: MetricValue[] = [];
    for (const { labels, s } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        out.push({ labels: { le: String(le), ...labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      out.push({ labels: { le: '+Inf', ...labels }, value: s.count, metricName: `${name}_bucket` });
      out.push({ labels, value: s.sum, metricName: `${name}_sum` });
      out.push({ labels, value: s.count, metricName: `${name}_count` });
    }
    return out;
  }
}
