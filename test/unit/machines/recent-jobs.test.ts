import { describe, expect, it } from 'vitest';
import {
  MAX_ID_CHARS,
  noRecentJobs,
  type RecentJobs,
  recentToken,
  remember,
} from '../../../machines/recent-jobs.ts';

function settle(ids: readonly string[], size: number, start = noRecentJobs): RecentJobs {
  return ids.reduce((recent, id, i) => remember(recent, id, i, size), start);
}

const ids = (count: number, prefix = 'job') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('recent jobs (the gate memory)', () => {
  it('remembers exactly the last `size` settlements, across chunk boundaries', () => {
    for (const size of [1, 2, 63, 64, 65, 100, 1_000]) {
      const settled = ids(size * 3 + 7);
      const recent = settle(settled, size);
      const remembered = settled.filter((id) => recentToken(recent, id, size) !== undefined);
      expect(remembered).toEqual(settled.slice(-size));
    }
  });

  it('gives the latest token of a job settled more than once', () => {
    let recent = remember(noRecentJobs, 'a', 1, 10);
    recent = settle(ids(100, 'x'), 1_000, recent);
    recent = remember(recent, 'a', 7, 1_000);
    expect(recentToken(recent, 'a', 1_000)).toBe(7);
  });

  it('keeps at most `size` + 128 entries, however many jobs settle', () => {
    const recent = settle(ids(20_000), 1_000);
    const stored =
      recent.open.length + recent.chunks.reduce((n, c) => n + Object.keys(c.jobs).length, 0);
    expect(stored).toBeLessThanOrEqual(1_128);
    expect(stored).toBeGreaterThanOrEqual(1_000);
  });

  it('bounds the characters of the ids it holds, not only their count (huge job ids)', () => {
    // 40 ids of 1 Mi characters each: by count alone all 40 stayed.
    const huge = Array.from({ length: 40 }, (_, i) => `${i}:`.padEnd(1024 * 1024, 'x'));
    const recent = settle(huge, 1_000);
    const held = [...recent.open, ...recent.chunks.flatMap((c) => Object.values(c.jobs))];
    const chars = held.reduce((sum, entry) => sum + entry.jobId.length, 0);
    expect(chars).toBeLessThanOrEqual(MAX_ID_CHARS + 2 * 1024 * 1024);
    // The newest is still known: a re-delivery of the job just settled is recognised.
    expect(recentToken(recent, huge.at(-1)!, 1_000)).toBe(39);
  });

  it('takes any string as a job id, __proto__ included', () => {
    const recent = settle(['__proto__', 'constructor', ...ids(200)], 1_000);
    expect(recentToken(recent, '__proto__', 1_000)).toBe(0);
    expect(recentToken(recent, 'constructor', 1_000)).toBe(1);
    expect(recentToken(recent, 'toString', 1_000)).toBeUndefined();
  });

  it('never changes a value it returned: older values still answer as before', () => {
    const before = settle(ids(200), 50);
    const after = settle(ids(200, 'y'), 50, before);
    expect(recentToken(before, 'job199', 50)).toBe(199);
    expect(recentToken(after, 'job199', 50)).toBeUndefined();
  });
});
