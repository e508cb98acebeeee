/**
 * `npm run visualize`: draws every machine into visualizations/.
 * `npm run visualize:check`: draws them into a temporary folder and exits 1, naming each
 * stale file, when visualizations/ differs from what the machines say.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkFiles, generateFiles, type VisualizedMachine, writeFiles } from './generate.ts';
import { MACHINES } from './machines.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const OUT = 'visualizations';

function projectMachines(): VisualizedMachine[] {
  return MACHINES.map(({ name, machine }) => ({
    name,
    machine,
    sourcePath: `machines/${name}.machine.ts`,
  }));
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const files = await generateFiles(projectMachines());
  if (!values.check) {
    await writeFiles(join(ROOT, OUT), files);
    console.log(`wrote ${files.size} files to ${OUT}/`);
    return 0;
  }
  const stale = await checkFiles(files, join(ROOT, OUT));
  for (const { name, problem } of stale) console.error(`stale: ${OUT}/${name} (${problem})`);
  if (stale.length === 0) {
    console.log(`${OUT}/ is up to date (${files.size} files)`);
    return 0;
  }
  console.error('the diagrams do not match the machines: run `npm run visualize` and commit');
  return 1;
}

process.exitCode = await main();
