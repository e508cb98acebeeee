/**
 * What a telemetry sender's test needs (heartbeats, log shipping, metrics): an HTTP sink to post
 * to and a captured logger, fresh for each test. After each test the sink closes, fake timers
 * are undone, and no captured log line may hold the token.
 */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { type HttpSink, startHttpSink } from './http-sink.ts';
import { type CapturedLogs, captureLogs } from './log-capture.ts';

export type TelemetryHarness = {
  readonly sink: HttpSink;
  readonly logs: CapturedLogs;
  /** The captured entries at warn level. */
  warnings(): Array<Record<string, unknown>>;
};

export function useTelemetryHarness(token: string): TelemetryHarness {
  let sink: HttpSink | undefined;
  let logs: CapturedLogs | undefined;
  beforeEach(async () => {
    sink = await startHttpSink();
    logs = captureLogs();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await sink?.close();
    for (const line of logs?.lines() ?? []) expect(line).not.toContain(token);
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the telemetry harness starts in beforeEach');
    return value;
  };
  return {
    get sink() {
      return started(sink);
    },
    get logs() {
      return started(logs);
    },
    warnings: () =>
      started(logs)
        .entries()
        .filter((entry) => entry.level === 40),
  };
}
