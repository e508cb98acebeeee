/**
 * A tiny Prometheus text writer (exposition format 0.0.4): counters, gauges and histograms with
 * labels, nothing else. The status server keeps a few of these and renders them on /metrics.
 */

export type Labels = Readonly<Record<string, string>>;

type Sample = { labels: Labels; value: number };

/** Help text, type and samples of one metric family, in the order they were first touched. */
abstract class Family {
  readonly name: string;
  readonly help: string;
  protected readonly series = new Map<string, Sample>();

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  protected sample(labels: Labels): Sample {
    const key = labelText(labels);
    let sample = this.series.get(key);
    if (sample === undefined) {
      sample = { labels, value: 0 };
      this.series.set(key, sample);
    }
    return sample;
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  protected abstract lines(): string[];

  render(): string {
    const header = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    return [...header, ...this.lines()].join('\n');
  }
}

/** Only goes up. Names end in `_total` by convention. */
export class Counter extends Family {
  readonly type = 'counter';

  inc(labels: Labels = {}, by = 1): void {
    this.sample(labels).value += by;
  }

  /** For a total kept elsewhere (a machine's context) and read at scrape time. */
  set(total: number, labels: Labels = {}): void {
    this.sample(labels).value = total;
  }

  protected lines(): string[] {
    return [...this.series.values()].map((s) => sampleLine(this.name, s.labels, s.value));
  }
}

/** A value read at scrape time; `set` replaces, `reset` forgets every series. */
export class Gauge extends Family {
  readonly type = 'gauge';

  set(value: number, labels: Labels = {}): void {
    this.sample(labels).value = value;
  }

  reset(): void {
    this.series.clear();
  }

  protected lines(): string[] {
    return [...this.series.values()].map((s) => sampleLine(this.name, s.labels, s.value));
  }
}

type HistogramSeries = { labels: Labels; counts: number[]; sum: number; count: number };

/** Cumulative buckets (`le`), plus `_sum` and `_count`, per label set. */
export class Histogram extends Family {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  /** `buckets`: upper bounds in increasing order; `+Inf` is added. */
  constructor(name: string, help: string, buckets: readonly number[]) {
    super(name, help);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    this.buckets.forEach((bound, index) => {
      if (value <= bound) series.counts[index]! += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  protected lines(): string[] {
    return [...this.#series.values()].flatMap(({ labels, counts, sum, count }) => [
      ...this.buckets.map((bound, index) =>
        sampleLine(`${this.name}_bucket`, { ...labels, le: String(bound) }, counts[index]!),
      ),
      sampleLine(`${this.name}_bucket`, { ...labels, le: '+Inf' }, count),
      sampleLine(`${this.name}_sum`, labels, sum),
      sampleLine(`${this.name}_count`, labels, count),
    ]);
  }
}

/** The exposition text of several families, ending in a newline as the format requires. */
export function renderMetrics(families: readonly Family[]): string {
  return `${families.map((family) => family.render()).join('\n')}\n`;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function sampleLine(name: string, labels: Labels, value: number): string {
  return `${name}${labelText(labels)} ${formatValue(value)}`;
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
