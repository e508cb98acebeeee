import { createRequire } from 'node:module';

/** The package version, read from package.json (works from src/ and from dist/src/). */
export const VERSION: string = (() => {
  const require = createRequire(import.meta.url);
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'casola-worker' && pkg.version) return pkg.version;
    } catch {
      // not at this depth: try the next one
    }
  }
  return '0.0.0';
})();
