/**
 * The mutation score of the machines under the model walks (StrykerJS, stryker.config.mjs).
 *
 *   node test/model/mutation-score.ts summarize   # after `stryker run` (npm run test:mutation)
 *   node test/model/mutation-score.ts check       # CI: the committed summary against the threshold
 *
 * `summarize` reads Stryker's JSON report (reports/mutation/mutation.json, not committed) and
 * writes reports/mutation/summary.json (committed): the score, the counts, the files mutated
 * and every surviving mutant by file. `check` reads only that summary and exits 1 when the
 * score is under the threshold (stryker.config.mjs's `thresholds.low`, copied into the
 * summary) or when the summary leaves out a file of stryker.config.mjs's `mutate` that has code
 * to mutate (a run of one file cannot pass for all of machines/), so CI checks the last run
 * without running Stryker.
 */
import { globSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');
const dir = join(root, 'reports/mutation');
const REPORT = join(dir, 'mutation.json');
const INCREMENTAL = join(dir, 'stryker-incremental.json');
const SUMMARY = join(dir, 'summary.json');

type Mutant = {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
};
type Report = {
  thresholds: { high: number; low: number };
  files: Record<string, { mutants: Mutant[] }>;
};

export type Summary = {
  /** The score under which CI fails, in percent (stryker.config.mjs `thresholds.low`). */
  threshold: number;
  /** Killed and timed-out mutants over all valid ones, in percent, one decimal. */
  score: number;
  counts: Record<string, number>;
  files: string[];
  /** Each file's score, in percent, one decimal (as `score`, over its mutants alone). */
  scores: Record<string, number>;
  /** Each surviving (or uncovered) mutant: `line:column mutator → replacement`, by file. */
  survivors: Record<string, string[]>;
};

/** Mutants that do not count: they could not run, or a comment disabled them. */
const INVALID = new Set(['CompileError', 'RuntimeError', 'Ignored', 'Pending']);
const DETECTED = new Set(['Killed', 'Timeout']);

function summarize(): Summary {
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
  const counts: Record<string, number> = {};
  const survivors: Record<string, string[]> = {};
  const scores: Record<string, number> = {};
  for (const [file, { mutants }] of Object.entries(report.files)) {
    scores[file] = scoreOf(mutants.map((m) => m.status));
    for (const m of mutants) {
      counts[m.status] = (counts[m.status] ?? 0) + 1;
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const { line, column } = m.location.start;
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
      survivors[file] = [
        ...(survivors[file] ?? []),
        `${line}:${column} ${m.mutatorName} → ${replacement}`,
      ];
    }
  }
  const statuses = Object.entries(counts).flatMap(([status, n]) => Array(n).fill(status));
  const files = Object.keys(report.files).sort();
  const sortedScores = Object.fromEntries(files.map((file) => [file, scores[file]!]));
  return {
    threshold: report.thresholds.low,
    // No valid mutant at all is no measure, not a perfect one.
    score: statuses.some((status) => !INVALID.has(status)) ? scoreOf(statuses) : 0,
    counts,
    files,
    scores: sortedScores,
    survivors,
  };
}

/** Killed and timed-out mutants over all valid ones, in percent, one decimal. */
function scoreOf(statuses: readonly string[]): number {
  const valid = statuses.filter((status) => !INVALID.has(status));
  const detected = valid.filter((status) => DETECTED.has(status)).length;
  return valid.length === 0 ? 100 : Math.round((detected / valid.length) * 1000) / 10;
}

/**
 * Whether a file has code Stryker can mutate: anything left once types, comments, imports and
 * re-exports are gone (Stryker reports no file for a file of types alone).
 */
function hasCode(file: string): boolean {
  const code = stripTypeScriptTypes(readFileSync(join(root, file), 'utf8'))
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/\b(import|export)\b[^;]*?\bfrom\s*(['"])[^'"]*\2;?/g, '')
    .replace(/\bexport\s*\{\s*\};?/g, '');
  return code.trim() !== '';
}

/**
 * Files with code in which Stryker makes no mutant, each with why: it skips every `x as T`
 * expression whole, value and type, and these hold values written `as const` alone. State configs
 * are written `constant({ ... })` (machines/constant.ts) so that they are mutated; these are data.
 */
const WITHOUT_MUTANTS: Record<string, string> = {
  'machines/defaults.ts': 'every delay and limit, one frozen object `as const`',
  'machines/types.ts': 'types, and the abort messages `as const satisfies` their reasons',
};

/** The files of stryker.config.mjs's `mutate` with code that the summary does not cover. */
async function uncovered(summary: Summary): Promise<string[]> {
  const config = (await import(pathToFileURL(join(root, 'stryker.config.mjs')).href)) as {
    default: { mutate: string[] };
  };
  const covered = new Set(summary.files);
  // `!pattern` leaves files out, as in Stryker's own `mutate`.
  const patterns = config.default.mutate.filter((pattern) => !pattern.startsWith('!'));
  const excluded = config.default.mutate.flatMap((pattern) =>
    pattern.startsWith('!') ? globSync(pattern.slice(1), { cwd: root }) : [],
  );
  return globSync(patterns, { cwd: root })
    .sort()
    .filter((file) => !covered.has(file) && !excluded.includes(file) && hasCode(file))
    .filter((file) => !Object.hasOwn(WITHOUT_MUTANTS, file));
}

/**
 * The mutated files whose code changed since the committed results were measured (the
 * incremental file keeps each file's source): their score is of code that is gone.
 */
function stale(): string[] {
  const incremental = JSON.parse(readFileSync(INCREMENTAL, 'utf8')) as {
    files: Record<string, { source: string }>;
  };
  return Object.entries(incremental.files)
    .filter(([file, { source }]) => readFileSync(join(root, file), 'utf8') !== source)
    .map(([file]) => file);
}

const mode = process.argv[2];
if (mode === 'summarize') {
  const summary = summarize();
  writeFileSync(SUMMARY, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`mutation score ${summary.score} % (threshold ${summary.threshold} %)`);
} else if (mode === 'check') {
  const summary = JSON.parse(readFileSync(SUMMARY, 'utf8')) as Summary;
  const missing = await uncovered(summary);
  const ok = summary.score >= summary.threshold && missing.length === 0;
  console.log(
    `mutation score ${summary.score} % of ${summary.files.length} file(s) (threshold ${summary.threshold} %)` +
      (summary.score >= summary.threshold
        ? ''
        : ': too low; run npm run test:mutation and kill or explain the survivors'),
  );
  if (missing.length > 0) {
    console.log(
      `the summary leaves out ${missing.length} file(s) Stryker mutates: ${missing.join(', ')}; run npm run test:mutation over all of them`,
    );
  }
  const changed = stale();
  if (changed.length > 0) {
    // A warning, not a failure: a run takes a while, and the next one measures the change.
    console.log(
      `warning: changed since their mutants were last run: ${changed.join(', ')}; npm run test:mutation measures them again`,
    );
  }
  process.exit(ok ? 0 : 1);
} else {
  console.error('usage: node test/model/mutation-score.ts summarize|check');
  process.exit(2);
}
