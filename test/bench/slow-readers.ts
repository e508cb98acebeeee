/**
 * Issue 21 item 3's measure: `casola-worker run` (mock vLLM, local queue) under a steady load of
 * jobs, with every kind of reader that stops reading attached at once: one `/inspect/ws`
 * browser, a CASOLA_INSPECT receiver, 20 `/debug/events` pages. Prints the worker's RSS before
 * they attach (the baseline, under the same load) and each 10 s after; exits 1 when it rose by
 * more than 100 MB. Not part of `npm test` (it runs for a minute).
 *
 * node test/bench/slow-readers.ts [seconds=60] [--control]
 *   --control  the same load with no slow reader attached, to tell their cost from the load's
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { freePort } from '../../src/net/free-port.ts';
import { eventIs, startLocalQueue } from '../../src/tools/queue/index.ts';
import { CLI, MOCK_VLLM_COMMAND, pathWithoutNvidiaSmi } from '../support/worker-process.ts';

const SECONDS = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 60);
const CONTROL = process.argv.includes('--control');
/** Load alone this long before the baseline: the worker's heap and JIT settle first. */
const WARM_UP_MS = 20_000;
const LIMIT_MB = 100;
const IN_FLIGHT = 8;

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const queue = await startLocalQueue();
const receiver = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve) => receiver.once('listening', resolve));
receiver.on('connection', (ws) => ws.pause());
const statusPort = await freePort();
const worker = spawn(process.execPath, [CLI, 'run'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    PATH: pathWithoutNvidiaSmi(),
    CASOLA_WS_URL: queue.wsUrl,
    CASOLA_CONFIG_ID: 'cfg',
    CASOLA_CAPACITY: String(IN_FLIGHT),
    CASOLA_STATUS_PORT: String(statusPort),
    CASOLA_INSPECT: `ws://127.0.0.1:${(receiver.address() as { port: number }).port}`,
    VLLM_MODEL: 'm',
    VLLM_PORT: String(await freePort()),
    VLLM_SERVE_COMMAND: MOCK_VLLM_COMMAND,
    VLLM_EXTRA_ARGS: '--instant --disable-uvicorn-access-log',
  },
});
const pid = worker.pid!;
await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 30_000 });

let running = true;
let completed = 0;
const load = Array.from({ length: IN_FLIGHT }, async () => {
  while (running) {
    const job = queue.createJob({
      payload: { task: 'openai/embeddings', input: 'x'.repeat(2_000) },
    });
    if ((await job.outcome).status === 'completed') completed += 1;
  }
});

await sleep(WARM_UP_MS);
const baseline = rssMb(pid);
console.log(`baseline (load only): ${baseline.toFixed(0)} MB RSS, ${completed} jobs done`);

const browser = new WebSocket(`ws://127.0.0.1:${statusPort}/inspect/ws`);
await new Promise((resolve) => browser.once('open', resolve));
if (CONTROL) browser.close();
else browser.pause();
const pages: Socket[] = Array.from({ length: CONTROL ? 0 : 20 }, () => {
  const page = connect(statusPort, '127.0.0.1');
  page.write('GET /debug/events HTTP/1.1\r\nhost: status\r\n\r\n');
  page.pause();
  return page;
});

let peak = baseline;
for (let s = 1; s <= SECONDS; s += 1) {
  await sleep(1_000);
  peak = Math.max(peak, rssMb(pid));
  if (s % 10 === 0) console.log(`${s} s: ${rssMb(pid).toFixed(0)} MB RSS, ${completed} jobs done`);
}
const metrics = await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text();
const dropped = metrics
  .split('\n')
  .filter((line) => line.startsWith('casola_status_clients_dropped'));
console.log(`peak ${peak.toFixed(0)} MB: +${(peak - baseline).toFixed(0)} MB over the baseline`);
console.log(dropped.join('\n') || 'no status client dropped');

running = false;
worker.kill('SIGTERM');
await new Promise((resolve) => worker.once('exit', resolve));
await Promise.allSettled(load);
browser.terminate();
for (const page of pages) page.destroy();
for (const client of receiver.clients) client.terminate();
receiver.close();
await queue.close();
process.exit(peak - baseline > LIMIT_MB ? 1 : 0);
