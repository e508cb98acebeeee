/**
 * The `backpressure` actor: reads vLLM's Prometheus text every interval and reports the sum of
 * `vllm:num_requests_waiting` over every series. The gate decides whether that means pause or
 * resume. An unreadable /metrics reports nothing, so it changes nothing.
 */
import { fromCallback } from 'xstate';
import { getText } from '../http/get-text.ts';
import { sumMetric } from '../observability/prometheus.ts';

export type BackpressureOptions = {
  /** vLLM's /metrics URL. */
  metricsUrl: string;
  /** CASOLA_BACKPRESSURE_CHECK_INTERVAL; 0 turns backpressure off. */
  intervalMs: number;
};

export function createBackpressureActor({ metricsUrl, intervalMs }: BackpressureOptions) {
  return fromCallback(({ sendBack }) => {
    if (intervalMs <= 0) return undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const answer = await getText(metricsUrl, Math.min(intervalMs, 5_000));
      if (stopped) return;
      const waiting = answer.ok ? sumMetric(answer.text, 'vllm:num_requests_waiting') : undefined;
      if (waiting !== undefined) sendBack({ type: 'BACKPRESSURE_READING', waiting });
      timer = setTimeout(tick, intervalMs);
    };
    timer = setTimeout(tick, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}
