/**
 * The worker's /metrics (prom-client, one registry per status server): job counts and
 * durations as jobs end (from the job ledger), and at scrape time what the machines hold
 * (engine, gate and worker states, connection, outbox).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AnyActorRef, AnyStateMachine, AnyStateNode } from 'xstate';
import { hasTag, runningJobs } from '../worker/state.ts';
import { childrenOf, machineOf, viewActor } from './actors.ts';
import type { EndedJob, JobLedger } from './jobs.ts';
import type { ClientKind } from './slow-clients.ts';

/** Distinct task labels /metrics keeps (the vLLM worker has seven tasks); the rest are `other`. */
export const MAX_TASK_LABELS = 32;
/** A longer task name is labelled `other`. */
export const MAX_TASK_LABEL_LENGTH = 64;

/** Seconds; vLLM jobs run from well under a second (embeddings) to 15 minutes (video). */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900];

export class WorkerMetrics {
  readonly #registry = new Registry();
  /** The Content-Type of what `render` returns (the Prometheus text format 0.0.4). */
  readonly contentType = this.#registry.contentType;
  readonly #jobs = new Counter({
    name: 'casola_jobs_total',
    help: 'Jobs that ended, by task and outcome (result, error, revoked, superseded, shutdown, engine_failed, engine_unhealthy).',
    labelNames: ['task', 'outcome'],
    registers: [this.#registry],
  });
  readonly #duration = new Histogram({
    name: 'casola_job_duration_seconds',
    help: "Time from a job's start on this worker to its end, by task and outcome.",
    labelNames: ['task', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [this.#registry],
  });
  readonly #running = this.#gauge('casola_jobs_running', 'Jobs running now.');
  readonly #renewals = this.#counter('casola_lease_renewals_total', 'Lease renewals sent.');
  readonly #reconnects = this.#counter(
    'casola_queue_reconnects_total',
    'Registrations with the queue after the first one.',
  );
  readonly #connected = this.#gauge('casola_queue_connected', '1 while registered with the queue.');
  readonly #outbox = this.#gauge(
    'casola_outbox_depth',
    'Results waiting for the queue connection.',
  );
  readonly #dropped = this.#counter(
    'casola_outbox_dropped_total',
    'Results dropped because the outbox was full.',
  );
  readonly #clientsDropped = this.#counter(
    'casola_status_clients_dropped_total',
    'Status-server clients (sse, websocket) disconnected because they stopped reading.',
    ['client'],
  );
  readonly #ready = this.#gauge('casola_engine_ready', '1 while the engine (vLLM) is ready.');
  readonly #startup = this.#gauge(
    'casola_engine_startup_seconds',
    'How long the engine took to become ready.',
  );
  readonly #states = {
    worker: this.#gauge('casola_worker_state', "1 for the worker machine's active states.", [
      'state',
    ]),
    engine: this.#gauge(
      'casola_engine_state',
      "1 for the engine's active state, 0 for the others.",
      ['state'],
    ),
    gate: this.#gauge(
      'casola_gate_state',
      'Dispatch: 1 for the active one of accepting, paused, draining, drained.',
      ['state'],
    ),
  };

  /** Task labels seen so far; past MAX_TASK_LABELS a new task counts as `other`. */
  readonly #tasks = new Set<string>();
  /** Labels always kept, outside the cap: the worker's own tasks, `none`, `offloaded`. */
  readonly #pinned = new Set(['none', 'offloaded']);

  /** The task names this worker runs (the vLLM worker's seven) are always labels of their own. */
  pinTasks(tasks: readonly string[]): void {
    for (const task of tasks) this.#pinned.add(task);
  }

  jobEnded(job: EndedJob): void {
    const labels = { task: this.#taskLabel(job.task), outcome: job.outcome };
    this.#jobs.inc(labels);
    this.#duration.observe(labels, job.durationMs / 1000);
  }

  clientDropped(kind: ClientKind): void {
    this.#clientsDropped.inc({ client: kind });
  }

  /**
   * `payload.task` comes from whoever submits jobs: a label per distinct value would let them
   * grow /metrics (and Prometheus) without end. Short names, and at most MAX_TASK_LABELS of them.
   */
  #taskLabel(task: string): string {
    if (this.#pinned.has(task) || this.#tasks.has(task)) return task;
    if (task.length > MAX_TASK_LABEL_LENGTH || this.#tasks.size >= MAX_TASK_LABELS) return 'other';
    this.#tasks.add(task);
    return task;
  }

  /** The exposition text, reading `root` and its children now. */
  render(root: AnyActorRef, ledger: JobLedger): Promise<string> {
    const children = childrenOf(root);
    this.#running.set(Object.keys(runningJobs(children.gate)).length);
    setTotal(this.#renewals, ledger.renewals);
    this.#readConnection(children.connection);
    this.#readStates(root, children);
    return this.#registry.metrics();
  }

  #counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.#registry] });
  }

  #gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.#registry] });
  }

  #readConnection(connection: AnyActorRef | undefined): void {
    const context = (connection?.getSnapshot().context ?? {}) as {
      connections?: number;
      outbox?: unknown[];
      outboxDropped?: number;
    };
    setTotal(this.#reconnects, Math.max(0, (context.connections ?? 0) - 1));
    this.#connected.set(hasTag(connection, 'registered') ? 1 : 0);
    this.#outbox.set(context.outbox?.length ?? 0);
    setTotal(this.#dropped, context.outboxDropped ?? 0);
  }

  #readStates(root: AnyActorRef, children: Record<string, AnyActorRef>): void {
    const actors = { worker: root, engine: children.engine, gate: children.gate };
    for (const [name, actor] of Object.entries(actors)) {
      const gauge = this.#states[name as keyof typeof actors];
      gauge.reset();
      const machine = actor === undefined ? undefined : machineOf(actor as { logic?: unknown });
      if (actor === undefined || machine === undefined) continue;
      const active = new Set(viewActor(actor).active);
      for (const leaf of leafStates(machine)) {
        gauge.set({ state: leaf.path.join('.') }, active.has(leaf.id) ? 1 : 0);
      }
    }
    const engine = children.engine?.getSnapshot() as
      | { value?: unknown; context?: { startupMs?: number } }
      | undefined;
    this.#ready.set(hasTag(children.engine, 'ready') ? 1 : 0);
    // No sample until the engine has started: a 0 would read as an instant start.
    const startupMs = engine?.context?.startupMs;
    if (startupMs === undefined) this.#startup.remove();
    else this.#startup.set(startupMs / 1000);
  }
}

/** For a total kept elsewhere (a machine's context), read at scrape time. */
function setTotal(counter: Counter, total: number): void {
  counter.reset();
  counter.inc(total);
}

const leaves = new WeakMap<AnyStateMachine, AnyStateNode[]>();

/** The machine's states without children, in document order (cached per machine). */
function leafStates(machine: AnyStateMachine): AnyStateNode[] {
  let found = leaves.get(machine);
  if (found === undefined) {
    const walk = (node: AnyStateNode): AnyStateNode[] => {
      const children = Object.values(node.states);
      return children.length === 0 ? [node] : children.flatMap(walk);
    };
    found = walk(machine.root);
    leaves.set(machine, found);
  }
  return found;
}
