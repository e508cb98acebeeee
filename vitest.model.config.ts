import { defineConfig } from 'vitest/config';

/**
 * `npm run test:model`: the model-based walks (test/model/report.ts then checks coverage).
 * MODEL_SUITES (comma-separated names: gate, job, connection, engine, worker, runner) walks only
 * those machines' suites, e.g. for a mutation run over one machine's files (README "Model walks").
 */
const suites = process.env.MODEL_SUITES?.split(',').filter(Boolean) ?? [];

export default defineConfig({
  test: {
    include:
      suites.length === 0
        ? ['test/model/**/*.model.test.ts']
        : suites.map((name) => `test/model/${name}.model.test.ts`),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
