/**
 * Small statistics for the bench: medians of rounds, percentiles of latencies, and numbers
 * rounded for people.
 */

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Rounds to `digits` significant digits, for tables and JSON lines alike. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** This process's CPU time so far (user and system, all threads), in µs. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * The median of each measure over `rounds` rounds, rounded: round 0 warms up and is not
 * counted, and the measures run in alternating order from round to round, so that neither
 * always runs first on a warmer or colder process.
 */
export async function alternatingMedians<K extends string>(
  names: readonly K[],
  rounds: number,
  measure: (name: K, round: number) => number | Promise<number>,
): Promise<Record<K, number>> {
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let r = 0; r <= rounds; r += 1) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const value = await measure(name, r);
      if (r > 0) samples.get(name)!.push(value);
    }
  }
  return Object.fromEntries(
    names.map((name) => [name, round(median(samples.get(name)!))]),
  ) as Record<K, number>;
}

export const MIB = 1024 * 1024;

export function mib(bytes: number): number {
  return round(bytes / MIB);
}
