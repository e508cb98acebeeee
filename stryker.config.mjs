/**
 * `npm run test:mutation` (test/model/mutation-run.ts): StrykerJS mutates the machines, one
 * group of files at a time, and runs the model walks alone (vitest.model.config.ts, the
 * group's suites) against each mutant; test/model/mutation-score.ts then writes the committed
 * score and survivors (reports/mutation/summary.json) that CI checks against the threshold.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  // The walks reach the machines through the worker's actors, not by import alone.
  vitest: { configFile: 'vitest.model.config.ts', related: false },
  // machines/placeholders.ts only fails when src/ forgets to provide a piece, which the walks
  // (running what src/ provides) never do; test/unit/machines/placeholders.test.ts checks it.
  mutate: ['machines/**/*.ts', '!machines/placeholders.ts'],
  // Code whose mutants are equivalent under every walk, each with why (test/model/stryker):
  // descriptions (the diagrams' documentation), setup's types and placeholders.
  appendPlugins: ['./test/model/stryker/ignorers.mjs'],
  ignorers: ['description', 'placeholder'],
  // Every walk of the group for every mutant (killed ones stop at the first red walk): per-test
  // coverage credits code that runs after a walk's step returned (a heartbeat, a log line) to
  // the wrong walk, so Stryker skipped the walk that kills it. Nine in ten mutants are static
  // and run every walk anyway.
  coverageAnalysis: 'all',
  // Only mutants whose code or covering walks changed run again; the file is committed.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  // The machine is shared: one walk at a time.
  concurrency: 1,
  // A mutant that makes a walk hang ends it after this much more than the walk's own time (ms).
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { logTests: false },
  // The threshold is the score over all of machines/ (mutation-score.ts check), not a group's.
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  // No tsconfig to rewrite: the walks run TypeScript through vitest, and Stryker's rewrite calls
  // the TypeScript 5 API, which TypeScript 7 (this project's) does not have.
  tsconfigFile: 'stryker-has-no-tsconfig.json',
};
