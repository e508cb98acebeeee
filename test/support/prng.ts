/**
 * A seeded pseudo-random generator (mulberry32): chaos, fuzz and bench runs print their seed,
 * and the same seed draws the same jobs and faults again.
 */
export type Prng = {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
};

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** The seed from an environment variable when set (to replay a run), else the fixed default. */
export function seedFrom(variable: string, fallback: number): number {
  const raw = process.env[variable];
  const value = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isSafeInteger(value) ? value : fallback;
}
