import { describe, expect, it } from 'vitest';
import { sumMetric } from '../../../src/observability/prometheus.ts';

// Shaped like vLLM's /metrics: HELP/TYPE comments, one series per model and engine.
const VLLM_METRICS = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="default"} 3.0
vllm:num_requests_running{engine="1",model_name="default"} 2.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="default"} 7.0
vllm:num_requests_waiting{engine="1",model_name="default"} 0.0
vllm:num_requests_waiting_by_reason{reason="capacity"} 100.0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{model_name="default"} 1.2e+03
`;

describe('sumMetric', () => {
  it('sums every labelled series of a metric, ignoring longer names and comments', () => {
    expect(sumMetric(VLLM_METRICS, 'vllm:num_requests_waiting')).toBe(7);
    expect(sumMetric(VLLM_METRICS, 'vllm:num_requests_running')).toBe(5);
  });

  it('reads unlabelled series, timestamps and exponents', () => {
    const text = 'vllm:num_requests_waiting 4\nvllm:num_requests_waiting{a="b"} 2 1700000000000\n';
    expect(sumMetric(text, 'vllm:num_requests_waiting')).toBe(6);
    expect(sumMetric(VLLM_METRICS, 'vllm:prompt_tokens_total')).toBe(1200);
  });

  it('keeps label values holding braces, quotes and spaces apart from the value', () => {
    const text = 'm{path="/a}b",note="say \\"hi\\" } there"} 1.5\nm{x="y"}   2.5\n';
    expect(sumMetric(text, 'm')).toBe(4);
  });

  it('is undefined when the metric is absent, or only mentioned in comments', () => {
    expect(sumMetric(VLLM_METRICS, 'vllm:num_requests_swapped')).toBeUndefined();
    expect(sumMetric('# TYPE m gauge\n', 'm')).toBeUndefined();
    expect(sumMetric('', 'm')).toBeUndefined();
  });

  it('counts a zero-valued series as present', () => {
    expect(sumMetric('m 0\n', 'm')).toBe(0);
  });

  it('skips malformed samples without failing', () => {
    expect(sumMetric('m{a="1" 3\nm abc\nm 2\n', 'm')).toBe(2);
  });
});
