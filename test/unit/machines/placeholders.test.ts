/**
 * A machine started without what src/ provides stops at once with an error that names the missing
 * piece and how to give it (machines/placeholders.ts). The model walks never see this (they run
 * what src/ provides), so Stryker leaves the file out and this checks it.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { jobMachine } from '../../../machines/job.machine.ts';
import {
  actionNotProvided,
  callbackNotProvided,
  lightWorkNotProvided,
  promiseNotProvided,
} from '../../../machines/placeholders.ts';
import { jobFrame } from '../../support/job-frame.ts';

describe('placeholders', () => {
  it('an action not provided throws an error naming it', () => {
    expect(actionNotProvided('job', 'startWork')).toThrow(
      'job: provide the `startWork` action with .provide()',
    );
  });

  it("a light job's work not provided throws for its start and its abort", () => {
    const work = lightWorkNotProvided('gate', 'lightJob');
    const named = 'gate: provide the `lightJob` actor with .provide()';
    expect(work.startWork).toThrow(named);
    expect(work.abortWork).toThrow(named);
  });

  it('a callback or promise actor not provided ends in an error naming it', async () => {
    const socket = createActor(callbackNotProvided('connection', 'socket'));
    socket.subscribe({ error: () => {} });
    socket.start();
    expect(socket.getSnapshot().status).toBe('error');
    expect(String(socket.getSnapshot().error)).toContain(
      'connection: provide the `socket` actor with .provide()',
    );
    const upload = createActor(promiseNotProvided('job', 'upload'));
    const failed = new Promise((resolve) => upload.subscribe({ error: resolve }));
    upload.start();
    expect(String(await failed)).toContain('job: provide the `upload` actor with .provide()');
  });

  it('the job machine started without its work stops with that error', () => {
    const job = createActor(jobMachine, { input: { job: jobFrame('j', 1, 'persisted') } });
    job.subscribe({ error: () => {} });
    job.start();
    expect(job.getSnapshot().status).toBe('error');
    expect(String(job.getSnapshot().error)).toContain('provide the `startWork` action');
  });
});
