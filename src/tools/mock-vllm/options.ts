/**
 * What a mock vLLM serves and how it misbehaves. The same options back the CLI flags of
 * `casola-worker mock-vllm serve` and in-process `startMockVllm`.
 */
import type { LineSink } from './vllm-log.ts';

export type MockVllmOptions = {
  /** The model argument of `vllm serve`; only printed. Default `mock-model`. */
  model?: string;
  /** The name every request must use (`--served-model-name`). Default: `model`. */
  servedModelName?: string;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /**
   * The API port; 0 picks a free one. Bound at start, listened on only once loading ends (as
   * vLLM): connections are refused meanwhile. Default 0.
   */
  port?: number;
  /**
   * The port of the /mock control routes, on `host`, listening from the start (the API port
   * answers them too once loaded); 0 picks a free one. Default 0.
   */
  controlPort?: number;
  /** Where the vLLM-style log lines go. Default: nowhere (the CLI passes stdout). */
  log?: LineSink;
  /** Skip the uvicorn access line per request (vLLM's `--disable-uvicorn-access-log`). Default false. */
  disableAccessLog?: boolean;
  /** Vector length of embeddings when the request names no `dimensions`. Default 32. */
  embeddingDimensions?: number;
  /**
   * Serve as vLLM-Omni (`vllm serve --omni`): plain vLLM's routes plus /v1/audio/speech and the
   * /v1/videos API. Default false (plain vLLM, which answers those with FastAPI's 404).
   */
  omni?: boolean;
  /** vLLM's `--api-key` (or VLLM_API_KEY): every /v1 route demands it as a bearer token. Default: none. */
  apiKey?: string;
  /** Extra `vllm serve` arguments the mock accepts and ignores; listed in a warning at start. */
  ignoredArgs?: readonly string[];

  /** Print this line verbatim, then exit with `exitCode` (e.g. `RuntimeError: CUDA out of memory`). Default: never. */
  failWithLine?: string;
  /** When `failWithLine` is printed, in ms after start. Default 0 (at once, during start-up). */
  failAfterMs?: number;
  /** Exit code of every exit the mock causes (`failWithLine`, `crashOnRequest`). Default 1. */
  exitCode?: number;
  /** Time spent "loading the model", in ms: the API port refuses connections until then (only the control port answers). Default 0. */
  startupDelayMs?: number;
  /** Start-up never completes: the API port refuses connections for ever (only the control port answers). Default false. */
  neverHealthy?: boolean;
  /** /health turns 503 this many ms after start-up completed. Default: never. */
  unhealthyAfterMs?: number;
  /** How long a health loss from `unhealthyAfterMs` lasts before /health is 200 again, in ms. Default: for ever. */
  unhealthyForMs?: number;
  /** Exit while the Nth inference request (1-based; /health, /metrics, /v1/models, /mock not counted) is in flight. Default: never. */
  crashOnRequest?: number;
  /** Delay before each inference answer, in ms. Default 0. */
  responseDelayMs?: number;
  /** Added to `vllm:num_requests_waiting`; also set at runtime by POST /mock/queue-depth. Default 0. */
  queueDepth?: number;
  /** Answer every request at once with a minimal valid body (no validation, no delay): the engine floor for benchmarks. Default false. */
  instant?: boolean;
  /** /v1/models answers 500 (the model list is unavailable while /health is fine). Default false. */
  modelsFail?: boolean;
};

/** Options without a default: absent means "never" or "nowhere". */
type Unset =
  | 'log'
  | 'failWithLine'
  | 'unhealthyAfterMs'
  | 'unhealthyForMs'
  | 'crashOnRequest'
  | 'apiKey';

export type ResolvedOptions = Required<Omit<MockVllmOptions, Unset>> & Pick<MockVllmOptions, Unset>;

export function resolveOptions(options: MockVllmOptions): ResolvedOptions {
  const model = options.model ?? 'mock-model';
  return {
    ...options,
    model,
    servedModelName: options.servedModelName ?? model,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    controlPort: options.controlPort ?? 0,
    disableAccessLog: options.disableAccessLog ?? false,
    embeddingDimensions: options.embeddingDimensions ?? 32,
    ignoredArgs: options.ignoredArgs ?? [],
    omni: options.omni ?? false,
    failAfterMs: options.failAfterMs ?? 0,
    exitCode: options.exitCode ?? 1,
    startupDelayMs: options.startupDelayMs ?? 0,
    neverHealthy: options.neverHealthy ?? false,
    responseDelayMs: options.responseDelayMs ?? 0,
    queueDepth: options.queueDepth ?? 0,
    instant: options.instant ?? false,
    modelsFail: options.modelsFail ?? false,
  };
}
