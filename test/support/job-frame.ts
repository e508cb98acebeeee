/** A job frame as the queue sends it, for config `cfg`; tests vary the rest. */
import type { JobFrame } from '../../machines/types.ts';
import type { JsonValue } from '../../src/protocol/index.ts';

export function jobFrame(
  id: string,
  fenceToken: number,
  mode: JobFrame['mode'],
  payload: JsonValue = {},
): JobFrame {
  return { type: 'job', job_id: id, mode, config_id: 'cfg', fence_token: fenceToken, payload };
}
