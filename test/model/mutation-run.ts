/**
 * `npm run test:mutation`: StrykerJS over machines/, one group of files at a time, each under
 * the model walks of the machines that run that code (MODEL_SUITES), then the summary
 * (mutation-score.ts summarize). Machine configs are module-level objects, so most mutants are
 * "static" and rerun every walk of the run: walking only the suites that reach a file keeps a
 * group's run to its own walks. The incremental file (stryker.config.mjs) carries every
 * group's results, so a run reuses what neither the code nor the walks changed; `--force`
 * reruns every mutant of the groups named.
 *
 *   npm run test:mutation                    # every group
 *   npm run test:mutation -- gate engine     # these groups
 *   npm run test:mutation -- --force worker  # rerun the worker group's mutants
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

/**
 * Each group: the suites that walk its files (vitest.model.config.ts), and the files. A file
 * several machines share (defaults.ts, types.ts, records.ts) is scored under one group's walks
 * alone, so its score is a floor: another machine's walks might kill more of its mutants.
 */
export const GROUPS: Record<string, { suites: string; files: string[] }> = {
  job: { suites: 'job', files: ['job.machine.ts', 'job-rules.ts', 'light-job.ts'] },
  gate: {
    suites: 'gate',
    files: [
      'gate.machine.ts',
      'gate.types.ts',
      'refusals.ts',
      'records.ts',
      'running-jobs.ts',
      'recent-jobs.ts',
      'job-actors.ts',
      'outbound.ts',
      'types.ts',
    ],
  },
  connection: { suites: 'connection', files: ['connection.machine.ts', 'outbox.ts'] },
  engine: { suites: 'engine', files: ['engine.machine.ts'] },
  worker: {
    suites: 'worker',
    files: [
      'worker.machine.ts',
      'worker-degraded.ts',
      'worker-shutdown.ts',
      'worker.types.ts',
      'defaults.ts',
      'constant.ts',
    ],
  },
};

/** machines/ files no group names (placeholders.ts is left out of `mutate` on purpose). */
function ungrouped(): string[] {
  const grouped = new Set(Object.values(GROUPS).flatMap((group) => group.files));
  return globSync('machines/**/*.ts', { cwd: root })
    .map((file) => file.slice('machines/'.length))
    .filter((file) => file !== 'placeholders.ts' && !grouped.has(file));
}

function run(command: string, args: string[], env: Record<string, string> = {}): number {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const names = args.filter((arg) => arg !== '--force');
const unknown = names.filter((name) => !Object.hasOwn(GROUPS, name));
const missing = ungrouped();
if (unknown.length > 0 || missing.length > 0) {
  if (unknown.length > 0) console.error(`no such group: ${unknown.join(', ')}`);
  if (missing.length > 0) {
    console.error(
      `machines/ files in no group of test/model/mutation-run.ts: ${missing.join(', ')}`,
    );
  }
  console.error(`groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}

let failed = false;
for (const name of names.length > 0 ? names : Object.keys(GROUPS)) {
  const { suites, files } = GROUPS[name]!;
  const mutate = files.map((file) => `machines/${file}`).join(',');
  console.log(`\n== ${name}: ${mutate} under the ${suites} walks`);
  const stryker = ['stryker', 'run', '--mutate', mutate, ...(force ? ['--force'] : [])];
  if (run('npx', stryker, { MODEL_SUITES: suites }) !== 0) failed = true;
}
// The score over every group's results, against the threshold: a group alone does not decide.
const score = (mode: string) => run(process.execPath, ['test/model/mutation-score.ts', mode]);
const summarized = score('summarize') === 0 && score('check') === 0;
process.exit(failed || !summarized ? 1 : 0);
