/**
 * Merges each machine's coverage (coverage/model/<machine>.json, or one file per suite of a
 * machine walked from several inputs, <machine>.<part>.json) into coverage/model.json, prints
 * one line per machine, and exits 1 when any machine has a state, transition or reachable pair
 * of consecutive transitions no walk covered, or when a machine has no coverage at all.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineReport } from './coverage.ts';

const MACHINES = ['connection', 'job', 'gate', 'engine', 'worker'];
const dir = join(import.meta.dirname, '../../coverage/model');

const machines: Record<string, MachineReport> = {};
let failed = false;
/** The union of several suites' coverage of one machine: covered where any walk covered it. */
function merged(reports: MachineReport[]): MachineReport {
  const part = (pick: (r: MachineReport) => MachineReport['states']) => {
    const missing = pick(reports[0]!).missing.filter((id) =>
      reports.every((r) => pick(r).missing.includes(id)),
    );
    const { total } = pick(reports[0]!);
    return { total, covered: total - missing.length, missing };
  };
  // The pairs to cover are those of the suites that walk pairs (a suite may add walks of what
  // only its input reaches without planning every pair again); any suite's walk may cover them.
  const walking = reports.filter((r) => r.pairs.walked);
  const planning = walking.length > 0 ? walking : reports;
  const reachable = [...new Set(planning.flatMap((r) => r.pairs.reachable))];
  const missing = reachable.filter((id) => reports.every((r) => !covers(r, id)));
  const pairs = { total: reachable.length, covered: reachable.length - missing.length, missing };
  return {
    states: part((r) => r.states),
    transitions: part((r) => r.transitions),
    pairs: {
      ...pairs,
      reachable,
      walked: walking.length > 0,
      unreachable: unreachableOf(reports),
    },
    coveredBy: Object.assign({}, ...reports.map((r) => r.coveredBy)),
  };
}

/** Every suite's unreachable pairs, by why: two suites giving the same why keep both lists. */
function unreachableOf(reports: MachineReport[]): Record<string, string[]> {
  const byWhy: Record<string, string[]> = {};
  for (const r of reports) {
    for (const [why, ids] of Object.entries(r.pairs.unreachable ?? {})) {
      byWhy[why] = [...new Set([...(byWhy[why] ?? []), ...ids])];
    }
  }
  return byWhy;
}

/** Whether a suite walked the pair (a pair it cannot reach it does not list as missing). */
const covers = (r: MachineReport, id: string) =>
  r.pairs.reachable.includes(id) && !r.pairs.missing.includes(id);

const files = existsSync(dir) ? readdirSync(dir) : [];
for (const name of MACHINES) {
  const mine = files.filter((f) => f === `${name}.json` || f.startsWith(`${name}.`));
  if (mine.length === 0) {
    console.log(`${name.padEnd(10)} no coverage: its model suite did not run`);
    failed = true;
    continue;
  }
  const report = merged(
    mine.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MachineReport),
  );
  machines[name] = report;
  const { states, transitions, pairs } = report;
  const missing = [...states.missing, ...transitions.missing];
  if (pairs.walked) missing.push(...pairs.missing);
  failed ||= missing.length > 0;
  console.log(
    `${name.padEnd(10)} states ${states.covered}/${states.total}, transitions ${transitions.covered}/${transitions.total}, pairs ${pairs.covered}/${pairs.total}${pairs.walked ? '' : ' (not walked yet)'}${unreachableNote(pairs.unreachable)}` +
      (missing.length === 0 ? '' : `; missing: ${missing.join(', ')}`),
  );
}
/** How many pairs the real actors cannot take (listed, with why, in coverage/model.json). */
function unreachableNote(unreachable: Record<string, string[]>): string {
  const count = Object.values(unreachable).flat().length;
  return count === 0 ? '' : ` (+${count} unreachable against the real actors)`;
}

// The merged file says how many pairs there are and which are missing, not the whole list.
const written = Object.fromEntries(
  Object.entries(machines).map(([name, r]) => {
    const { reachable: _, ...pairs } = r.pairs;
    return [name, { ...r, pairs }];
  }),
);
writeFileSync(join(dir, '../model.json'), `${JSON.stringify({ machines: written }, null, 2)}\n`);
process.exit(failed ? 1 : 0);
