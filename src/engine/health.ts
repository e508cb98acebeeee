/**
 * vLLM's HTTP readiness: wait for /health (start-up), check /v1/models, then watch /health
 * while serving. Each is an actor of the engine machine.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { fromCallback, fromPromise } from 'xstate';
import { getText } from '../http/get-text.ts';

export type HealthOptions = {
  /** http://VLLM_HOST:VLLM_PORT */
  baseUrl: string;
  /** The model name every request will send (VLLM_SERVED_MODEL_NAME): /v1/models must list it. */
  servedModelName: string;
  /** vLLM's `--api-key`, which /v1/models demands. Default: none sent. */
  apiKey?: string | undefined;
  /** Between /health probes during start-up. Default 2 000 ms (worker.md). */
  pollIntervalMs?: number;
  /** One probe's timeout. Default 2 000 ms. */
  probeTimeoutMs?: number;
  /** /v1/models timeout. Default 5 000 ms. */
  modelsTimeoutMs?: number;
  /** Between /health probes once ready. Default 5 000 ms. */
  watchIntervalMs?: number;
  /**
   * Told why a start-up probe failed, when the reason differs from the previous probe's: what
   * an operator needs when start-up times out (refused, HTTP 503, an invalid URL...).
   */
  onNotReady?: (reason: string) => void;
};

/** Waits `ms`, or less when `signal` aborts; leaves no listener on the signal behind. */
const sleep = (ms: number, signal: AbortSignal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/** The model ids of an OpenAI model list (`{data: [{id}]}`); none when it is not one. */
function servedModels(text: string): string[] {
  try {
    const list = JSON.parse(text) as { data?: Array<{ id?: unknown }> };
    return (list.data ?? []).flatMap((model) => (typeof model.id === 'string' ? [model.id] : []));
  } catch {
    return [];
  }
}

export function createHealthActors(options: HealthOptions) {
  const {
    baseUrl,
    pollIntervalMs = 2_000,
    probeTimeoutMs = 2_000,
    modelsTimeoutMs = 5_000,
    watchIntervalMs = 5_000,
  } = options;
  const probe = () => getText(`${baseUrl}/health`, probeTimeoutMs);

  /** Resolves once /health answers 200; the STARTUP_TIMEOUT of the machine bounds it. */
  const waitForHealth = fromPromise<void>(async ({ signal }) => {
    let said: string | undefined;
    while (!signal.aborted) {
      const answer = await probe();
      if (answer.ok) return;
      if (answer.reason !== said && !signal.aborted) options.onNotReady?.(answer.reason);
      said = answer.reason;
      await sleep(pollIntervalMs, signal);
    }
  });

  /** /v1/models answers 200 and lists the name the worker will send, else start-up fails. */
  const checkModels = fromPromise<void>(async () => {
    const answer = await getText(`${baseUrl}/v1/models`, modelsTimeoutMs, options.apiKey);
    if (!answer.ok) {
      const hint =
        answer.status === 401
          ? ' (vLLM demands a key: set VLLM_API_KEY or --api-key in VLLM_EXTRA_ARGS)'
          : '';
      throw new Error(`GET /v1/models: ${answer.reason}${hint}`);
    }
    const served = servedModels(answer.text);
    if (!served.includes(options.servedModelName)) {
      throw new Error(
        `vLLM serves ${served.map((name) => `'${name}'`).join(', ') || 'no model'}, not ` +
          `'${options.servedModelName}' (VLLM_SERVED_MODEL_NAME), which every request names: ` +
          'remove --served-model-name from VLLM_EXTRA_ARGS or set VLLM_SERVED_MODEL_NAME to the served name',
      );
    }
  });

  /**
   * Reports the first probe (HEALTH_REGAINED or HEALTH_LOST), then every change. The first
   * reading is always sent: a watch started in `unhealthy` must report a server that came back
   * before its first probe; in `ready` the machine ignores it.
   */
  const watchHealth = fromCallback(({ sendBack }) => {
    let healthy: boolean | undefined;
    let stopped = false;
    const tick = async () => {
      const answer = await probe();
      if (stopped) return;
      if (healthy !== false && !answer.ok) sendBack({ type: 'HEALTH_LOST', reason: answer.reason });
      if (healthy !== true && answer.ok) sendBack({ type: 'HEALTH_REGAINED' });
      healthy = answer.ok;
      timer = setTimeout(tick, watchIntervalMs);
    };
    let timer = setTimeout(tick, watchIntervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });

  return { waitForHealth, checkModels, watchHealth };
}
