import { afterEach, describe, expect, it } from 'vitest';
import { createLogShipper, type LogEntry } from '../../../src/observability/log-shipper.ts';
import { createShippingLogger } from '../../../src/observability/shipping-logger.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';
import { captureLogs } from '../../support/log-capture.ts';

/** A shipper stand-in that keeps what it is given. */
function collector() {
  const pushed: LogEntry[] = [];
  return { enabled: true, push: (entry: LogEntry) => void pushed.push(entry), pushed };
}

function setup(level = 'debug') {
  const shipper = collector();
  const stdout = captureLogs();
  const logger = createShippingLogger({ shipper, destination: stdout.destination, level });
  return { logger, pushed: shipper.pushed, stdout };
}

describe('createShippingLogger', () => {
  it('writes each entry to the destination and pushes it to the shipper', () => {
    const { logger, pushed, stdout } = setup();
    const before = Date.now() / 1000;
    logger.info('vLLM is healthy');
    expect(stdout.entries()).toEqual([
      expect.objectContaining({ level: 30, source: 'worker', msg: 'vLLM is healthy' }),
    ]);
    expect(pushed).toEqual([
      {
        timestamp: expect.any(Number),
        level: 'info',
        source: 'worker',
        message: 'vLLM is healthy',
      },
    ]);
    expect(pushed[0]?.timestamp).toBeGreaterThanOrEqual(before);
    expect(pushed[0]?.timestamp).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it("gives vLLM's lines their own source, written once per line", () => {
    const { stdout } = setup();
    const pushed: unknown[] = [];
    const vllm = createShippingLogger({
      shipper: { enabled: true, push: (entry) => void pushed.push(entry) },
      destination: stdout.destination,
      source: 'vllm',
    });
    vllm.info('INFO 11-28 18:35:45 [api_server.py:1090] vLLM API server version 0.1.0');
    expect(
      stdout
        .lines()
        .at(-1)!
        .match(/"source"/g),
    ).toHaveLength(1);
    expect(stdout.entries().at(-1)).toMatchObject({ source: 'vllm' });
    expect(pushed).toMatchObject([{ source: 'vllm', level: 'info' }]);
  });

  it('names levels error, warning, info and debug', () => {
    const { logger, pushed } = setup('trace');
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    expect(pushed.map((e) => e.level)).toEqual([
      'debug',
      'debug',
      'info',
      'warning',
      'error',
      'error',
    ]);
  });

  it('pushes nothing below the logger level', () => {
    const { logger, pushed, stdout } = setup('info');
    logger.debug('hidden');
    expect(pushed).toEqual([]);
    expect(stdout.lines()).toEqual([]);
  });

  it("carries a child logger's job_id, config_id and source", () => {
    const { logger, pushed } = setup();
    const job = logger.child({ job_id: 'job-7', config_id: 'cfg-1' });
    job.info('job started');
    job.child({ source: 'vllm' }).warn('WARNING slow tokenizer');
    expect(pushed).toEqual([
      expect.objectContaining({ job_id: 'job-7', config_id: 'cfg-1', source: 'worker' }),
      expect.objectContaining({
        job_id: 'job-7',
        config_id: 'cfg-1',
        source: 'vllm',
        level: 'warning',
        message: 'WARNING slow tokenizer',
      }),
    ]);
  });

  it('takes context from the call object and formats printf-style messages', () => {
    const { logger, pushed } = setup();
    logger.info({ job_id: 'job-9', tokens: 12 }, 'finished %s in %d ms', 'job-9', 42);
    expect(pushed).toEqual([
      {
        timestamp: expect.any(Number),
        level: 'info',
        source: 'worker',
        message: 'finished job-9 in 42 ms',
        job_id: 'job-9',
      },
    ]);
  });

  it("includes an error's message", () => {
    const { logger, pushed } = setup();
    logger.error(new Error('socket hang up'));
    logger.error({ err: new Error('HTTP 500') }, 'job failed');
    expect(pushed.map((e) => e.message)).toEqual(['socket hang up', 'job failed: HTTP 500']);
  });

  it('does not build entries for a disabled shipper', () => {
    const pushed: LogEntry[] = [];
    const shipper = { enabled: false, push: (e: LogEntry) => void pushed.push(e) };
    const logger = createShippingLogger({ shipper, destination: captureLogs().destination });
    logger.info('x');
    expect(pushed).toEqual([]);
  });
});

describe('createShippingLogger with a real shipper', () => {
  let sink: HttpSink | undefined;
  afterEach(async () => {
    await sink?.close();
  });

  it('ships what the worker logs, with its context', async () => {
    sink = await startHttpSink();
    const failures = captureLogs();
    const shipper = createLogShipper({
      url: `${sink.url}/logs`,
      token: 't0k3n-value',
      instanceId: 'i',
      queueId: 'q',
      flushIntervalMs: 60_000,
      logger: failures.logger,
    });
    const logger = createShippingLogger({ shipper, destination: captureLogs().destination });
    logger.child({ source: 'vllm' }).error('ERROR CUDA out of memory');
    await shipper.stop();
    expect(sink.requests[0]?.body).toEqual({
      instance_id: 'i',
      queue_id: 'q',
      entries: [
        {
          timestamp: expect.any(Number),
          level: 'error',
          source: 'vllm',
          message: 'ERROR CUDA out of memory',
        },
      ],
    });
    expect(failures.lines()).toEqual([]);
  });
});
