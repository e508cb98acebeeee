/**
 * The engine: vLLM's lifecycle. GPU check, spawn, wait for /health, check /v1/models, then
 * ready ⇄ unhealthy until a failure (each cause its own state) or a stop (SIGTERM, then
 * SIGKILL after KILL_GRACE).
 *
 * The process is the `vllm` actor (src/engine/process.ts): it spawns `$VLLM_SERVE_COMMAND
 * serve ...`, logs every line, classifies it, and reports PROCESS_* events; it accepts TERMINATE
 * and KILL. Health is watched by the `watchHealth` actor (HEALTH_LOST / HEALTH_REGAINED).
 */
import { assign, sendParent, sendTo, setup } from 'xstate';
import { DEFAULTS } from './defaults.ts';
import { actionNotProvided, callbackNotProvided, promiseNotProvided } from './placeholders.ts';
import type { LogParams } from './types.ts';

export type EngineFailureKind =
  | 'gpu'
  | 'fatal'
  | 'retryable'
  | 'startup_timeout'
  | 'models_check'
  | 'crashed';

export type EngineFailure = {
  kind: EngineFailureKind;
  /** One line for people: what happened, and for heartbeats the error_message. */
  message: string;
  /** The classified vLLM line and the pattern it matched (fatal, retryable). */
  pattern?: string;
  line?: string;
};

export type GpuCheckOutput = { ok: true } | { ok: false; message: string };

export type EngineInput = {
  /** VLLM_STARTUP_TIMEOUT: spawn, health and models check together, in ms. Default 600 000 ms. */
  startupTimeoutMs?: number;
};

export type EngineContext = {
  /** VLLM_STARTUP_TIMEOUT in force, in ms: it bounds start-up and its failure names it. */
  startupTimeoutMs: number;
  /** When the current start-up phase began (ms since the epoch). */
  phaseStartedAt: number;
  /** Duration of each finished start-up phase, in ms. */
  phases: Partial<Record<'gpu_check' | 'spawn' | 'health' | 'models', number>>;
  /** Total start-up time once ready, in ms. */
  startupMs: number | undefined;
  failure: EngineFailure | undefined;
  pid: number | undefined;
};

export type EngineEvent =
  | { type: 'STOP' }
  | { type: 'PROCESS_SPAWNED'; pid: number }
  | { type: 'PROCESS_LINE_CLASSIFIED'; kind: 'fatal' | 'retryable'; pattern: string; line: string }
  /**
   * `error`: the process could not be started at all (a bad VLLM_SERVE_COMMAND), and why.
   * `lastErrorLine`: vLLM's last line at error level, often the cause (a taken port).
   */
  | {
      type: 'PROCESS_EXITED';
      exitCode: number | null;
      signal: string | null;
      error?: string;
      lastErrorLine?: string;
    }
  | { type: 'HEALTH_LOST'; reason: string }
  | { type: 'HEALTH_REGAINED' };

/** What the engine tells its parent. */
export type EngineNotice =
  | { type: 'ENGINE_READY'; startupMs: number }
  | { type: 'ENGINE_UNHEALTHY'; reason: string }
  | { type: 'ENGINE_RECOVERED' }
  | { type: 'ENGINE_FAILED'; failure: EngineFailure }
  | { type: 'ENGINE_STOPPED' };

export type ProcessCommand = { type: 'TERMINATE' } | { type: 'KILL' };

type Phase = keyof EngineContext['phases'];

/** The failure of a start-up that outlived VLLM_STARTUP_TIMEOUT: the value in force, and the fix. */
export function startupTimeoutFailure(startupTimeoutMs: number): EngineFailure {
  return {
    kind: 'startup_timeout',
    message: `vLLM did not become healthy within ${startupTimeoutMs / 1000} s (VLLM_STARTUP_TIMEOUT): raise VLLM_STARTUP_TIMEOUT if the model needs longer to download and load, or read vLLM's last lines for why it stalled`,
  };
}

type FailureEvent = Extract<EngineEvent, { type: 'PROCESS_LINE_CLASSIFIED' | 'PROCESS_EXITED' }>;

/** What a failure event means; `starting`: before ready, when vLLM's last error is the cause. */
function failureFrom(event: FailureEvent, starting = false): EngineFailure {
  if (event.type === 'PROCESS_LINE_CLASSIFIED') {
    const label = event.kind === 'fatal' ? 'FATAL' : 'RETRYABLE';
    return {
      kind: event.kind,
      message: `${label} vLLM error detected (pattern: ${event.pattern}): ${event.line}`,
      pattern: event.pattern,
      line: event.line,
    };
  }
  if (event.error !== undefined) {
    return { kind: 'crashed', message: `vLLM could not start: ${event.error}` };
  }
  const how = `exit code ${event.exitCode ?? 'none'}, signal ${event.signal ?? 'none'}`;
  // A start-up that ends in an exit (a taken port, a bad flag) says why on its last error line.
  const cause = starting && event.lastErrorLine !== undefined ? `: ${event.lastErrorLine}` : '';
  return { kind: 'crashed', message: `vLLM exited on its own (${how})${cause}` };
}

function phaseLog(context: EngineContext, phase: Phase): LogParams {
  return {
    level: 'info',
    message: `vLLM start-up phase finished: ${phase}`,
    fields: { phase, ms: context.phases[phase] },
  };
}

/**
 * Every failure state: the cause is in context, the parent is told, and later lines or an exit
 * change nothing. The worker shuts down and sends STOP.
 */
const failedState = {
  entry: 'notifyFailed',
  on: { PROCESS_LINE_CLASSIFIED: {}, PROCESS_EXITED: {} },
} as const;

export const engineMachine = setup({
  types: {
    context: {} as EngineContext,
    events: {} as EngineEvent,
    input: {} as EngineInput,
  },
  actors: {
    gpuCheck: promiseNotProvided<GpuCheckOutput>('engine', 'gpuCheck'),
    vllm: callbackNotProvided<ProcessCommand>('engine', 'vllm'),
    waitForHealth: promiseNotProvided<void>('engine', 'waitForHealth'),
    checkModels: promiseNotProvided<void>('engine', 'checkModels'),
    watchHealth: callbackNotProvided('engine', 'watchHealth'),
  },
  guards: {
    gpuFailed: (_, params: { output: GpuCheckOutput }) => !params.output.ok,
    isFatal: (_, params: { kind: 'fatal' | 'retryable' }) => params.kind === 'fatal',
  },
  actions: {
    endPhase: assign(({ context }, params: { phase: Phase }) => {
      const now = Date.now();
      return {
        phases: { ...context.phases, [params.phase]: now - context.phaseStartedAt },
        phaseStartedAt: now,
      };
    }),
    markReady: assign({
      startupMs: ({ context }) => Object.values(context.phases).reduce((sum, ms) => sum + ms, 0),
    }),
    terminate: sendTo('vllm', { type: 'TERMINATE' }),
    kill: sendTo('vllm', { type: 'KILL' }),
    recordPid: assign({ pid: (_, params: { pid: number }) => params.pid }),
    fail: assign({ failure: (_, params: { failure: EngineFailure }) => params.failure }),
    notifyReady: sendParent(({ context }) => ({
      type: 'ENGINE_READY',
      startupMs: context.startupMs ?? 0,
    })),
    notifyUnhealthy: sendParent((_, params: { reason: string }) => ({
      type: 'ENGINE_UNHEALTHY',
      reason: params.reason,
    })),
    notifyRecovered: sendParent({ type: 'ENGINE_RECOVERED' }),
    notifyFailed: sendParent(({ context }) => ({
      type: 'ENGINE_FAILED',
      failure: context.failure!,
    })),
    notifyStopped: sendParent({ type: 'ENGINE_STOPPED' }),
    log: actionNotProvided('engine', 'log') as (_: unknown, params: LogParams) => void,
  },
  delays: {
    /** VLLM_STARTUP_TIMEOUT: spawn, health and models check together (the input's). */
    STARTUP_TIMEOUT: ({ context }) => context.startupTimeoutMs,
    /** SIGTERM first; SIGKILL after this long. */
    KILL_GRACE: DEFAULTS.killGraceMs,
  },
}).createMachine({
  id: 'engine',
  description:
    "The engine: vLLM's lifecycle. GPU check, spawn, wait for /health, check /v1/models, then ready ⇄ unhealthy until a failure (each cause its own state) or a stop (SIGTERM, then SIGKILL after KILL_GRACE).",
  context: ({ input }) => ({
    startupTimeoutMs: input?.startupTimeoutMs ?? DEFAULTS.startupTimeoutMs,
    phaseStartedAt: Date.now(),
    phases: {},
    startupMs: undefined,
    failure: undefined,
    pid: undefined,
  }),
  initial: 'checkingGpu',
  states: {
    checkingGpu: {
      description:
        'nvidia-smi health check (skipped, with a warning, where there is no nvidia-smi). The check never rejects: a failure, nvidia-smi that cannot run included, is its output.',
      on: { STOP: 'stopped' },
      invoke: {
        src: 'gpuCheck',
        onDone: [
          {
            guard: { type: 'gpuFailed', params: ({ event }) => ({ output: event.output }) },
            target: 'gpuFailed',
            actions: {
              type: 'fail',
              params: ({ event }) => ({
                failure: { kind: 'gpu', message: event.output.ok ? '' : event.output.message },
              }),
            },
          },
          {
            target: 'running',
            actions: [
              { type: 'endPhase', params: { phase: 'gpu_check' } },
              { type: 'log', params: ({ context }) => phaseLog(context, 'gpu_check') },
            ],
          },
        ],
      },
    },
    gpuFailed: {
      description: 'The GPU is not fit to serve: vLLM is never started.',
      entry: 'notifyFailed',
      on: { STOP: 'stopped' },
    },
    running: {
      description:
        'The vLLM process exists (the `vllm` actor lives exactly as long as this state).',
      invoke: { id: 'vllm', src: 'vllm' },
      initial: 'starting',
      on: {
        STOP: '.stopping',
        PROCESS_LINE_CLASSIFIED: [
          {
            guard: { type: 'isFatal', params: ({ event }) => event },
            target: '.fatal',
            actions: { type: 'fail', params: ({ event }) => ({ failure: failureFrom(event) }) },
          },
          {
            target: '.retryable',
            actions: { type: 'fail', params: ({ event }) => ({ failure: failureFrom(event) }) },
          },
        ],
        PROCESS_EXITED: {
          target: '.crashed',
          actions: {
            type: 'fail',
            params: ({ context, event }) => ({
              failure: failureFrom(event, context.startupMs === undefined),
            }),
          },
        },
      },
      states: {
        starting: {
          description:
            'Start-up, bounded by STARTUP_TIMEOUT; a classified line or an exit fails it.',
          after: {
            STARTUP_TIMEOUT: {
              target: '#engine.running.startupTimeout',
              actions: {
                type: 'fail',
                params: ({ context }) => ({
                  failure: startupTimeoutFailure(context.startupTimeoutMs),
                }),
              },
            },
          },
          initial: 'spawning',
          states: {
            spawning: {
              description: 'The process is being started.',
              on: {
                PROCESS_SPAWNED: {
                  target: 'waitingForHealth',
                  actions: [
                    { type: 'recordPid', params: ({ event }) => event },
                    { type: 'endPhase', params: { phase: 'spawn' } },
                    { type: 'log', params: ({ context }) => phaseLog(context, 'spawn') },
                  ],
                },
              },
            },
            waitingForHealth: {
              description:
                'GET /health every 2 s until it answers 200 (model download, load, compile).',
              invoke: {
                src: 'waitForHealth',
                onDone: {
                  target: 'checkingModels',
                  actions: [
                    { type: 'endPhase', params: { phase: 'health' } },
                    { type: 'log', params: ({ context }) => phaseLog(context, 'health') },
                  ],
                },
              },
            },
            checkingModels: {
              description: 'GET /v1/models must answer 200.',
              invoke: {
                src: 'checkModels',
                onDone: {
                  target: '#engine.running.ready',
                  actions: [
                    { type: 'endPhase', params: { phase: 'models' } },
                    { type: 'log', params: ({ context }) => phaseLog(context, 'models') },
                    'markReady',
                    {
                      type: 'log',
                      params: ({ context }) => ({
                        level: 'info',
                        message: 'vLLM is ready',
                        fields: { startup_ms: context.startupMs, phases_ms: context.phases },
                      }),
                    },
                    'notifyReady',
                  ],
                },
                onError: {
                  target: '#engine.running.modelsCheck',
                  actions: {
                    type: 'fail',
                    params: ({ event }) => ({
                      failure: {
                        kind: 'models_check',
                        message: `vLLM /v1/models check failed: ${String(event.error)}`,
                      },
                    }),
                  },
                },
              },
            },
          },
        },
        ready: {
          description: 'Serving: /health answers 200.',
          tags: 'ready',
          invoke: { src: 'watchHealth' },
          on: {
            HEALTH_LOST: {
              target: 'unhealthy',
              actions: { type: 'notifyUnhealthy', params: ({ event }) => event },
            },
          },
        },
        unhealthy: {
          description: 'The process runs but /health does not answer 200; it may come back.',
          invoke: { src: 'watchHealth' },
          on: {
            HEALTH_REGAINED: { target: 'ready', actions: 'notifyRecovered' },
          },
        },
        fatal: {
          ...failedState,
          description: 'Failed: a fatal line. The host is bad (driver, CUDA).',
        },
        retryable: {
          ...failedState,
          description: 'Failed: a retryable line (out of memory, model load, the hub unreachable).',
        },
        startupTimeout: {
          ...failedState,
          description: 'Failed: /health never answered 200 within VLLM_STARTUP_TIMEOUT.',
        },
        modelsCheck: { ...failedState, description: 'Failed: /v1/models did not answer 200.' },
        crashed: {
          description:
            'Failed: the process exited on its own; there is nothing left to stop, and nothing more comes from it (its exit is its last word).',
          entry: 'notifyFailed',
          on: { STOP: '#engine.stopped' },
        },
        stopping: {
          description: 'SIGTERM sent; SIGKILL after KILL_GRACE; done when the process has exited.',
          on: { PROCESS_EXITED: '#engine.stopped', PROCESS_LINE_CLASSIFIED: {}, STOP: {} },
          initial: 'terminating',
          states: {
            terminating: {
              description: 'SIGTERM sent: vLLM shuts down on its own terms.',
              entry: 'terminate',
              after: { KILL_GRACE: 'killing' },
            },
            killing: {
              description: 'SIGKILL sent after KILL_GRACE; the process cannot refuse it.',
              entry: 'kill',
              after: { KILL_GRACE: '#engine.stopped' },
            },
          },
        },
      },
    },
    stopped: {
      description: 'vLLM is not running (stopped, or never started).',
      type: 'final',
      entry: 'notifyStopped',
    },
  },
});

export type EngineMachine = typeof engineMachine;
