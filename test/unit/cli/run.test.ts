/**
 * Issue 18, item 6: `casola-worker run` whose parent dies (as `npx casola-worker run` killed
 * with SIGTERM: npm and its shell end, the worker is re-parented) drains and stops like on
 * SIGTERM, and vLLM with it, instead of running on under nobody. Only a worker npm started is
 * watched (`npm_command` set), so that a `nohup`'ed one runs on.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eventIs, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { freePort } from '../../support/free-port.ts';
import { CLI, MOCK_VLLM_COMMAND, pathWithoutNvidiaSmi } from '../../support/worker-process.ts';

/** Starts the worker as its child, prints the child's pid, then waits. */
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, [process.argv[1], 'run'], { stdio: 'inherit' });
console.log('child ' + child.pid);
setInterval(() => {}, 1000);
`;

describe('casola-worker run', () => {
  it('stops like on SIGTERM, vLLM included, when its parent dies', async () => {
    const queue = await startLocalQueue();
    const vllmPort = await freePort();
    const env = {
      PATH: pathWithoutNvidiaSmi(),
      CASOLA_WS_URL: queue.wsUrl,
      CASOLA_CONFIG_ID: 'cfg',
      VLLM_MODEL: 'org/model',
      VLLM_PORT: String(vllmPort),
      VLLM_SERVE_COMMAND: MOCK_VLLM_COMMAND,
      // As `npx casola-worker run` starts it: npm marks its children so (the watch is for them).
      npm_command: 'exec',
    };
    const parent = spawn(process.execPath, ['-e', PARENT, CLI], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    parent.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    parent.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // The pipes close when the last holder, the worker, has exited.
    const closed = new Promise<void>((resolve) => parent.stdout.on('close', resolve));
    try {
      await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 20_000 });
      parent.kill('SIGKILL');
      // Bounded, so that a worker that never stops fails the test and is stopped below.
      await Promise.race([closed, sleep(20_000)]);
      expect(stderr).toMatch(/the parent process \d+ \(npm\) is gone; stopping as on SIGTERM/);
      const stopped = stdout.split('\n').find((line) => line.includes('"worker stopped"'));
      expect(JSON.parse(stopped ?? '{}')).toMatchObject({ exit_code: 0 });
      await expect(fetch(`http://127.0.0.1:${vllmPort}/health`)).rejects.toThrow();
    } finally {
      // A worker left running stops itself and its vLLM on SIGTERM.
      const child = /child (\d+)/.exec(stdout)?.[1];
      if (child !== undefined && parent.stdout.readable) {
        process.kill(Number(child), 'SIGTERM');
        await closed;
      }
      await queue.close();
    }
  }, 40_000);
});
