/**
 * Every file of visualizations/, generated in memory, and the comparison that tells which
 * committed files are stale. Output is deterministic: no timestamps, no absolute paths, files
 * in a fixed order, so the check gives the same answer on every machine.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { machineGraph } from './graph.ts';
import { toMermaid } from './mermaid.ts';
import { type ReadmeEntry, toReadme } from './readme.ts';
import { renderReadable } from './render.ts';

export type VisualizedMachine = {
  /** The file stem in visualizations/ (`engine` → engine.mmd, engine.svg). */
  name: string;
  machine: AnyStateMachine;
  /** That file's path relative to the repository root, for links. */
  sourcePath: string;
};

/** File name → content, for `<name>.mmd`, `<name>.svg` and README.md. */
export async function generateFiles(
  machines: readonly VisualizedMachine[],
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const entries: ReadmeEntry[] = [];
  for (const { name, machine, sourcePath } of machines) {
    const graph = machineGraph(machine);
    const { direction, svg } = await renderReadable(graph);
    const mermaid = toMermaid(graph, direction);
    files.set(`${name}.mmd`, mermaid).set(`${name}.svg`, svg);
    entries.push({ name, graph, mermaid, sourcePath });
  }
  return files.set('README.md', toReadme(entries));
}

/** Writes the files into `dir` and removes any other file there (the folder is all generated). */
export async function writeFiles(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (!files.has(name)) await rm(join(dir, name), { recursive: true });
  }
  for (const [name, content] of files) await writeFile(join(dir, name), content);
}

export type StaleFile = { name: string; problem: 'differs' | 'missing' | 'not generated' };

/** Writes `files` into a temporary folder and compares `committed` with it. */
export async function checkFiles(
  files: ReadonlyMap<string, string>,
  committed: string,
): Promise<StaleFile[]> {
  const fresh = await mkdtemp(join(tmpdir(), 'casola-visualize-'));
  try {
    await writeFiles(fresh, files);
    return await staleFiles(fresh, committed);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/** What in `committed` does not match `fresh` (both folders), sorted by file name. */
export async function staleFiles(fresh: string, committed: string): Promise<StaleFile[]> {
  const freshNames = await listFiles(fresh);
  const committedNames = await listFiles(committed);
  const stale: StaleFile[] = [];
  for (const name of [...new Set([...freshNames, ...committedNames])].sort()) {
    if (!committedNames.includes(name)) stale.push({ name, problem: 'missing' });
    else if (!freshNames.includes(name)) stale.push({ name, problem: 'not generated' });
    else if (!(await sameContent(join(fresh, name), join(committed, name)))) {
      stale.push({ name, problem: 'differs' });
    }
  }
  return stale;
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([readFile(a), readFile(b)]);
  return left.equals(right);
}
