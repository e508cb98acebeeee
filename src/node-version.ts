/**
 * The oldest Node.js casola-worker runs on, checked before anything else loads. This module
 * imports nothing: on an older Node a dependency fails while it loads (execa calls
 * `Set.prototype.union`, the queue `Promise.withResolvers`) with an error that names neither
 * Node nor the fix, so every entry point runs this first.
 *
 * The minimum is the highest `engines.node` among the production dependencies (undici 8.13:
 * ≥ 22.19.0; commander 15.1: ≥ 22.12.0; execa 10: ≥ 22); package.json's `engines` states the
 * same (a test keeps them equal).
 */

/** The oldest supported Node.js, as [major, minor]. */
export const MIN_NODE: readonly [number, number] = [22, 19];

/** The one line an older Node gets, or undefined when `version` (e.g. `v20.20.2`) is new enough. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [minMajor, minMinor] = MIN_NODE;
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return `casola-worker needs Node.js ≥ ${minMajor}.${minMinor}; this is ${version} — see README`;
}

/** Prints the one line and exits 1 when this Node is too old. */
export function exitUnlessSupportedNode(): void {
  const problem = nodeVersionProblem(process.version);
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
