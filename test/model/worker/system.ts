/**
 * The real system a worker walk drives: the vLLM worker (`startVllmWorker`) in process, with
 * the real engine on the mock vLLM as a child process (VLLM_SERVE_COMMAND), connected to a local
 * queue, its heartbeats, logs and metrics going to an HTTP sink. The configuration comes from the
 * environment as in production (`loadConfig`), with short timers. vLLM loads "for ever" until
 * the walk tells it start-up is done, and holds every inference request until the walk tells it
 * to answer; nvidia-smi is not installed (the GPU check is skipped).
 */
import type { InspectionEvent } from 'xstate';
import { loadConfig } from '../../../src/config.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import type { WorkerFrame } from '../../../src/protocol/index.ts';
import { eventIs, type LocalQueue, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { startVllmWorker, type VllmWorker } from '../../../src/worker/vllm-worker.ts';
import { MOCK_SERVE_COMMAND, noNvidiaSmi } from '../../support/engine-harness.ts';
import { freePort } from '../../support/free-port.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';
import { HandledEvents } from '../handled.ts';

export const WORKER_ID = 'w-model';
export const HEARTBEATS = '/api/heartbeats';
export const TELEMETRY = ['/logs', '/metrics'];

/** A line vLLM prints when the host's driver is too old (a fatal pattern of worker.md). */
export const FATAL_LINE =
  'RuntimeError: CUDA driver version is insufficient for CUDA runtime version';

/** How the walk needs the system set up (decided from its events before it starts). */
export type Setup = {
  /** CASOLA_HEARTBEAT_INTERVAL in seconds. */
  heartbeatS: number;
  /** CASOLA_SHUTDOWN_GRACE_PERIOD in seconds. */
  graceS: number;
  /** CASOLA_BACKPRESSURE_CHECK_INTERVAL in seconds (0: off). */
  backpressureS: number;
  /** Between /health probes once vLLM is ready, in ms. */
  healthWatchMs: number;
  /** VLLM_UNHEALTHY_TIMEOUT in seconds. */
  unhealthyS: number;
};

/** What the mock says of itself: requests in flight (`running`) and received so far. */
type VllmState = { phase: string; running: number; inference_requests: number };

export class WorkerSystem {
  readonly queue: LocalQueue;
  readonly sink: HttpSink;
  readonly vllmUrl: string;
  /** The mock vLLM's /mock routes (`--control-port`), answering while it loads too. */
  readonly vllmControlUrl: string;
  readonly worker: VllmWorker;
  /** What the root actor did, event by event. */
  readonly trace = new HandledEvents('worker');
  /** The worker's and vLLM's log lines (JSON), as the worker writes them to stdout. */
  readonly logs: string[] = [];
  /** The vLLM process's pid, as the engine recorded it when it spawned the process. */
  vllmPid: number | undefined;

  readonly #inspectAlso: (event: InspectionEvent) => void;
  /** Whether the walk (and its coverage) still sees what the worker does. */
  #watching = true;

  private constructor(
    queue: LocalQueue,
    sink: HttpSink,
    [port, controlPort]: [number, number],
    walkSetup: Setup,
    inspect: (event: InspectionEvent) => void,
  ) {
    this.#inspectAlso = inspect;
    this.queue = queue;
    this.sink = sink;
    this.vllmUrl = `http://127.0.0.1:${port}`;
    this.vllmControlUrl = `http://127.0.0.1:${controlPort}`;
    const config = configFor(queue, sink, [port, controlPort], walkSetup);
    this.worker = startVllmWorker({
      config,
      env: {},
      stdoutLogger: silentLogger(),
      logDestination: { write: (line: string) => void this.logs.push(line) },
      nvidiaSmi: noNvidiaSmi,
      timings: { reconnectDelayMs: () => 20 },
      engine: {
        killGraceMs: 500,
        health: {
          pollIntervalMs: 20,
          probeTimeoutMs: 1_000,
          modelsTimeoutMs: 1_000,
          watchIntervalMs: walkSetup.healthWatchMs,
        },
      },
      inspect: (event) => this.#inspect(event),
    });
  }

  static async start(walkSetup: Setup, inspect: (event: InspectionEvent) => void) {
    const queue = await startLocalQueue();
    const sink = await startHttpSink();
    for (const path of TELEMETRY) sink.respond(path, { hang: true });
    const ports: [number, number] = [await freePort(), await freePort()];
    return new WorkerSystem(queue, sink, ports, walkSetup, inspect);
  }

  #inspect(event: InspectionEvent): void {
    if (!this.#watching) return;
    this.#inspectAlso(event);
    this.trace.inspect(event);
    const { id } = event.actorRef as { id?: string };
    if (event.type === '@xstate.snapshot' && id === 'engine') {
      this.vllmPid ??= (event.snapshot as { context?: { pid?: number } }).context?.pid;
    }
  }

  /** The statuses of the heartbeats the platform API received, in order. */
  heartbeats(): { status: string; error_message?: string }[] {
    return this.sink.requestsTo(HEARTBEATS).map((r) => r.body as { status: string });
  }

  /** Frames the queue received from the worker, of one type. */
  framesIn<T extends WorkerFrame['type']>(type: T): Extract<WorkerFrame, { type: T }>[] {
    return this.queue.events
      .filter(eventIs('frame_in', (e) => e.frame.type === type))
      .map((e) => e.frame as Extract<WorkerFrame, { type: T }>);
  }

  registrations(): number {
    return this.queue.events.filter(eventIs('worker_registered')).length;
  }

  /** The mock vLLM's own account (GET /mock/state); undefined when it does not answer. */
  async vllm(): Promise<VllmState | undefined> {
    try {
      return (await (await fetch(`${this.vllmControlUrl}/mock/state`)).json()) as VllmState;
    } catch {
      return undefined;
    }
  }

  /** POSTs to a control endpoint of the mock vLLM, once its control port listens (it may still be spawning). */
  async controlVllm(path: string, body: unknown = {}): Promise<void> {
    const post = () =>
      fetch(`${this.vllmControlUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).catch(() => undefined);
    let response: Response | undefined;
    await this.eventually(async () => {
      response = await post();
      return response !== undefined;
    }, `vLLM to listen for POST ${path}`);
    if (!response?.ok)
      throw new Error(`POST ${path}: ${response?.status} ${await response?.text()}`);
  }

  logged(text: string): boolean {
    return this.logs.some((line) => line.includes(text));
  }

  /** Polls `condition` until it holds; fails the walk after 10 s, naming what was awaited. */
  async eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`waited in vain for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Shuts the worker down the way it goes down in production (two signals: no waiting for
   * jobs; the sink answers whatever it held), so that vLLM, the connection and the telemetry
   * timers all stop; what it does meanwhile is not part of the walk (`inspect` no longer sees
   * it). Then closes the queue and the sink.
   */
  async close(): Promise<void> {
    this.#watching = false;
    for (const path of [...TELEMETRY, HEARTBEATS]) this.sink.release(path);
    const { actor } = this.worker;
    const running = () => actor.getSnapshot().status === 'active';
    try {
      if (running()) {
        this.worker.shutdown('SIGTERM');
        this.worker.shutdown('SIGINT');
        await this.eventually(() => !running(), 'the worker to exit');
      }
    } finally {
      if (running()) actor.stop();
      await this.sink.close();
      await this.queue.close();
    }
  }
}

function configFor(
  queue: LocalQueue,
  sink: HttpSink,
  [port, controlPort]: [number, number],
  walkSetup: Setup,
) {
  const extraArgs = ['--startup-delay-ms', '600000', '--response-delay-ms', '600000'];
  extraArgs.push('--control-port', String(controlPort));
  const loaded = loadConfig({
    CASOLA_WS_URL: queue.wsUrl,
    CASOLA_CONFIG_ID: 'cfg',
    CASOLA_INSTANCE_ID: WORKER_ID,
    CASOLA_API_URL: sink.url,
    CASOLA_API_TOKEN: 'tok-model-walks',
    CASOLA_CAPACITY: '1',
    CASOLA_HEARTBEAT_INTERVAL: String(walkSetup.heartbeatS),
    CASOLA_SHUTDOWN_GRACE_PERIOD: String(walkSetup.graceS),
    CASOLA_BACKPRESSURE_CHECK_INTERVAL: String(walkSetup.backpressureS),
    CASOLA_LOGS_URL: `${sink.url}/logs`,
    CASOLA_LOG_FLUSH_INTERVAL: '3600',
    CASOLA_METRICS_URL: `${sink.url}/metrics`,
    VLLM_MODEL: 'test/model',
    VLLM_PORT: String(port),
    VLLM_SERVED_MODEL_NAME: 'served-model',
    VLLM_SERVE_COMMAND: MOCK_SERVE_COMMAND,
    // vLLM-Omni's surface: plain vLLM's plus speech and video, so every task runs.
    VLLM_OMNI: 'true',
    VLLM_EXTRA_ARGS: [...extraArgs, '--disable-uvicorn-access-log'].join(' '),
    VLLM_STARTUP_TIMEOUT: '20',
    VLLM_UNHEALTHY_TIMEOUT: String(walkSetup.unhealthyS),
  });
  if (!loaded.ok) throw loaded.error;
  return loaded.config;
}
