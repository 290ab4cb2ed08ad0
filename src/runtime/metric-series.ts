/**
 * Counters and histograms kept as plain numbers per label set and read only when they are
 * scraped. The core renders them in the Prometheus text format itself, so a service needs
 * no metrics library; `@event-contracts/runtime/prometheus` hands the same series to a
 * prom-client Registry. (prom-client's own `inc`/`observe` validate and hash the labels on
 * every call; on the consume path that cost more than the handler.)
 */

export type Labels = Record<string, string>;

/** One sample, in the shape prom-client's custom metrics return. */
export interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** A metric family: what a scrape reads. */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram' | 'gauge';
  values(): MetricValue[];
  reset(): void;
}

export interface CounterSeries {
  value: number;
}

export class LocalCounter implements Collector {
  readonly type = 'counter' as const;
  private readonly series = new Map<string, { labels: Labels; s: CounterSeries }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series for these labels, created at zero. Hold on to it and add to `.value`. */
  bind(labels: Labels): CounterSeries {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels, s: { value: 0 } }));
    return entry.s;
  }

  values(): MetricValue[] {
    return [...this.series.values()].map(({ labels, s }) => ({ labels, value: s.value }));
  }

  reset(): void {
    this.series.clear();
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

export class LocalHistogram implements Collector {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, { labels: Labels; s: HistogramSeries }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  bind(labels: Labels): HistogramSeries {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels, s: new HistogramSeries(this.bounds) }));
    return entry.s;
  }

  values(): MetricValue[] {
    const out: MetricValue[] = [];
    const name = this.name;
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

  reset(): void {
    this.series.clear();
  }
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Metric families in the Prometheus text exposition format (version 0.0.4). */
export function prometheusText(collectors: readonly Collector[]): string {
  // Families are separated by an empty line, as prom-client writes them.
  return collectors
    .map((c) => {
      let out = `# HELP ${c.name} ${escapeHelp(c.help)}\n# TYPE ${c.name} ${c.type}\n`;
      for (const v of c.values()) {
        const labels = Object.entries(v.labels);
        const l = labels.length === 0 ? '' : `{${labels.map(([k, x]) => `${k}="${escapeLabel(x)}"`).join(',')}}`;
        out += `${v.metricName ?? c.name}${l} ${formatValue(v.value)}\n`;
      }
      return out;
    })
    .join('\n');
}
