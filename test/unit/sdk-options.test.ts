import { describe, expect, it } from 'vitest';
import { createWorker, type WorkerOptions, WorkerOptionsError } from '../../src/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const GOOD: WorkerOptions = {
  wsUrl: 'ws://127.0.0.1:1',
  workerId: 'w',
  configId: 'cfg',
  onJob: () => null,
};

function problemsOf(options: object): readonly string[] {
  try {
    createWorker({ ...GOOD, ...options } as WorkerOptions);
  } catch (error) {
    if (error instanceof WorkerOptionsError) return error.problems;
    throw error;
  }
  return [];
}

describe('createWorker options', () => {
  it.each([
    [{ capacity: Number.NaN }, 'capacity must be a whole number of jobs'],
    [{ capacity: 1.5 }, 'capacity must be a whole number of jobs'],
    [{ capacity: Number.POSITIVE_INFINITY }, 'capacity must be a whole number of jobs'],
    [{ capacity: 0 }, 'capacity must be at least 1'],
    [{ workerId: '' }, 'workerId must not be empty'],
    [{ configId: '' }, 'configId must not be empty'],
    [{ wsUrl: 'http://queue.example.com' }, 'wsUrl must be a ws:// or wss:// URL'],
    [{ wsUrl: 'ws://queue.example.com/#x' }, 'wsUrl must not have a #fragment'],
    // Issue 18, item 8: a missing URL is said to be missing, and a misspelt option is named.
    [{ wsUrl: undefined }, "wsUrl is required: the queue's base URL, ws:// or wss://"],
    [{ wsurl: 'ws://q' }, "options has no option 'wsurl' (a misspelling?)"],
    [{ timings: { pingInterval: 5 } }, "timings has no option 'pingInterval' (a misspelling?)"],
    [{ onJob: undefined }, 'onJob must be a function (the job handler)'],
    // Sent as `Authorization: Bearer ...`: Node throws ERR_INVALID_CHAR in the socket's connect.
    [
      { apiToken: 'token\n' },
      'apiToken has U+000A at character 6, which an HTTP header cannot carry (only visible ASCII, no spaces)',
    ],
    [
      { apiToken: 'tok–0123456789' },
      'apiToken has U+2013 at character 4, which an HTTP header cannot carry (only visible ASCII, no spaces)',
    ],
    [{ maxFrameBytes: 0 }, 'maxFrameBytes must be at least 1'],
    [{ timings: { renewIntervalMs: -5 } }, 'timings.renewIntervalMs must be at least 1 ms'],
    [
      { timings: { pingIntervalMs: Number.NaN } },
      'timings.pingIntervalMs must be a number of milliseconds',
    ],
    [
      { timings: { gracePeriodMs: 2 ** 31 } },
      'timings.gracePeriodMs must be at most 2147483647 ms',
    ],
  ])('refuses %o: %s', (options, problem) => {
    expect(problemsOf(options)).toEqual([problem]);
  });

  it('names every bad option in one error', () => {
    expect(() => createWorker({ ...GOOD, capacity: -1, workerId: '' })).toThrow(
      'invalid worker options:\n  - workerId must not be empty\n  - capacity must be at least 1',
    );
  });

  it('takes good options, a zero grace period, a logger and an inspector included', () => {
    expect(problemsOf({ capacity: 8, timings: { gracePeriodMs: 0 } })).toEqual([]);
    expect(problemsOf({ logger: silentLogger(), inspect: () => {}, apiToken: 't' })).toEqual([]);
  });

  it('stops a worker that was never started at once, with exit code 0', async () => {
    const worker = createWorker(GOOD);
    await expect(worker.stop()).resolves.toEqual({ exitCode: 0, failure: undefined });
  });
});
