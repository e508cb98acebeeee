/**
 * Merges each machine's coverage (coverage/model/<machine>.json, written by the model suites)
 * into coverage/model.json, prints one line per machine, and exits 1 when any machine has a
 * state or transition no walk covered, or when a machine has no coverage at all.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineReport } from './coverage.ts';

const MACHINES = ['connection', 'lease', 'gate', 'engine', 'worker'];
const dir = join(import.meta.dirname, '../../coverage/model');

const machines: Record<string, MachineReport> = {};
let failed = false;
for (const name of MACHINES) {
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    console.log(`${name.padEnd(10)} no coverage: its model suite did not run`);
    failed = true;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as MachineReport;
  machines[name] = report;
  const { states, transitions } = report;
  const complete = states.missing.length === 0 && transitions.missing.length === 0;
  failed ||= !complete;
  console.log(
    `${name.padEnd(10)} states ${states.covered}/${states.total}, transitions ${transitions.covered}/${transitions.total}` +
      (complete ? '' : `; missing: ${[...states.missing, ...transitions.missing].join(', ')}`),
  );
}
writeFileSync(join(dir, '../model.json'), `${JSON.stringify({ machines }, null, 2)}\n`);
process.exit(failed ? 1 : 0);
