/**
 * The orphan watcher (`npx casola-worker run` whose npm died): its request to stop is a first
 * shutdown request only, never a second signal that cuts a running drain short.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../src/tools/queue/index.ts';
import { postJson } from '../../support/queue-harness.ts';
import { CONFIG_ID, useWorkerHarness } from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

describe('casola-worker run under npm whose parent dies', () => {
  it('SIGTERM then the parent killed: the running job still completes within the grace period', async () => {
    const { queue, worker } = await harness.start({
      mockArgs: ['--response-delay-ms', '4000'],
      // As npx sets it: the watcher acts only under npm.
      env: { npm_command: 'exec', CASOLA_SHUTDOWN_GRACE_PERIOD: '60' },
      underShell: true,
    });
    const answer = postJson(`${queue.httpUrl}/v1/chat/completions`, {
      model: CONFIG_ID,
      messages: [{ role: 'user', content: 'still here' }],
    });
    await worker.waitForLine(/"msg":"chat completion"/);
    // The shell's only child (Linux lists a task's children in /proc).
    const children = await readFile(`/proc/${worker.pid}/task/${worker.pid}/children`, 'utf8');
    const workerPid = Number(children.trim());
    expect(Number.isInteger(workerPid)).toBe(true);

    // `kill -TERM -<pgid>`: the worker starts draining, npm (here the shell) dies at once.
    process.kill(workerPid, 'SIGTERM');
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'drain'));
    worker.signal('SIGKILL');

    expect(await answer).toMatchObject({
      status: 200,
      body: { choices: [{ message: { content: 'still here' } }] },
    });
    await worker.waitForLine(/"msg":"worker stopped"/);
    expect(worker.stdout.concat(worker.stderr).filter((l) => /second signal/.test(l))).toEqual([]);
    expect(
      queue.events
        .filter(eventIs('frame_in', (e) => e.frame.type !== 'register'))
        .map((e) => e.frame.type),
    ).toEqual(['drain', 'job_result']);
  });
});
