import { defineConfig } from 'vitest/config';

/** `npm run test:model`: the model-based walks (test/model/report.ts then checks coverage). */
export default defineConfig({
  test: {
    include: ['test/model/**/*.model.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
