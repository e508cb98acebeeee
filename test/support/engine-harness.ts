/**
 * The real engine actor (createEngineLogic) under a parent that records what it reports, with
 * vLLM a real child process (by default the mock, `node src/cli.ts mock-vllm`) on a port found
 * free just before (the mock's control port too), short intervals, and captured logs.
 */
import {
  type AnyActorRef,
  type AnyEventObject,
  assign,
  createActor,
  type InspectionEvent,
  setup,
  waitFor,
} from 'xstate';
import type { EngineNotice } from '../../machines/engine.machine.ts';
import { createEngineLogic, type EngineOptions } from '../../src/engine/index.ts';
import { httpBase } from '../../src/net/http-base.ts';
import type { NvidiaSmiRunner } from '../../src/observability/nvidia-smi.ts';
import { mockServeCommand } from '../../src/tools/mock-vllm/serve-command.ts';
import { freePort } from './free-port.ts';
import { type CapturedLogs, captureLogs } from './log-capture.ts';

/** VLLM_SERVE_COMMAND for the mock vLLM, quoted as a person would write it. */
export const MOCK_SERVE_COMMAND = mockServeCommand();

/** nvidia-smi is not installed: the GPU check is skipped. */
export const noNvidiaSmi: NvidiaSmiRunner = async () => ({ absent: true });

/** Long enough for a slow CI host to start Node, short enough to keep each file in seconds. */
const WAIT_MS = 20_000;

export type EngineHarnessOptions = {
  /** VLLM_EXTRA_ARGS, already split: the mock's failure options. Default none. */
  extraArgs?: string[];
  /** Default: the mock vLLM. */
  serveCommand?: string;
  /** Where vLLM listens (VLLM_HOST). Default 127.0.0.1. */
  host?: string;
  /** Default: a port found free now. */
  port?: number;
  /** Default: 20 s (tests that time out set it short). */
  startupTimeoutMs?: number;
  /** Default: 2 s. */
  killGraceMs?: number;
  /** Default: nvidia-smi absent. */
  gpu?: EngineOptions['gpu'];
  /** Default: probes every 20 ms. */
  health?: EngineOptions['health'];
  /** Sees every actor of the system (the parent, the engine, its children). Default none. */
  inspect?: (event: InspectionEvent) => void;
};

export type EngineHarness = {
  logs: CapturedLogs;
  port: number;
  url: string;
  /** The mock's /mock routes (`--control-port`), answering while vLLM loads; undefined for another serveCommand. */
  controlUrl: string | undefined;
  /** Everything the engine told its parent, in order. */
  notices(): EngineNotice[];
  /** Resolves with the first notice of this type (past or future). */
  next<T extends EngineNotice['type']>(type: T): Promise<Extract<EngineNotice, { type: T }>>;
  /** The engine's state value. */
  state(): unknown;
  /** Resolves once the engine is in this state (e.g. `{ running: 'ready' }`). */
  reaches(state: string | Record<string, unknown>): Promise<void>;
  /** The engine's context (pid, phases, failure). */
  context(): ReturnType<AnyActorRef['getSnapshot']>['context'];
  send(event: AnyEventObject): void;
  /** STOP, then waits for ENGINE_STOPPED. */
  stop(): Promise<void>;
  /** Stops the engine if it still runs, then the parent; for afterEach. */
  close(): Promise<void>;
  /** Stops the parent at once, without STOP: the engine's process actor SIGKILLs vLLM. */
  halt(): void;
};

/** The mock's `--control-port` and its URL, when vLLM is the mock. */
async function mockControl(options: EngineHarnessOptions) {
  if (options.serveCommand !== undefined) return { args: [], url: undefined };
  const port = await freePort();
  const url = httpBase(options.host ?? '127.0.0.1', port);
  return { args: ['--control-port', String(port)], url };
}

export async function startEngine(options: EngineHarnessOptions = {}): Promise<EngineHarness> {
  const port = options.port ?? (await freePort());
  const control = await mockControl(options);
  const logs = captureLogs();
  const engine = createEngineLogic({
    settings: {
      serveCommand: options.serveCommand ?? MOCK_SERVE_COMMAND,
      model: 'test/model',
      host: options.host ?? '127.0.0.1',
      port,
      servedModelName: 'served-model',
      extraArgs: [...(options.extraArgs ?? []), ...control.args],
    },
    logger: logs.logger,
    killGraceMs: options.killGraceMs ?? 2_000,
    gpu: options.gpu ?? { runner: noNvidiaSmi },
    health: options.health ?? {
      pollIntervalMs: 20,
      probeTimeoutMs: 1_000,
      modelsTimeoutMs: 1_000,
      watchIntervalMs: 20,
    },
  });
  const parent = setup({
    types: { context: {} as { notices: EngineNotice[] } },
    actors: { engine },
  }).createMachine({
    context: { notices: [] },
    invoke: {
      id: 'engine',
      systemId: 'engine',
      src: 'engine',
      input: { startupTimeoutMs: options.startupTimeoutMs ?? WAIT_MS },
    },
    on: {
      '*': {
        guard: ({ event }) => event.type.startsWith('ENGINE_'),
        actions: assign({
          notices: ({ context, event }) => [...context.notices, event as EngineNotice],
        }),
      },
    },
  });
  const actor = createActor(parent, { inspect: options.inspect }).start();
  const ref = actor.system.get('engine') as AnyActorRef;
  const notices = () => actor.getSnapshot().context.notices;
  const next = async <T extends EngineNotice['type']>(type: T) => {
    const snapshot = await waitFor(actor, (s) => s.context.notices.some((n) => n.type === type), {
      timeout: WAIT_MS,
    }).catch((error: unknown) => {
      const seen = notices().map((n) => n.type);
      throw new Error(`no ${type} (got ${seen.join(', ') || 'nothing'}): ${String(error)}`);
    });
    return snapshot.context.notices.find((n) => n.type === type) as Extract<
      EngineNotice,
      { type: T }
    >;
  };
  const stop = async () => {
    ref.send({ type: 'STOP' });
    await next('ENGINE_STOPPED');
  };
  return {
    logs,
    port,
    url: httpBase(options.host ?? '127.0.0.1', port),
    controlUrl: control.url,
    notices,
    next,
    state: () => ref.getSnapshot().value,
    reaches: async (state) => {
      await waitFor(ref, (snapshot) => snapshot.matches(state), { timeout: WAIT_MS });
    },
    context: () => ref.getSnapshot().context,
    send: (event) => ref.send(event),
    stop,
    close: async () => {
      if (ref.getSnapshot().status === 'active') await stop().catch(() => undefined);
      actor.stop();
    },
    halt: () => actor.stop(),
  };
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
