/**
 * What the walks compare, in one place: values as JSON, a state path as the oracles write it,
 * and log lines in order.
 */
import { expect } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { LEVELS } from '../support/log-capture.ts';

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A state path as the oracles write it (`running.starting.spawning`), for `snapshot.matches`. */
export function stateValueOf(path: string): Parameters<AnyMachineSnapshot['matches']>[0] {
  return path
    .split('.')
    .reduceRight<unknown>(
      (inner, key) => (inner === undefined ? key : { [key]: inner }),
      undefined,
    ) as Parameters<AnyMachineSnapshot['matches']>[0];
}

/** A line a machine must log: pino's level name, its message (or a pattern), some fields. */
export type ExpectedLine = {
  level: keyof typeof LEVELS;
  message: string | RegExp;
  fields?: Record<string, unknown>;
};

/** `entries` (pino's JSON lines) are exactly `expected`, in order. */
export function expectLines(
  entries: readonly Record<string, unknown>[],
  expected: readonly ExpectedLine[],
): void {
  expect(entries.map((entry) => entry.msg)).toHaveLength(expected.length);
  for (const [i, line] of expected.entries()) {
    const entry = entries[i]!;
    expect(entry.level, String(entry.msg)).toBe(LEVELS[line.level]);
    if (typeof line.message === 'string') expect(entry.msg).toBe(line.message);
    else expect(entry.msg).toMatch(line.message);
    expect(entry).toMatchObject(line.fields ?? {});
  }
}
