/**
 * GET /metrics in the Prometheus text format, with the series and labels a real vLLM prints
 * for the numbers the worker reads (vllm/v1/metrics/loggers.py, vLLM 0.11.0): every series
 * labelled `{engine, model_name}`, and the waiting requests also split `_by_reason`, a series
 * of its own that must not be summed with `vllm:num_requests_waiting`.
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

export function prometheusText(snapshot: MetricsSnapshot): string {
  const labels = `engine="0",model_name="${snapshot.model.replaceAll('"', '\\"')}"`;
  const label = `{${labels}}`;
  const series: [name: string, type: string, help: string, value: number][] = [
    [
      'vllm:num_requests_running',
      'gauge',
      'Number of requests in model execution batches.',
      snapshot.running,
    ],
    [
      'vllm:num_requests_waiting',
      'gauge',
      'Number of requests waiting to be processed.',
      snapshot.waiting,
    ],
    ['vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', 0],
    [
      'vllm:request_success_total',
      'counter',
      'Count of successfully processed requests.',
      snapshot.succeeded,
    ],
  ];
  const lines = series.flatMap(([name, type, help, value]) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    `${name}${label} ${float(value)}`,
  ]);
  const byReason = 'vllm:num_requests_waiting_by_reason';
  lines.push(
    `# HELP ${byReason} Number of requests waiting to be processed, by reason.`,
    `# TYPE ${byReason} gauge`,
    `${byReason}{${labels},reason="capacity"} ${float(snapshot.waiting)}`,
    `${byReason}{${labels},reason="deferred"} 0.0`,
  );
  return `${lines.join('\n')}\n`;
}
