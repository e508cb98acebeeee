/**
 * A job's result is serialised once: its size decides offloading, and the same text is what
 * gets uploaded. Object results are cached by identity, so a result is never stringified
 * twice for those two purposes.
 */
const cache = new WeakMap<object, string>();

export function resultJson(result: unknown): string {
  if (typeof result !== 'object' || result === null) return JSON.stringify(result ?? null);
  const cached = cache.get(result);
  if (cached !== undefined) return cached;
  const json = JSON.stringify(result);
  cache.set(result, json);
  return json;
}
