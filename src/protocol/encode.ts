/**
 * Outbound frames are built from the same schemas that parse inbound ones, so a frame that
 * leaves this process has exactly the fields and defaults of protocol.md.
 */
import {
  type QueueFrame,
  type QueueFrameInput,
  queueFrameSchemas,
  type WorkerFrame,
  type WorkerFrameInput,
  workerFrameSchemas,
} from './frames.ts';

/** Validates a worker → queue frame, applies defaults, and serialises it. */
export function encodeWorkerFrame(frame: WorkerFrameInput): string {
  const schema = workerFrameSchemas[frame.type];
  return JSON.stringify(schema.parse(frame) as WorkerFrame);
}

/** Validates a queue → worker frame, applies defaults, and serialises it. */
export function encodeQueueFrame(frame: QueueFrameInput): string {
  const schema = queueFrameSchemas[frame.type];
  return JSON.stringify(schema.parse(frame) as QueueFrame);
}
