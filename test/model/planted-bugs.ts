/**
 * Replays the planted bugs of test/model/planted-bugs.md: for each, changes one line of a
 * machine, runs that machine's model walks, and restores the line. Every bug must turn the
 * walks red; the script prints, per bug, the first failing walk and its error, and exits 1 when
 * some bug left the walks green.
 *
 *   node test/model/planted-bugs.ts            # every bug
 *   node test/model/planted-bugs.ts gate-dup   # one bug, by name
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Bug = {
  name: string;
  /** The machine file, from the repository root. */
  file: string;
  /** The exact text replaced (it must occur once), and what replaces it. */
  from: string;
  to: string;
  /** The model test file that walks the machine. */
  walks: string;
};

export const BUGS: Bug[] = [
  {
    name: 'gate-dup',
    file: 'machines/gate.types.ts',
    from: 'running !== undefined && running >= token',
    to: 'running !== undefined && running > token',
    walks: 'test/model/gate.model.test.ts',
  },
  {
    name: 'conn-standing',
    file: 'machines/outbox.ts',
    from: "  if (standing === 'drain') return standing;\n",
    to: '',
    walks: 'test/model/connection.model.test.ts',
  },
  {
    name: 'job-frame-token',
    file: 'machines/job.machine.ts',
    from: "frameToken: input.job.mode === 'persisted' ? input.job.fence_token : 0,",
    to: 'frameToken: input.job.fence_token,',
    walks: 'test/model/gate.model.test.ts',
  },
  {
    name: 'engine-line',
    file: 'machines/engine.machine.ts',
    from: 'on: { PROCESS_LINE_CLASSIFIED: {}, PROCESS_EXITED: {} },',
    to: 'on: { PROCESS_EXITED: {} },',
    walks: 'test/model/engine.model.test.ts',
  },
  {
    name: 'worker-resume',
    file: 'machines/worker-degraded.ts',
    from: "        'resumeGate',\n",
    to: '',
    walks: 'test/model/worker.model.test.ts',
  },
];

const root = join(import.meta.dirname, '../..');

function plant(bug: Bug): () => void {
  const path = join(root, bug.file);
  const original = readFileSync(path, 'utf8');
  if (original.split(bug.from).length !== 2) {
    throw new Error(`${bug.name}: '${bug.from}' must occur once in ${bug.file}`);
  }
  writeFileSync(path, original.replace(bug.from, bug.to));
  return () => writeFileSync(path, original);
}

/** Runs the bug's walks with the bug planted: the first failure's walk and error, if any. */
function replay(bug: Bug): string | undefined {
  const restore = plant(bug);
  try {
    const run = spawnSync(
      'npx',
      ['vitest', 'run', '--config', 'vitest.model.config.ts', '--bail', '1', bug.walks],
      { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
    );
    if (run.status === 0) return undefined;
    const out = `${run.stdout}\n${run.stderr}`.split('\n');
    const failed = out.findIndex((line) => line.includes(' FAIL '));
    return out
      .slice(failed, failed + 4)
      .map((line) => line.trim())
      .join(' | ');
  } finally {
    restore();
  }
}

const only = process.argv[2];
const chosen = BUGS.filter((bug) => only === undefined || bug.name === only);
if (chosen.length === 0) throw new Error(`no planted bug named ${only}`);
let green = 0;
for (const bug of chosen) {
  const failure = replay(bug);
  if (failure === undefined) green += 1;
  const verdict = failure === undefined ? 'GREEN (not caught)' : `red: ${failure}`;
  console.log(`${bug.name.padEnd(16)} ${verdict}`);
}
process.exit(green === 0 ? 0 : 1);
