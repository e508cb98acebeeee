/**
 * What the worker saw, from inside it (performance.now() times): when its connection was
 * online, and when job and job_revoked frames reached it. The queue's log says what was sent;
 * this says what arrived, which decides what the worker may still do.
 */
import type { InspectionEvent } from 'xstate';
import type { CasolaWorker } from '../../src/index.ts';
import type { QueueFrame } from '../../src/protocol/index.ts';

export type Witness = {
  /** Pass to createWorker's `inspect`. */
  inspect(event: InspectionEvent): void;
  /** Starts watching the connection; call once the worker has started. */
  watch(worker: CasolaWorker): void;
  /** Whether the connection was online at this time. */
  onlineAt(time: number): boolean;
  /** Whether a job_revoked for this job arrived after its job frame (this token) and before `time`. */
  revokedBefore(jobId: string, fenceToken: number, time: number): boolean;
  stop(): void;
};

export function createWitness(): Witness {
  const links: Array<{ at: number; online: boolean }> = [];
  const jobFrames = new Map<string, number>();
  const revocations = new Map<string, number[]>();
  const stops: Array<() => void> = [];
  const onFrame = (frame: QueueFrame) => {
    const now = performance.now();
    if (frame.type === 'job') {
      const key = `${frame.job_id}@${frame.fence_token}`;
      if (!jobFrames.has(key)) jobFrames.set(key, now);
    } else if (frame.type === 'job_revoked') {
      revocations.set(frame.job_id, [...(revocations.get(frame.job_id) ?? []), now]);
    }
  };
  return {
    inspect: (inspection) => {
      if (inspection.type !== '@xstate.event') return;
      const { event } = inspection;
      // Job frames go from the socket straight to the gate; the rest through the worker.
      if (event.type === 'QUEUE_FRAME' && 'frame' in event) onFrame(event.frame as QueueFrame);
      if (event.type === 'JOB_OFFERED' && 'job' in event) onFrame(event.job as QueueFrame);
    },
    watch: (worker) => {
      const connection = worker.actor.system.get('connection');
      if (connection === undefined) throw new Error('start the worker before watching it');
      const record = (snapshot: { matches(value: unknown): boolean }) => {
        const online = snapshot.matches({ linked: 'online' });
        if (links.at(-1)?.online !== online) links.push({ at: performance.now(), online });
      };
      record(connection.getSnapshot());
      const subscription = connection.subscribe(record);
      stops.push(() => subscription.unsubscribe());
    },
    onlineAt: (time) => links.findLast((link) => link.at <= time)?.online ?? false,
    revokedBefore: (jobId, fenceToken, time) => {
      const arrived = jobFrames.get(`${jobId}@${fenceToken}`);
      if (arrived === undefined) return false;
      return (revocations.get(jobId) ?? []).some((at) => at > arrived && at < time);
    },
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
