/**
 * Replays the planted bugs of test/model/planted-bugs.md: for each, changes one line of a
 * machine, runs that machine's model walks, and restores the line. Every bug must turn the
 * walks red with its own assertion (`fails`); the script prints, per bug, the first failing walk
 * and its error, and exits 1 when some bug was not caught.
 *
 *   node test/model/planted-bugs.ts            # every bug
 *   node test/model/planted-bugs.ts gate-dup   # one bug, by name
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Verdict = { caught: boolean; why: string };
type Run = { status: number | string | null; out: string };

type Bug = {
  name: string;
  /** The machine file, from the repository root. */
  file: string;
  /** The exact text replaced (it must occur once), and what replaces it. */
  from: string;
  to: string;
  /** The model test file that walks the machine. */
  walks: string;
  /** The assertion text the walks must fail with (planted-bugs.md): any other failure is no catch. */
  fails: string;
};

export const BUGS: Bug[] = [
  {
    name: 'gate-dup',
    file: 'machines/gate.types.ts',
    from: 'running !== undefined && running >= token',
    to: 'running !== undefined && running > token',
    walks: 'test/model/gate.model.test.ts',
    // The gate oracle (gate.oracle.ts) expects one start of a@1; the ledger's starts, repeats
    // included, show two (the ledger's own invariant would say `ran 2 times under one token`).
    fails: 'the runs started: not so after 5000 ms: ["a@1","a@1"]',
  },
  {
    name: 'gate-memory',
    file: 'machines/recent-jobs.ts',
    from: '.filter((chunk) => count - chunk.newest <= size)',
    to: '',
    walks: 'test/model/gate.model.test.ts',
    // Closed chunks are never dropped: the gate's memory of settled jobs grows with every job.
    fails: 'the settlements the gate holds: expected 5 to be less than or equal to 4',
  },
  {
    name: 'conn-standing',
    file: 'machines/outbox.ts',
    from: "  if (standing === 'drain') return standing;\n",
    to: '',
    walks: 'test/model/connection.model.test.ts',
    // The connection oracle (connection.oracle.ts) expects the drain right after the register.
    fails: 'frames: not so after 5000 ms: {"frames":["register"],"expected":["register","drain"]}',
  },
  {
    name: 'job-frame-token',
    file: 'machines/job-rules.ts',
    from: "frameToken: job.mode === 'persisted' ? job.fence_token : 0,",
    to: 'frameToken: job.fence_token,',
    walks: 'test/model/gate.model.test.ts',
    fails: 'job_result for job c (token 3): no dispatch of the job carries that token',
  },
  {
    name: 'light-abort',
    file: 'machines/light-job.ts',
    from: '  if (rule.abort !== undefined) work.abortWork(',
    to: "  if (rule.abort !== undefined && event.type !== 'JOB_FAILED') work.abortWork(",
    walks: 'test/model/job.model.test.ts',
    fails: "expected 'shutdown' to be 'engine_failed'",
  },
  {
    name: 'job-rule-lost',
    file: 'machines/job-rules.ts',
    from: "WORK_FAILED: { end: 'error', frame: withError, outcome: failed },",
    to: 'WORK_FAILED: {},',
    walks: 'test/model/job.model.test.ts',
    fails: 'listed events no walk takes',
  },
  {
    name: 'job-rule-outcome',
    file: 'machines/job-rules.ts',
    from: "outcome: () => ({ kind: 'result', delivery: 'inline' }),",
    to: "outcome: () => ({ kind: 'result', delivery: '' }),",
    walks: 'test/model/job.model.test.ts',
    fails: 'the outcome the path leads to',
  },
  {
    name: 'light-end',
    file: 'machines/light-job.ts',
    from: 'if (end !== undefined) scope.defer(() => self._parent?.send(',
    to: "if (end !== undefined && event.type !== 'WORK_SUCCEEDED') scope.defer(() => self._parent?.send(",
    walks: 'test/model/job.model.test.ts',
    fails: 'the gate still holds the ended run',
  },
  {
    name: 'end-level',
    file: 'machines/running-jobs.ts',
    from: "shutdown: { level: 'warn', message: 'job cut off by shutdown' },",
    to: "shutdown: { level: 'info', message: 'job cut off by shutdown' },",
    walks: 'test/model/gate.model.test.ts',
    fails: 'missing job end line [40,"job cut off by shutdown"',
  },
  {
    name: 'engine-line',
    file: 'machines/engine.machine.ts',
    from: 'on: { PROCESS_LINE_CLASSIFIED: {}, PROCESS_EXITED: {} },',
    to: 'on: { PROCESS_EXITED: {} },',
    walks: 'test/model/engine.model.test.ts',
    fails: 'the parent heard ENGINE_FAILED 2 times',
  },
  {
    name: 'worker-resume',
    file: 'machines/worker-degraded.ts',
    from: "        'resumeGate',\n",
    to: '',
    walks: 'test/model/worker.model.test.ts',
    fails: 'waited in vain for the queue told to resume while vLLM serves',
  },
  {
    name: 'refusal-lease',
    file: 'machines/refusals.ts',
    from: "message: job.mode === 'persisted' ?",
    to: "message: job.mode !== 'persisted' ?",
    walks: 'test/model/gate.model.test.ts',
    fails:
      'unexpected refusal log line [40,"worker at capacity: every slot and waiting place is taken; left to its lease","c","cfg","at_capacity"]',
  },
  {
    name: 'refusal-type',
    file: 'machines/refusals.ts',
    from: "type: 'job_error',\n    job_id: jobId,",
    to: "type: '',\n    job_id: jobId,",
    walks: 'test/model/gate.model.test.ts',
    fails:
      'missing refusal job_error ["c","worker at capacity: every slot and waiting place is taken",0]',
  },
  {
    name: 'refusal-fields',
    file: 'machines/refusals.ts',
    from: 'fields: { job_id: job.job_id, config_id: job.config_id, reason },',
    to: 'fields: {},',
    walks: 'test/model/gate.model.test.ts',
    fails:
      'unexpected refusal log line [40,"worker at capacity: every slot and waiting place is taken",null,null,null]',
  },
  {
    name: 'rejection-job',
    file: 'machines/refusals.ts',
    from: '{ job_id: rejection.jobId }',
    to: '{}',
    walks: 'test/model/gate.model.test.ts',
    fails:
      'unexpected refusal log line [40,"ignored a frame from the queue: config_id","invalid_fields","{\\"type\\":\\"job\\",\\"job_id\\":\\"x\\"}",null]',
  },
];

const root = join(import.meta.dirname, '../..');

/**
 * Plants the bug and returns what undoes it. The file must be as committed (a crash that kills
 * this script leaves `git checkout -- file` safe to run).
 */
function plant(bug: Bug): () => void {
  const path = join(root, bug.file);
  const diff = spawnSync('git', ['diff', '--quiet', 'HEAD', '--', bug.file], { cwd: root });
  if (diff.status !== 0) {
    throw new Error(
      `${bug.name}: ${bug.file} has uncommitted changes (or git failed); commit or stash them before planting a bug in it`,
    );
  }
  const original = readFileSync(path, 'utf8');
  if (original.split(bug.from).length !== 2) {
    throw new Error(`${bug.name}: '${bug.from}' must occur once in ${bug.file}`);
  }
  writeFileSync(path, original.replace(bug.from, bug.to));
  return () => writeFileSync(path, original);
}

/** Runs vitest on `walks`: its exit status (or signal) and its output. */
function vitest(walks: string, onSignal: (child: ChildProcess) => void): Promise<Run> {
  // Its own process group, so that a signal stops vitest's workers with it (npx forwards none).
  const child = spawn(
    join(root, 'node_modules/.bin/vitest'),
    ['run', '--config', 'vitest.model.config.ts', '--bail', '1', walks],
    { cwd: root, detached: true, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  onSignal(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => {
    child.on('close', (status, signal) => resolve({ status: status ?? signal, out }));
  });
}

/**
 * Runs the bug's walks with the bug planted, and restores the file when they end, on Ctrl-C,
 * on SIGTERM (vitest is stopped first) and on any exit. Caught: vitest failed a test (exit 1)
 * with the bug's assertion text; anything else (green, another failure, vitest not starting)
 * is not.
 */
async function replay(bug: Bug): Promise<Verdict> {
  const restore = plant(bug);
  let running: ChildProcess | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (running?.pid !== undefined) process.kill(-running.pid, signal);
    restore();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('exit', restore);
  try {
    const run = await vitest(bug.walks, (child) => (running = child));
    if (run.status === 0) return { caught: false, why: 'GREEN (not caught)' };
    const lines = run.out.split('\n');
    const failed = lines.findIndex((line) => line.includes(' FAIL '));
    const first = lines
      .slice(Math.max(failed, 0), Math.max(failed, 0) + 4)
      .map((line) => line.trim())
      .join(' | ');
    if (run.status === 1 && run.out.includes(bug.fails)) {
      return { caught: true, why: `red: ${first}` };
    }
    const tail = lines.slice(-8).join(' | ');
    return {
      caught: false,
      why: `NOT CAUGHT: vitest exited ${run.status} without '${bug.fails}': ${failed >= 0 ? first : tail}`,
    };
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', restore);
    restore();
  }
}

const only = process.argv[2];
const chosen = BUGS.filter((bug) => only === undefined || bug.name === only);
if (chosen.length === 0) throw new Error(`no planted bug named ${only}`);
let missed = 0;
for (const bug of chosen) {
  const verdict = await replay(bug);
  if (!verdict.caught) missed += 1;
  console.log(`${bug.name.padEnd(16)} ${verdict.why}`);
}
process.exit(missed === 0 ? 0 : 1);
