/**
 * The subject: an SDK worker (createWorker) whose handler returns at once. Modes:
 * `answer` returns `{ ok: true }`; `big` returns a result of --result-bytes bytes of JSON
 * (offloaded when the job has a result_upload_url); `abort` waits for its signal and reports
 * when it fires.
 *
 * node test/bench/clients/sdk.ts --url ws://... --worker-id s --config-id c --capacity 8 --mode answer
 */
import { createWorker, type JobHandler } from '../../../src/index.ts';
import { argument, preciseNow, report, serveControl } from './control.ts';

const handlers: Record<string, () => JobHandler> = {
  answer: () => () => ({ ok: true }),
  big: () => {
    const bytes = Number(argument('result-bytes'));
    // `{"data":"…"}` is 11 bytes around the string.
    return () => ({ data: 'x'.repeat(bytes - 11) });
  },
  abort:
    () =>
    (job, { signal }) => {
      report({ type: 'started', jobId: job.id, at: preciseNow() });
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          report({ type: 'aborted', jobId: job.id, at: preciseNow() });
          reject(signal.reason);
        });
      });
    },
};

const handler = handlers[argument('mode')];
if (handler === undefined) throw new Error(`unknown --mode ${argument('mode')}`);

const worker = createWorker({
  wsUrl: argument('url'),
  workerId: argument('worker-id'),
  configId: argument('config-id'),
  capacity: Number(argument('capacity')),
  onJob: handler(),
});
worker.start();
await worker.connected();
report({ type: 'ready' });
void serveControl({ pause: () => worker.pause(), resume: () => worker.resume() });
