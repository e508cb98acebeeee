/**
 * `casola-worker demo`: the worker's main job, end to end, on one machine and no GPU. It starts
 * the local queue, a worker whose engine is the mock vLLM (spawned through VLLM_SERVE_COMMAND,
 * the real code path), sends one request of each task, prints what came back and how the
 * worker's machines moved, shuts everything down and exits 0. With `keep`, the worker and its
 * status page stay up after the requests until SIGINT or SIGTERM.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import type { AnyActorRef, InspectionEvent, StateValue } from 'xstate';
import { loadConfig } from '../../config.ts';
import { freePort } from '../../net/free-port.ts';
import { createLogger } from '../../observability/logger.ts';
import { stateName } from '../../worker/state.ts';
import { startVllmWorker } from '../../worker/vllm-worker.ts';
import { mockServeCommand } from '../mock-vllm/serve-command.ts';
import { eventIs, startLocalQueue } from '../queue/index.ts';
import { startMediaServer } from './media.ts';
import { printOutcomes, printReport, type Transition } from './report.ts';
import { sendAll } from './requests.ts';

export type DemoOptions = {
  /** Where the worker's JSON log lines go (the summary goes to `out`). */
  logFile: string;
  /** Remove `logFile` when the demo succeeds (it is kept, and named, when it fails). Default false. */
  removeLogFile?: boolean;
  /** Status server port. Default 0: any free one. */
  statusPort?: number;
  /** Keep the worker and its status page up after the requests until SIGINT or SIGTERM. Default false. */
  keep?: boolean;
  out?: NodeJS.WritableStream;
};

/** Resolves at the first SIGINT or SIGTERM, which then stop nothing else. */
function untilSignal(): Promise<NodeJS.Signals> {
  const { promise, resolve } = Promise.withResolvers<NodeJS.Signals>();
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    resolve(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return promise;
}

const WATCHED = new Set(['worker', 'engine', 'connection', 'gate']);

export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const queue = await startLocalQueue();
  const media = await startMediaServer();
  const transitions: Transition[] = [];
  const started = performance.now();
  const seen = new Map<string, string>();
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot') return;
    const id = (event.actorRef as AnyActorRef).id;
    if (!WATCHED.has(id)) return;
    const state = stateName((event.snapshot as { value?: StateValue }).value);
    if (seen.get(id) === state) return;
    seen.set(id, state);
    transitions.push({ ms: performance.now() - started, actor: id, state });
  };
  const env = {
    CASOLA_WS_URL: queue.wsUrl,
    CASOLA_CONFIG_ID: 'demo',
    CASOLA_INSTANCE_ID: 'demo-worker',
    CASOLA_CAPACITY: '4',
    VLLM_MODEL: 'casola/demo-llm',
    VLLM_PORT: String(await freePort()),
    VLLM_SERVE_COMMAND: mockServeCommand(),
    // vLLM-Omni's surface: plain vLLM's plus speech and video, so every task runs.
    VLLM_OMNI: 'true',
    CASOLA_STATUS_PORT: String(options.statusPort ?? 0),
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw loaded.error;
  const logDestination = pino.destination({ dest: options.logFile, sync: true });
  const worker = startVllmWorker({
    config: loaded.config,
    env,
    stdoutLogger: createLogger({ destination: logDestination }),
    logDestination,
    inspect,
    statusHost: '127.0.0.1',
  });
  out.write(
    `casola-worker demo: local queue on ${queue.httpUrl}, worker logs in ${options.logFile}\n`,
  );
  const statusUrl = await worker.statusUrl;
  if (statusUrl) out.write(`status page: ${statusUrl}/debug (also /metrics, /readyz, /inspect)\n`);
  await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 60_000 });
  const outcomes = await sendAll(queue.httpUrl, media.url);
  printOutcomes(out, outcomes);
  if (options.keep) {
    out.write(`\nThe worker and ${statusUrl}/debug stay up (--keep): press Ctrl-C to stop.\n`);
    await untilSignal();
  }
  worker.shutdown('demo finished');
  const { exitCode } = await worker.done;
  await Promise.all([queue.close(), media.close()]);
  const ok = outcomes.every((o) => o.ok) && exitCode === 0;
  const removed = ok && options.removeLogFile === true;
  if (removed) rmSync(options.logFile, { force: true });
  printReport(out, { outcomes, transitions, exitCode });
  out.write(removed ? 'The worker logs were removed.\n' : `The worker logs: ${options.logFile}\n`);
  return ok ? 0 : 1;
}
