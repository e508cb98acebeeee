/**
 * Floor 1: the least a worker can do. A plain ws client that registers and answers every job
 * at once with a fixed result; no validation, no state. In `abort` mode it answers nothing and
 * reports when each job_revoked arrives.
 *
 * node test/bench/clients/floor.ts --url ws://127.0.0.1:PORT --worker-id f --config-id c --capacity 8 --mode answer
 */
import { argument, connectFloor, preciseNow, report, serveControl } from './control.ts';

const mode = argument('mode');
const ws = connectFloor();

ws.on('message', (data) => {
  const frame = JSON.parse(data.toString()) as {
    type: string;
    job_id: string;
    fence_token?: number;
  };
  if (frame.type === 'job_revoked') {
    report({ type: 'aborted', jobId: frame.job_id, at: preciseNow() });
    return;
  }
  if (frame.type !== 'job') return;
  if (mode === 'abort') {
    report({ type: 'started', jobId: frame.job_id, at: preciseNow() });
    return;
  }
  const id = JSON.stringify(frame.job_id);
  ws.send(
    `{"type":"job_result","job_id":${id},"result":{"ok":true},"fence_token":${frame.fence_token ?? 0}}`,
  );
});

void serveControl({
  pause: () => ws.send('{"type":"pause"}'),
  resume: () => ws.send('{"type":"resume"}'),
});
