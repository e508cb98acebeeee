/**
 * GET /metrics in the Prometheus text format, with the series and labels a real vLLM prints
 * for the numbers the worker reads (vllm/v1/metrics/loggers.py; sources and commits in
 * test/fixtures/vllm/metrics.json): every series labelled `{engine, model_name}` (labels
 * sorted, as prometheus_client prints them), `vllm:request_success_total` also by
 * `finished_reason`, and the waiting requests split `_by_reason` as vLLM releases after
 * 0.11 print it: a series of its own that must not be summed with `vllm:num_requests_waiting`.
 * One prom-client registry per mock, read from its state at scrape time; no process metrics,
 * since vLLM's exposition is the contract here.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { MockState } from './state.ts';

const registries = new WeakMap<MockState, Registry>();

/** The exposition text of `state` now, as vLLM's prometheus_client (Python) prints it. */
export async function prometheusText(state: MockState): Promise<string> {
  let registry = registries.get(state);
  if (registry === undefined) {
    registry = vllmRegistry(state);
    registries.set(state, registry);
  }
  return pythonStyle(await registry.metrics());
}

/**
 * prom-client separates families by a blank line and prints whole numbers bare; Python's
 * client does neither (`3.0`), and clients of the mock may compare the text byte for byte.
 */
function pythonStyle(text: string): string {
  return text.replaceAll('\n\n', '\n').replace(/^([^#].* -?\d+)$/gm, '$1.0');
}

function vllmRegistry(state: MockState): Registry {
  const registers = [new Registry()];
  // Label objects in sorted key order: prom-client prints them as given.
  const labels = () => ({ engine: '0', model_name: state.options.servedModelName });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['engine', 'model_name'],
      registers,
      collect() {
        this.reset();
        this.set(labels(), read());
      },
    });
  gauge(
    'vllm:num_requests_running',
    'Number of requests in model execution batches.',
    () => state.running,
  );
  gauge(
    'vllm:num_requests_waiting',
    'Number of requests waiting to be processed.',
    () => state.queueDepth,
  );
  new Gauge({
    name: 'vllm:num_requests_waiting_by_reason',
    help: "Number of waiting requests by reason. Reason labels: 'capacity' = waiting for scheduling capacity; 'deferred' = deferred by transient constraints (LoRA budget, KV transfer, blocked status). Sum of all reasons equals vllm:num_requests_waiting.",
    labelNames: ['engine', 'model_name', 'reason'],
    registers,
    collect() {
      this.reset();
      this.set({ ...labels(), reason: 'capacity' }, state.queueDepth);
      this.set({ ...labels(), reason: 'deferred' }, 0);
    },
  });
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', () => 0);
  new Counter({
    name: 'vllm:request_success_total',
    help: 'Count of successfully processed requests.',
    labelNames: ['engine', 'finished_reason', 'model_name'],
    registers,
    collect() {
      this.reset();
      const { engine, model_name } = labels();
      this.inc({ engine, finished_reason: 'stop', model_name }, state.succeeded);
      this.inc({ engine, finished_reason: 'length', model_name }, 0);
      this.inc({ engine, finished_reason: 'abort', model_name }, 0);
    },
  });
  return registers[0]!;
}
