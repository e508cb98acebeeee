/**
 * SIGTERM ends `casola-worker run` however its surroundings misbehave (issue 21 item 4), all at
 * once: a logs endpoint that answers each batch after 9 s (under its 10 s timeout), an
 * nvidia-smi that passes the start-up check and then hangs with its output open (a wedged
 * driver), a stdout nobody reads (a stalled log driver), and a CASOLA_INSPECT receiver that
 * never reads, so never answers the close. The worker is a real process on the local queue and
 * the mock vLLM; before, it was still running minutes after the signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { eventIs, type LocalQueue, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { freePort } from '../../support/free-port.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';
import {
  CLI,
  isAlive,
  MOCK_VLLM_COMMAND,
  pathWithoutNvidiaSmi,
} from '../../support/worker-process.ts';

const TOKEN = 'tok-deadlines-0123456789';
const opened: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const close of opened.reverse()) await close();
  opened.length = 0;
});

/** nvidia-smi that answers the start-up check (an idle H100), then hangs, holding stdout. */
async function wedgingNvidiaSmi(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'casola-wedged-'));
  opened.push(async () => {
    // The sleeps the worker abandoned (their shell was killed) go with the test.
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.pid')) continue;
      const pid = Number(await readFile(join(dir, name), 'utf8'));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  });
  const script = join(dir, 'nvidia-smi');
  await writeFile(
    script,
    [
      '#!/bin/sh',
      `if [ -e "${dir}/answered" ]; then sleep 600 & echo $! > "${dir}/$$.pid"; wait; fi`,
      `touch "${dir}/answered"`,
      'echo "NVIDIA H100 80GB HBM3, 81559, 0, 0, 0, 700.00, 700.00"',
    ].join('\n'),
  );
  await chmod(script, 0o755);
  return dir;
}

/** A WebSocket server that accepts and then never reads (nor answers a close). */
async function stuckInspector(): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  opened.push(() => {
    for (const client of server.clients) client.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => ws.pause());
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('casola-worker run: shutdown deadlines', () => {
  it('exits after SIGTERM with a slow logs endpoint, a wedged nvidia-smi, an unread stdout and a stuck inspector', async () => {
    const queue: LocalQueue = await startLocalQueue({ requireToken: TOKEN });
    opened.push(() => queue.close());
    const sink: HttpSink = await startHttpSink();
    opened.push(() => sink.close());
    sink.respond('/logs', { delayMs: 9_000 });
    const gpuDir = await wedgingNvidiaSmi();
    const env = {
      PATH: `${gpuDir}${delimiter}${pathWithoutNvidiaSmi()}`,
      CASOLA_WS_URL: queue.wsUrl,
      CASOLA_CONFIG_ID: 'cfg',
      CASOLA_INSTANCE_ID: 'deadlines',
      CASOLA_API_URL: sink.url,
      CASOLA_API_TOKEN: TOKEN,
      CASOLA_LOGS_URL: `${sink.url}/logs`,
      CASOLA_METRICS_URL: `${sink.url}/metrics`,
      CASOLA_LOG_FLUSH_INTERVAL: '0.2',
      CASOLA_SHUTDOWN_GRACE_PERIOD: '2',
      CASOLA_INSPECT: await stuckInspector(),
      VLLM_MODEL: 'm',
      VLLM_PORT: String(await freePort()),
      VLLM_SERVE_COMMAND: MOCK_VLLM_COMMAND,
    };
    // stdout is a pipe nobody reads; stderr is read (it carries nothing but a crash).
    const child = spawn(process.execPath, [CLI, 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(child);
    opened.push(() => child.exitCode === null && child.kill('SIGKILL'));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 20_000 });
    // A flood of log lines (each job logs) that stdout never takes and the endpoint takes slowly.
    const jobs = Array.from({ length: 40 }, (_, i) =>
      queue.createJob({ payload: { task: 'openai/embeddings', input: `line ${i}` } }),
    );
    for (const job of jobs) expect((await job.outcome).status).toBe('completed');
    // The metrics reporter's tick (30 s) does not come in this test: shutdown's last snapshot
    // is the one that meets the wedged nvidia-smi.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 60_000);
});
