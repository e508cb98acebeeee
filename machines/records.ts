/**
 * Records keyed by job id, as machine context: values, never mutated. A copy is prototype-less
 * (job ids are data: `__proto__` and `constructor` are just more ids) and is built key by key,
 * so V8 keeps it as a dictionary instead of minting a hidden class for every new job id, which
 * spreading (`{ ...record, [id]: value }`) does at a cost per job that showed in profiles.
 */

export type JobRecord<T> = Readonly<Record<string, T>>;

export function emptyRecord<T>(): JobRecord<T> {
  return Object.create(null) as Record<string, T>;
}

export function withEntry<T>(record: JobRecord<T>, key: string, value: T): JobRecord<T> {
  const next = Object.create(null) as Record<string, T>;
  for (const k in record) next[k] = record[k]!;
  next[key] = value;
  return next;
}

export function withoutEntry<T>(record: JobRecord<T>, key: string): JobRecord<T> {
  const next = Object.create(null) as Record<string, T>;
  for (const k in record) if (k !== key) next[k] = record[k]!;
  return next;
}

export function entryCount(record: JobRecord<unknown>): number {
  let count = 0;
  for (const _ in record) count += 1;
  return count;
}
