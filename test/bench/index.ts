/**
 * `npm run bench`: runs the registered scenarios, prints one JSON line per scenario as it
 * finishes, then a table. Not part of `npm test`.
 *
 * node test/bench/index.ts [--only <text>] [--rounds <n>]
 *   --only    run the scenarios whose name contains <text> (repeatable)
 *   --rounds  measured rounds per side (default 5)
 *   --profile write each client's CPU profile (node --cpu-prof) into <dir>, to see where
 *             its time goes (open the .cpuprofile files in Chrome DevTools)
 */
import { parseArgs } from 'node:util';
import { type BenchContext, SCENARIOS, type ScenarioResult } from './registry.ts';
import { jsonLine, table } from './report.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '5' },
    profile: { type: 'string' },
  },
});
const filters = values.only ?? [];
const selected = SCENARIOS.filter(
  (scenario) => filters.length === 0 || filters.some((text) => scenario.name.includes(text)),
);
const context: BenchContext = {
  rounds: Number(values.rounds),
  progress: (line) => process.stderr.write(`  ${line}\n`),
  profileDir: values.profile,
};

const results: ScenarioResult[] = [];
let failures = 0;
const started = performance.now();
for (const scenario of selected) {
  process.stderr.write(`${scenario.name}: ${scenario.describe}\n`);
  try {
    for (const result of await scenario.run(context)) {
      results.push(result);
      console.log(jsonLine(result));
    }
  } catch (error) {
    failures += 1;
    const result = { scenario: scenario.name, error: String(error) };
    results.push(result);
    console.log(jsonLine(result));
  }
}
console.log(`\n${table(results)}`);
console.log(
  `\n${selected.length} scenarios in ${Math.round((performance.now() - started) / 1000)} s`,
);
process.exitCode = failures > 0 ? 1 : 0;
