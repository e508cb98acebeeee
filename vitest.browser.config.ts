import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: pages opened in Debian's Chromium (/usr/bin/chromium) via playwright-core. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
