/** The Prometheus text writer: what a scraper reads. */
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, renderMetrics } from '../../../src/status/metrics.ts';

describe('Prometheus text', () => {
  it('writes help, type and one line per label set, escaping label values', () => {
    const jobs = new Counter('jobs_total', 'Jobs.\nAll of them.');
    jobs.inc({ task: 'a', outcome: 'result' });
    jobs.inc({ task: 'a', outcome: 'result' });
    jobs.inc({ task: 'say "hi"\\\n', outcome: 'error' }, 3);
    const depth = new Gauge('depth', 'Depth.');
    depth.set(7);
    expect(renderMetrics([jobs, depth])).toBe(
      [
        '# HELP jobs_total Jobs.\\nAll of them.',
        '# TYPE jobs_total counter',
        'jobs_total{task="a",outcome="result"} 2',
        'jobs_total{task="say \\"hi\\"\\\\\\n",outcome="error"} 3',
        '# HELP depth Depth.',
        '# TYPE depth gauge',
        'depth 7',
        '',
      ].join('\n'),
    );
  });

  it('keeps cumulative histogram buckets with +Inf, sum and count per label set', () => {
    const duration = new Histogram('took_seconds', 'Took.', [1, 0.5]);
    for (const value of [0.2, 0.7, 3]) duration.observe(value, { task: 't' });
    expect(renderMetrics([duration]).split('\n')).toEqual([
      '# HELP took_seconds Took.',
      '# TYPE took_seconds histogram',
      'took_seconds_bucket{task="t",le="0.5"} 1',
      'took_seconds_bucket{task="t",le="1"} 2',
      'took_seconds_bucket{task="t",le="+Inf"} 3',
      'took_seconds_sum{task="t"} 3.9',
      'took_seconds_count{task="t"} 3',
      '',
    ]);
  });

  it('forgets a gauge series on reset and lists a family with no samples by its header only', () => {
    const state = new Gauge('state', 'State.');
    state.set(1, { state: 'a' });
    state.reset();
    state.set(1, { state: 'b' });
    expect(renderMetrics([state, new Counter('none_total', 'None.')])).toBe(
      '# HELP state State.\n# TYPE state gauge\nstate{state="b"} 1\n# HELP none_total None.\n# TYPE none_total counter\n',
    );
  });
});
