import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { type EndedJob, JobLedger } from '../../../src/status/jobs.ts';
import {
  MAX_TASK_LABEL_LENGTH,
  MAX_TASK_LABELS,
  WorkerMetrics,
} from '../../../src/status/worker-metrics.ts';

const ended = (task: string): EndedJob => ({
  jobId: `job-${task}`,
  mode: 'transient',
  task,
  fenceToken: 0,
  state: 'result',
  startedAt: 0,
  outcome: 'result',
  durationMs: 5,
  endedAt: 5,
});

describe('WorkerMetrics', () => {
  it('keeps a bounded set of task labels: submitters choose payload.task', () => {
    const metrics = new WorkerMetrics();
    const root = createActor(setup({}).createMachine({ id: 'worker' })).start();
    const tasks = Array.from({ length: MAX_TASK_LABELS + 10 }, (_, i) => `task-${i}`);
    for (const task of [...tasks, 'x'.repeat(MAX_TASK_LABEL_LENGTH + 1)]) {
      metrics.jobEnded(ended(task));
    }
    const totals = metrics
      .render(root, new JobLedger())
      .split('\n')
      .filter((line) => line.startsWith('casola_jobs_total{'));
    expect(totals).toHaveLength(MAX_TASK_LABELS + 1);
    expect(totals).toContain('casola_jobs_total{task="task-0",outcome="result"} 1');
    expect(totals).toContain('casola_jobs_total{task="other",outcome="result"} 11');
    root.stop();
  });

  it('always labels the tasks it was told it runs, however many others came first', () => {
    const metrics = new WorkerMetrics();
    metrics.pinTasks(['openai/embeddings']);
    const root = createActor(setup({}).createMachine({ id: 'worker' })).start();
    for (let i = 0; i < MAX_TASK_LABELS + 5; i += 1) metrics.jobEnded(ended(`junk-${i}`));
    for (const task of ['openai/embeddings', 'none', 'offloaded']) metrics.jobEnded(ended(task));
    const totals = metrics.render(root, new JobLedger());
    for (const task of ['openai/embeddings', 'none', 'offloaded']) {
      expect(totals).toContain(`casola_jobs_total{task="${task}",outcome="result"} 1`);
    }
    root.stop();
  });
});
