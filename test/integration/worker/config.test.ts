/**
 * Bad configuration stops `casola-worker run` before anything starts: exit code 2 and one
 * message on stderr naming every bad variable, and not a single request anywhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';
import {
  MOCK_VLLM_COMMAND,
  pathWithoutNvidiaSmi,
  startWorkerProcess,
} from '../../support/worker-process.ts';

let sink: HttpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('casola-worker run: bad configuration', () => {
  it('exits 2 with one message naming every bad variable, having started nothing', async () => {
    sink = await startHttpSink();
    const worker = startWorkerProcess({
      PATH: pathWithoutNvidiaSmi(),
      CASOLA_CONFIG_ID: 'cfg',
      CASOLA_CAPACITY: 'abc',
      CASOLA_SHUTDOWN_GRACE_PERIOD: '-1',
      CASOLA_API_URL: sink.url,
      CASOLA_API_TOKEN: 'tok-config-test',
      VLLM_PORT: '70000',
      VLLM_SERVE_COMMAND: MOCK_VLLM_COMMAND,
    });
    expect(await worker.exitCode).toBe(2);

    expect(worker.stdout.filter((line) => line !== '')).toEqual([]);
    const message = worker.stderr.join('\n');
    expect(message.match(/^casola-worker: invalid configuration:$/gm)).toHaveLength(1);
    const named = worker.stderr.flatMap((line) => /^ {2}- ([A-Z_]+)\b/.exec(line)?.[1] ?? []);
    expect(named).toEqual([
      'CASOLA_WS_URL',
      'CASOLA_CAPACITY',
      'CASOLA_SHUTDOWN_GRACE_PERIOD',
      'VLLM_MODEL',
      'VLLM_PORT',
    ]);
    expect(message).toContain('CASOLA_WS_URL is missing');
    expect(message).toContain('VLLM_MODEL is missing');
    expect(message).toContain("CASOLA_CAPACITY='abc' is not a number");
    expect(message).toContain("CASOLA_SHUTDOWN_GRACE_PERIOD='-1' must not be negative");
    expect(message).toContain("VLLM_PORT='70000' must be at most 65535");
    expect(sink.requests).toEqual([]);
  });

  it('exits 2 on a queue URL that is not ws:// or wss://', async () => {
    const worker = startWorkerProcess({
      PATH: pathWithoutNvidiaSmi(),
      CASOLA_WS_URL: 'http://queue.example.com',
      CASOLA_CONFIG_ID: 'cfg',
      VLLM_MODEL: 'm',
    });
    expect(await worker.exitCode).toBe(2);
    expect(worker.stderr.join('\n')).toContain(
      "CASOLA_WS_URL='http://queue.example.com' is not a ws:// or wss:// URL",
    );
  });

  it('exits 2 on an API token an HTTP header cannot carry, having started nothing', async () => {
    sink = await startHttpSink();
    const worker = startWorkerProcess({
      PATH: pathWithoutNvidiaSmi(),
      CASOLA_WS_URL: 'ws://127.0.0.1:1',
      CASOLA_CONFIG_ID: 'cfg',
      CASOLA_API_URL: sink.url,
      // An en dash from a copy-paste: the first heartbeat or register would throw ERR_INVALID_CHAR.
      CASOLA_API_TOKEN: 'tok–0123456789',
      VLLM_MODEL: 'm',
      VLLM_SERVE_COMMAND: MOCK_VLLM_COMMAND,
    });
    expect(await worker.exitCode).toBe(2);
    expect(worker.stdout.filter((line) => line !== '')).toEqual([]);
    const message = worker.stderr.join('\n');
    expect(message).toContain(
      "CASOLA_API_TOKEN='****6789' has U+2013 at character 4, which an HTTP header cannot carry",
    );
    expect(message).not.toContain('tok–');
    expect(sink.requests).toEqual([]);
  });
});
