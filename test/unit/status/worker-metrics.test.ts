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
  it('keeps a bounded set of task labels: submitters choose payload.task', async () => {
    const metrics = new WorkerMetrics();
    const root = createActor(setup({}).createMachine({ id: 'worker' })).start();
    const tasks = Array.from({ length: MAX_TASK_LABELS + 10 }, (_, i) => `task-${i}`);
    for (const task of [...tasks, 'x'.repeat(MAX_TASK_LABEL_LENGTH + 1)]) {
      metrics.jobEnded(ended(task));
    }
    const totals = (await metrics.render(root, new JobLedger()))
      .split('\n')
      .filter((line) => line.startsWith('casola_jobs_total{'));
    expect(totals).toHaveLength(MAX_TASK_LABELS + 1);
    expect(totals).toContain('casola_jobs_total{task="task-0",outcome="result"} 1');
    expect(totals).toContain('casola_jobs_total{task="other",outcome="result"} 11');
    root.stop();
  });

  it('always labels the tasks it was told it runs, however many others came first', async () => {
    const metrics = new WorkerMetrics();
    metrics.pinTasks(['openai/embeddings']);
    const root = createActor(setup({}).createMachine({ id: 'worker' })).start();
    for (let i = 0; i < MAX_TASK_LABELS + 5; i += 1) metrics.jobEnded(ended(`junk-${i}`));
    for (const task of ['openai/embeddings', 'none', 'offloaded']) metrics.jobEnded(ended(task));
    const totals = await metrics.render(root, new JobLedger());
    for (const task of ['openai/embeddings', 'none', 'offloaded']) {
      expect(totals).toContain(`casola_jobs_total{task="${task}",outcome="result"} 1`);
    }
    root.stop();
  });

  it('writes every family the status page and dashboards read, with its type and bounds', async () => {
    const metrics = new WorkerMetrics();
    const root = createActor(setup({}).createMachine({ id: 'worker' })).start();
    metrics.jobEnded({ ...ended('say "hi"'), durationMs: 700 });
    metrics.clientDropped('sse');
    const text = await metrics.render(root, new JobLedger());
    const types = text.split('\n').filter((line) => line.startsWith('# TYPE '));
    expect(types).toEqual([
      '# TYPE casola_jobs_total counter',
      '# TYPE casola_job_duration_seconds histogram',
      '# TYPE casola_jobs_running gauge',
      '# TYPE casola_lease_renewals_total counter',
      '# TYPE casola_queue_reconnects_total counter',
      '# TYPE casola_queue_connected gauge',
      '# TYPE casola_outbox_depth gauge',
      '# TYPE casola_outbox_dropped_total counter',
      '# TYPE casola_status_clients_dropped_total counter',
      '# TYPE casola_engine_ready gauge',
      '# TYPE casola_engine_startup_seconds gauge',
      '# TYPE casola_worker_state gauge',
      '# TYPE casola_engine_state gauge',
      '# TYPE casola_gate_state gauge',
    ]);
    const labels = 'task="say \\"hi\\"",outcome="result"';
    expect(text).toContain(`casola_jobs_total{${labels}} 1`);
    const bounds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, '+Inf'];
    for (const le of bounds) {
      const count = le === 0.05 || le === 0.1 || le === 0.25 || le === 0.5 ? 0 : 1;
      expect(text).toContain(`casola_job_duration_seconds_bucket{le="${le}",${labels}} ${count}`);
    }
    expect(text).toContain(`casola_job_duration_seconds_sum{${labels}} 0.7`);
    expect(text).toContain('casola_status_clients_dropped_total{client="sse"} 1');
    // No engine yet: no startup sample (a 0 would read as an instant start).
    expect(text).not.toMatch(/^casola_engine_startup_seconds /m);
    root.stop();
  });
});
