/**
 * GET /metrics in the Prometheus text format, with the series and labels a real vLLM prints
 * for the numbers the worker reads (vllm/v1/metrics/loggers.py; sources and commits in
 * test/fixtures/vllm/metrics.json): every series labelled `{engine, model_name}` (labels
 * sorted, as prometheus_client prints them), `vllm:request_success_total` also by
 * `finished_reason`, and the waiting requests split `_by_reason` as vLLM releases after
 * 0.11 print it: a series of its own that must not be summed with `vllm:num_requests_waiting`.
 */

export type MetricsSnapshot = {
  model: string;
  running: number;
  waiting: number;
  /** Inference requests answered with a 2xx. */
  succeeded: number;
};

/** Prometheus client for Python prints floats: `3.0`. */
function float(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** `# HELP`, `# TYPE` and one line per labelled sample. */
function family(name: string, type: string, help: string, samples: [string, number][]): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...samples.map(([labels, value]) => `${name}{${labels}} ${float(value)}`),
  ];
}

export function prometheusText(snapshot: MetricsSnapshot): string {
  const engine = 'engine="0"';
  const model = `model_name="${snapshot.model.replaceAll('"', '\\"')}"`;
  const labels = `${engine},${model}`;
  const lines = [
    ...family(
      'vllm:num_requests_running',
      'gauge',
      'Number of requests in model execution batches.',
      [[labels, snapshot.running]],
    ),
    ...family('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', [
      [labels, snapshot.waiting],
    ]),
    ...family(
      'vllm:num_requests_waiting_by_reason',
      'gauge',
      "Number of waiting requests by reason. Reason labels: 'capacity' = waiting for scheduling capacity; 'deferred' = deferred by transient constraints (LoRA budget, KV transfer, blocked status). Sum of all reasons equals vllm:num_requests_waiting.",
      [
        [`${labels},reason="capacity"`, snapshot.waiting],
        [`${labels},reason="deferred"`, 0],
      ],
    ),
    ...family('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', [
      [labels, 0],
    ]),
    ...family(
      'vllm:request_success_total',
      'counter',
      'Count of successfully processed requests.',
      [
        [`${engine},finished_reason="stop",${model}`, snapshot.succeeded],
        [`${engine},finished_reason="length",${model}`, 0],
        [`${engine},finished_reason="abort",${model}`, 0],
      ],
    ),
  ];
  return `${lines.join('\n')}\n`;
}
