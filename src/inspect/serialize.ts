/**
 * Inspection events as JSON text for a WebSocket. Snapshots hold actor refs (which serialize
 * themselves), Maps, errors and, through them, cycles: this never throws and never recurses
 * without bound.
 */

/** How deep objects are followed; deeper ones become `"[depth]"`. Default 10 (the library's). */
const DEPTH_LIMIT = 10;

export function toJsonText(value: unknown, depthLimit = DEPTH_LIMIT): string {
  return JSON.stringify(toPlain(value, depthLimit, new Set())) ?? 'null';
}

function toPlain(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function') return { type: value.name || 'anonymous' };
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[circular]';
  if (depth <= 0) return '[depth]';
  const own = value as { toJSON?: () => unknown };
  if (typeof own.toJSON === 'function') {
    const json = own.toJSON();
    if (json !== value) return toPlain(json, depth, ancestors);
  }
  ancestors.add(value);
  try {
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (value instanceof Map) return plainObject(value.entries(), depth, ancestors);
    if (value instanceof Set) return [...value].map((v) => toPlain(v, depth - 1, ancestors));
    if (Array.isArray(value)) return value.map((v) => toPlain(v, depth - 1, ancestors));
    return plainObject(Object.entries(value), depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function plainObject(
  entries: Iterable<[unknown, unknown]>,
  depth: number,
  ancestors: Set<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) out[String(key)] = toPlain(v, depth - 1, ancestors);
  return out;
}
