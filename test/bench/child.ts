/**
 * The parent side of a bench client: spawns it (execa, its own node process, so that its CPU
 * and memory are its own and the queue's are not counted), waits until the queue has
 * registered it, asks it about memory, and collects what it reports.
 */
import { readFileSync } from 'node:fs';
import { execaNode } from 'execa';
import { eventIs, type LocalQueue, startLocalQueue } from '../../src/tools/queue/index.ts';
import type { ClientReport, ControlRequest } from './clients/control.ts';

export type ClientKind = 'floor' | 'sdk' | 'floor-engine' | 'worker';

/** The engine (a mock vLLM) of floor 2 and the full worker. */
export type EngineSettings = {
  /** Where it listens: the worker spawns it there (VLLM_PORT), floor 2 calls it there. */
  port: number;
  /** The `model` every request names (VLLM_SERVED_MODEL_NAME). */
  model: string;
  /** The worker only: the mock's arguments (VLLM_EXTRA_ARGS), e.g. `--instant`. */
  args: string;
};

export type ClientOptions = {
  kind: ClientKind;
  /** Also its worker id and config id, so that jobs can be routed to it alone. */
  name: string;
  capacity: number;
  /** What the handler does (floor, sdk, floor-engine); the worker's engine decides for it. */
  mode: 'answer' | 'big' | 'abort';
  /** For `big`: the size of the result's JSON. */
  resultBytes?: number;
  /** floor-engine and worker: their engine. */
  engine?: EngineSettings;
  /** Write a CPU profile (node --cpu-prof) into this folder when the client stops. */
  profileDir?: string | undefined;
};

export type Memory = Omit<Extract<ClientReport, { type: 'memory' }>, 'type'>;

/**
 * The node flags the worker's images run it with (package.json `config.nodeFlags`, the images'
 * NODE_OPTIONS): the full worker is measured as it ships. The SDK and the floors run with Node's
 * defaults, as a user's own process does.
 */
const WORKER_NODE_FLAGS: string[] = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    config: { nodeFlags: string };
  }
).config.nodeFlags
  .split(' ')
  .filter(Boolean);

const ENTRY: Record<ClientKind, string> = {
  floor: new URL('./clients/floor.ts', import.meta.url).pathname,
  sdk: new URL('./clients/sdk.ts', import.meta.url).pathname,
  'floor-engine': new URL('./clients/floor-engine.ts', import.meta.url).pathname,
  worker: new URL('./clients/worker.ts', import.meta.url).pathname,
};

function spawnClient(kind: ClientKind, args: string[], profileDir: string | undefined) {
  const profile =
    profileDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-interval=200', `--cpu-prof-dir=${profileDir}`];
  return execaNode(ENTRY[kind], args, {
    ipc: true,
    nodeOptions: ['--expose-gc', ...(kind === 'worker' ? WORKER_NODE_FLAGS : []), ...profile],
    // The worker writes its JSON log lines to stdout, as in production; nobody reads them here.
    stdout: kind === 'worker' ? 'ignore' : 'inherit',
    stderr: 'inherit',
    reject: false,
  });
}

function engineArgs({ kind, engine }: ClientOptions): string[] {
  if (engine === undefined) return [];
  if (kind === 'worker') {
    return [
      '--vllm-port',
      String(engine.port),
      '--model',
      engine.model,
      '--engine-args',
      engine.args,
    ];
  }
  return ['--engine-url', `http://127.0.0.1:${engine.port}`, '--model', engine.model];
}

type ChildProcess = ReturnType<typeof spawnClient>;

/** Clock ticks per second of /proc/<pid>/stat's times: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** A process's CPU time so far (user + system, its own threads), in µs; 0 when unknown. */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export class BenchClient {
  readonly name: string;
  readonly #queue: LocalQueue;
  /** accepting: the queue dispatches to it · paused: it sent `pause` (a worker repeats neither). */
  #dispatch: 'accepting' | 'paused' = 'accepting';
  readonly #process: ChildProcess;
  readonly #listeners = new Set<(report: ClientReport) => void>();

  private constructor(queue: LocalQueue, name: string, child: ChildProcess) {
    this.#queue = queue;
    this.name = name;
    this.#process = child;
    void (async () => {
      for await (const message of child.getEachMessage()) {
        for (const listener of this.#listeners) listener(message as ClientReport);
      }
    })();
  }

  static async start(queue: LocalQueue, options: ClientOptions): Promise<BenchClient> {
    const args = ['--url', queue.wsUrl, '--worker-id', options.name, '--config-id', options.name];
    args.push('--capacity', String(options.capacity), '--mode', options.mode);
    if (options.resultBytes !== undefined) args.push('--result-bytes', String(options.resultBytes));
    args.push(...engineArgs(options));
    const child = spawnClient(options.kind, args, options.profileDir);
    const client = new BenchClient(queue, options.name, child);
    const registered = eventIs('worker_registered', (event) => event.workerId === options.name);
    await Promise.all([
      client.next('ready', 30_000),
      queue.events.waitFor(registered, { timeoutMs: 30_000 }),
    ]);
    return client;
  }

  /** Calls `listener` with every report; returns the unsubscribe function. */
  onReport(listener: (report: ClientReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The next report of this type. */
  next<T extends ClientReport['type']>(
    type: T,
    timeoutMs = 10_000,
  ): Promise<Extract<ClientReport, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`${this.name}: no '${type}' report within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onReport((report) => {
        if (report.type !== type) return;
        clearTimeout(timer);
        stop();
        resolve(report as Extract<ClientReport, { type: T }>);
      });
    });
  }

  async memory(gc: Extract<ControlRequest, { type: 'memory' }>['gc']): Promise<Memory> {
    const answer = this.next('memory');
    await this.#send({ type: 'memory', gc });
    const { type: _, ...memory } = await answer;
    return memory;
  }

  /** CPU time (user + system) the client's process has used so far, in µs (Linux /proc). */
  cpuMicros(): number {
    return processCpuMicros(this.#process.pid);
  }

  async resetPeak(): Promise<void> {
    const answer = this.next('reset_peak');
    await this.#send({ type: 'reset_peak' });
    await answer;
  }

  /**
   * Stops (`pause`) or restarts (`resume`) dispatch to this client, and waits until the queue
   * has seen it. A client not being measured is paused: the queue's scheduler then does not
   * count it as a worker with room while the other one's jobs are dispatched.
   */
  async dispatch(verb: 'pause' | 'resume'): Promise<void> {
    const next = verb === 'pause' ? 'paused' : 'accepting';
    if (this.#dispatch === next) return;
    this.#dispatch = next;
    const seen = eventIs(
      'frame_in',
      (event) => event.workerId === this.name && event.frame.type === verb,
    );
    const after = this.#queue.events.lastSeq;
    await this.#send({ type: verb });
    await this.#queue.events.waitFor(seen, { after });
  }

  /** Asks the client to exit (writing its profile, if any); kills it if it does not. */
  async stop(): Promise<void> {
    const killer = setTimeout(() => this.#process.kill(), 5_000);
    await this.#send({ type: 'exit' }).catch(() => this.#process.kill());
    await this.#process;
    clearTimeout(killer);
  }

  #send(request: ControlRequest): Promise<void> {
    return this.#process.sendMessage(request);
  }
}

/**
 * Runs `use` with a fresh local queue and floor 1 beside the SDK client (named `floor` and
 * `sdk`, both with `options`), and stops them all afterwards however `use` ends.
 */
export async function withFloorAndSdk<T>(
  options: Omit<ClientOptions, 'kind' | 'name'>,
  use: (queue: LocalQueue, clients: { floor: BenchClient; sdk: BenchClient }) => Promise<T>,
): Promise<T> {
  const queue = await startLocalQueue({ eventLogLimit: 500 });
  const started: BenchClient[] = [];
  try {
    for (const kind of ['floor', 'sdk'] as const) {
      started.push(await BenchClient.start(queue, { ...options, kind, name: kind }));
    }
    const [floor, sdk] = started as [BenchClient, BenchClient];
    return await use(queue, { floor, sdk });
  } finally {
    for (const client of started) await client.stop();
    await queue.close();
  }
}
