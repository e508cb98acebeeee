/**
 * The engine, walked against the real engine actor (createEngineLogic) under a small parent,
 * with vLLM a real child process: the mock vLLM (`node src/cli.ts mock-vllm serve`), which
 * loads "for ever" until the walk says it is done and prints, exits or loses health when
 * told through its control endpoints; nvidia-smi is a runner that answers (the recorded H200
 * row, or a hang) when the walk says. What each state promises is checked outside the actor:
 * the notices the parent received, the process (alive, gone), the requests vLLM answered and
 * its lines, as the engine logged them with source `vllm`.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { engineMachine } from '../../machines/engine.machine.ts';
import type { NvidiaSmiResult } from '../../src/observability/nvidia-smi.ts';
import { type EngineHarness, processExists, startEngine } from '../support/engine-harness.ts';
import { LEVELS } from '../support/log-capture.ts';
import { deferred, until } from '../support/sdk-worker.ts';
import type { CoverageRecorder } from './coverage.ts';
import { expectedEnginePath, LAST_ERROR_LINE } from './engine.oracle.ts';
import {
  ENGINE_EVENTS,
  type Event,
  GPU_CHECKED,
  HEALTHY,
  handledAs,
  KILL_GRACE,
  MODELS_CHECKED,
  possible,
  setupFor,
  TERMINATE_GRACE,
} from './engine-walks.ts';
import { stateValueOf } from './expect.ts';
import { HandledEvents } from './handled.ts';
import { engineViolations, expectNoViolations } from './invariants.ts';
import type { PlannedWalk } from './planner.ts';
import type { Driver } from './runner.ts';
import { modelSuite } from './suite.ts';

const H200 = readFileSync(
  new URL('../fixtures/nvidia-smi/h200-health.csv', import.meta.url),
  'utf8',
);

/** Access lines of the mock vLLM: the requests it answered, and how. */
const answered = (path: string, status: number) => new RegExp(`"GET ${path} HTTP/1.1" ${status} `);

class EngineDriver implements Driver {
  #engine!: EngineHarness;
  #trace = new HandledEvents('engine');
  #nvidiaSmi = deferred<NvidiaSmiResult>();
  #nvidiaSmiCalls = 0;
  #ignoresSigterm = false;
  #lingers = false;
  /** The walk made vLLM exit (the failure states stay as they are when it does). */
  #exitCaused = false;
  /** The events the walk caused so far, in order: what engine.oracle.ts reads. */
  #events: AnyEventObject[] = [];
  #startupTimeoutMs = 0;
  /** When the walk's engine started (ms since the epoch): no phase can have lasted longer. */
  #startedAt = 0;

  async start(recorder: CoverageRecorder, { events }: PlannedWalk): Promise<void> {
    const setup = setupFor(events);
    this.#startupTimeoutMs = setup.startupTimeoutMs;
    this.#ignoresSigterm = setup.mockArgs.includes('--ignore-sigterm');
    this.#lingers = setup.lingers;
    this.#startedAt = Date.now();
    this.#engine = await startEngine({
      health: {
        pollIntervalMs: 20,
        probeTimeoutMs: 1_000,
        modelsTimeoutMs: 1_000,
        watchIntervalMs: setup.watchIntervalMs,
      },
      extraArgs: setup.mockArgs,
      startupTimeoutMs: setup.startupTimeoutMs,
      killGraceMs: setup.killGraceMs,
      gpu: {
        runner: () => {
          this.#nvidiaSmiCalls += 1;
          return this.#nvidiaSmi.promise;
        },
        expectedGpuName: 'H200',
        expectedVramGb: 141,
      },
      inspect: (event) => {
        recorder.inspect(event);
        this.#trace.inspect(event);
      },
    });
  }

  async cause(event: AnyEventObject): Promise<void> {
    // Where the engine is: where the walk's events so far lead.
    const { stage } = expectedEnginePath(this.#events, this.#startupTimeoutMs);
    this.#events.push(event);
    switch (event.type) {
      case GPU_CHECKED:
        this.#nvidiaSmi.resolve(
          event.output.ok ? { exitCode: 0, stdout: H200, stderr: '' } : { timedOut: true },
        );
        break;
      // The parent's own word (the worker sends it when it shuts down).
      case 'STOP':
        this.#engine.send({ type: 'STOP' });
        break;
      case HEALTHY:
        await this.#tellVllm('/mock/ready');
        break;
      case 'PROCESS_LINE_CLASSIFIED':
        await this.#tellVllm('/mock/print', { line: event.line });
        break;
      case 'HEALTH_LOST':
      case 'HEALTH_REGAINED':
        await this.#tellVllm('/mock/health', { healthy: event.type === 'HEALTH_REGAINED' });
        break;
      case 'PROCESS_EXITED':
        this.#exitCaused = true;
        // Stopping, vLLM exits on SIGTERM or SIGKILL by itself, unless it ignores SIGTERM.
        if (!stage.startsWith('running.stopping')) {
          // An exit on its own says why on vLLM's last error line, which the failure names.
          await this.#tellVllm('/mock/print', { line: LAST_ERROR_LINE });
          await this.#vllmSaid(new RegExp(literal(LAST_ERROR_LINE)));
          await this.#tellVllm('/mock/exit', { code: 1 });
        } else if (this.#ignoresSigterm && stage === 'running.stopping.terminating') {
          await this.#tellVllm('/mock/exit', { code: 0 });
        }
        break;
      // The spawn, the models check and the timers follow by themselves from the setup.
    }
    await this.#trace.next((handled) => handledAs(event, handled), event.type);
  }

  realValue() {
    return this.#trace.value();
  }

  async check(model: AnyMachineSnapshot): Promise<void> {
    const expected = expectedEnginePath(this.#events, this.#startupTimeoutMs);
    expect(model.matches(stateValueOf(expected.stage)), `the engine in ${expected.stage}`).toBe(
      true,
    );
    const sent = this.#trace.sentSoFar().filter((event) => event.type.startsWith('ENGINE_'));
    await until(() => this.#engine.notices().length >= sent.length, 5_000, 'the parent');
    // A broken invariant says in words what went wrong (a second ENGINE_FAILED for a state the
    // engine re-entered, which the model's state value cannot show): before the lists differ.
    expectNoViolations(this.invariants());
    expect(sent).toEqual(expected.notices);
    expect(this.#engine.notices().slice(0, sent.length)).toEqual(expected.notices);
    this.#checkPhases(expected.phases);
    // What readiness and the worker read: the `ready` tag, and the engine's end.
    expect(model.hasTag('ready')).toBe(expected.stage === 'running.ready');
    expect(model.status).toBe(expected.stage === 'stopped' ? 'done' : 'active');
    await this.#checkWorld(model);
  }

  /**
   * The start-up phases logged as they finished, each with how long it took; once ready, one
   * line with the total (the sum of the phases) that ENGINE_READY also carries.
   */
  #checkPhases(phases: string[]): void {
    const entries = this.#engine.logs.entries();
    const lines = entries.filter((entry) =>
      String(entry.msg).startsWith('vLLM start-up phase finished: '),
    );
    // Checking the models, the engine runs ahead of the walk: it may have its answer already.
    const ahead = lines.length === phases.length + 1 && lines.at(-1)?.phase === 'models';
    const walked = ahead ? lines.slice(0, -1) : lines;
    expect(walked.map((line) => [line.level, line.msg, line.phase])).toEqual(
      phases.map((phase) => [LEVELS.info, `vLLM start-up phase finished: ${phase}`, phase]),
    );
    const elapsed = Date.now() - this.#startedAt;
    for (const { ms } of lines) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(elapsed);
    }
    const ready = entries.filter((entry) => entry.msg === 'vLLM is ready');
    const notice = this.#engine.notices().find((n) => n.type === 'ENGINE_READY');
    if (notice === undefined) {
      expect(ready).toEqual([]);
      return;
    }
    const phasesMs = Object.fromEntries(lines.map((line) => [line.phase, line.ms]));
    const total = lines.reduce((sum, line) => sum + Number(line.ms), 0);
    expect(ready).toEqual([
      expect.objectContaining({ level: LEVELS.info, startup_ms: total, phases_ms: phasesMs }),
    ]);
    expect(notice).toEqual({ type: 'ENGINE_READY', startupMs: total });
  }

  async #checkWorld(model: AnyMachineSnapshot): Promise<void> {
    const state = (value: unknown) => model.matches(value as never);
    if (state({ running: { starting: 'spawning' } })) {
      // Spawned with the command line asked for; its spawn is reported on the next tick.
      expect(this.#engine.logs.entries()).toContainEqual(
        expect.objectContaining({
          msg: 'starting vLLM',
          command: expect.arrayContaining(['serve', 'test/model', String(this.#engine.port)]),
        }),
      );
      return;
    }
    const pid = this.#pid();
    // The inspector shows the process the engine runs.
    expect(this.#engine.context().pid).toBe(pid);
    if (pid === undefined) {
      // The GPU check decides first: nvidia-smi ran once, vLLM was never started.
      expect(this.#nvidiaSmiCalls).toBe(1);
      expect(this.#messages()).not.toContain('starting vLLM');
      return;
    }
    const said = (pattern: RegExp) => this.#vllmLines().some((line) => pattern.test(line));
    if (
      state({ running: { starting: 'waitingForHealth' } }) ||
      state({ running: 'startupTimeout' })
    ) {
      // Loading (the walk's vLLM loads until told otherwise), never healthy so far.
      await this.#vllmSaid(/Starting to load model test\/model/);
      expect(said(answered('/health', 200))).toBe(false);
    }
    if (state({ running: { starting: 'checkingModels' } })) {
      await this.#vllmSaid(answered('/health', 200));
    }
    if (state({ running: 'ready' })) await this.#vllmSaid(answered('/v1/models', 200));
    if (state({ running: 'modelsCheck' })) await this.#vllmSaid(answered('/v1/models', 500));
    if (state({ running: 'unhealthy' })) {
      await this.#vllmSaid(/health lost \(POST \/mock\/health\)/);
    }
    if (state({ running: 'fatal' }) || state({ running: 'retryable' })) {
      await this.#vllmSaid(new RegExp(`^${literal(model.context.failure.line)}$`), 50);
    }
    // vLLM that exited already (the failed states ignore its exit) has nothing left to say.
    if (state({ running: { stopping: 'terminating' } }) && !this.#exitCaused) {
      await this.#vllmSaid(/Shutting down FastAPI HTTP server|--ignore-sigterm: SIGTERM ignored/);
    }
    if (state({ running: { stopping: 'killing' } })) {
      // SIGKILL ends it while the engine waits for its exit: not the engine's clean-up later.
      await until(() => !processExists(pid), 5_000, `SIGKILL to end vLLM (pid ${pid})`);
      // Where its output outlives it, the engine stops only after KILL_GRACE once more.
      const heard = this.#engine.notices().map((notice) => notice.type);
      if (this.#lingers) {
        expect(heard, 'vLLM outlived KILL_GRACE after SIGKILL').not.toContain('ENGINE_STOPPED');
      }
    }
    // Terminating, vLLM may be on its way out or ignoring SIGTERM: either is right.
    if (this.#exitCaused || state('stopped')) {
      await until(() => !processExists(pid), 5_000, `vLLM (pid ${pid}) to be gone`);
    } else if (!state({ running: 'stopping' })) expect(processExists(pid)).toBe(true);
  }

  invariants(): string[] {
    return engineViolations({
      notices: this.#engine.notices().map((notice) => notice.type),
      vllmLines: this.#vllmLines(),
      spawns: this.#messages().filter((msg) => msg === 'starting vLLM').length,
      gpuChecks: this.#nvidiaSmiCalls,
    });
  }

  async stop(): Promise<void> {
    this.#nvidiaSmi.resolve({ absent: true });
    this.#engine.halt();
    const core = this.#vllmLines()
      .map((line) => line.match(/EngineCore_0 pid (\d+)/)?.[1])
      .find((found) => found !== undefined);
    if (core !== undefined) killOrphan(Number(core));
    const pid = this.#pid();
    if (pid !== undefined) await until(() => !processExists(pid), 5_000, `vLLM ${pid} gone`);
  }

  #pid(): number | undefined {
    const spawned = this.#trace.find((event) => event.type === 'PROCESS_SPAWNED')[0];
    return (spawned?.event as Event<'PROCESS_SPAWNED'> | undefined)?.pid;
  }

  #messages(): unknown[] {
    return this.#engine.logs.entries().map((entry) => entry.msg);
  }

  #vllmLines(level?: number): string[] {
    return this.#engine.logs
      .entries()
      .filter((entry) => entry.source === 'vllm' && (level === undefined || entry.level === level))
      .map((entry) => String(entry.msg));
  }

  /** Waits until vLLM printed a matching line (at `level`), logged with source vllm. */
  async #vllmSaid(pattern: RegExp, level?: number): Promise<void> {
    const said = () => this.#vllmLines(level).some((line) => pattern.test(line));
    // Generous: a mock vLLM starting on a busy host takes seconds to print its first lines.
    await until(said, 20_000, `vLLM to print ${pattern}`);
  }

  /** A control request to the mock vLLM's control port, once it listens (loading or not). */
  async #tellVllm(path: string, body?: unknown): Promise<void> {
    await this.#vllmSaid(/non-default args/);
    const response = await fetch(`${this.#engine.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status, `POST ${path}: ${await response.text()}`).toBe(200);
  }
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** SIGKILL to a process that is not ours to wait for (an orphan is reaped by whoever adopted it). */
function killOrphan(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

const [GPU_OK, GPU_FAILED, SPAWNED, FATAL, RETRYABLE] = ENGINE_EVENTS as AnyEventObject[] as [
  AnyEventObject,
  AnyEventObject,
  AnyEventObject,
  AnyEventObject,
  AnyEventObject,
];

const TERMINATE_GRACE_ID = `engine.running.stopping.terminating|${TERMINATE_GRACE}|0`;
const KILL_GRACE_ID = `engine.running.stopping.killing|${KILL_GRACE}|0`;
const EXIT_ID = 'engine.running|PROCESS_EXITED|0';
const LINE_STOPPING_ID = 'engine.running.stopping|PROCESS_LINE_CLASSIFIED|0';

/** A process that exited prints nothing more and exits no more: its exit is its last word. */
const afterExit = (type: string) => type === 'PROCESS_LINE_CLASSIFIED' || type === 'PROCESS_EXITED';

modelSuite({
  // Each walk starts a vLLM process: few long walks take every pair.
  longWalks: true,
  fits: (events) => {
    const exit = events.findIndex((event) => event.type === 'PROCESS_EXITED');
    const lost = events.findIndex((event) => event.type === 'HEALTH_LOST');
    if (lost >= 0 && exit > lost) return false;
    const kill = events.findIndex((event) => event.type === TERMINATE_GRACE);
    const printsAfter = (at: number) =>
      events.slice(at + 1).some((event) => event.type === 'PROCESS_LINE_CLASSIFIED');
    if (kill >= 0 && printsAfter(kill)) return false;
    return exit < 0 || !events.slice(exit + 1).some((event) => afterExit(event.type));
  },
  unreachable: [
    {
      why: "vLLM's exit after a loss of health: a driver limit, not the engine's. The walk watches health every 20 ms once it loses it, and the exit takes down the server the next probe asks, so HEALTH_LOST or the exit comes first by a race the walk cannot decide (an exit while ready is walked; the engine handles an exit the same in any running state)",
      pairs: (pair) =>
        pair === `engine.running.ready|HEALTH_LOST|0 > ${EXIT_ID}` ||
        pair === `engine.running.unhealthy|HEALTH_REGAINED|0 > ${EXIT_ID}`,
    },
    {
      why: "a line from vLLM after SIGKILL: the mock vLLM prints through its HTTP server, which SIGKILL ends (a real vLLM's lingering engine core could print; the machine ignores it like any line while stopping, as the walks show in terminating)",
      pairs: (pair) =>
        pair === `${TERMINATE_GRACE_ID} > ${LINE_STOPPING_ID}` ||
        pair === `${LINE_STOPPING_ID} > ${KILL_GRACE_ID}`,
    },
    {
      why: 'vLLM exited: it prints no line and exits no more (the model hears both in the failed states)',
      pairs: (pair) => {
        const [first, second] = pair.split(' > ');
        return first!.includes('|PROCESS_EXITED|') && afterExit(second!.split('|')[1]!);
      },
    },
  ],
  machine: engineMachine,
  events: ENGINE_EVENTS,
  filterEvents: possible,
  driver: () => new EngineDriver(),
  // Written from worker.md, not planned on the machine: a stop or a recovery the machine lost
  // would take its walk out of the plan, and these still ask for it.
  scenarios: [
    // A failed engine hears another line: it stays failed and tells the parent nothing more.
    [GPU_OK, SPAWNED, FATAL, RETRYABLE],
    // A stop before vLLM exists, during the GPU check and after it failed, stops at once.
    [{ type: 'STOP' }],
    [GPU_FAILED, { type: 'STOP' }],
    // A whole life: ready, unhealthy, healthy again, stopped with SIGTERM.
    [
      GPU_OK,
      SPAWNED,
      { type: HEALTHY },
      { type: MODELS_CHECKED },
      ENGINE_EVENTS.find((event) => event.type === 'HEALTH_LOST')!,
      { type: 'HEALTH_REGAINED' },
      { type: 'STOP' },
      ENGINE_EVENTS.find((event) => event.type === 'PROCESS_EXITED')!,
    ],
  ],
});
