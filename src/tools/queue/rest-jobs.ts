/**
 * Persisted jobs over REST (POST /jobs, GET /jobs/{id}) and GET /health, with exactly the
 * job object and health body of protocol.md.
 */
import { z } from 'zod';
import type { HttpReply } from '../../net/http-server.ts';
import type { JsonValue } from '../../protocol/index.ts';
import { sendDetail, sendJson } from './http.ts';
import { toJobObject } from './jobs.ts';
import { jsonRoute, type RestDeps } from './rest-io.ts';

const createJobBody = z.looseObject({
  payload: z.custom<JsonValue>((value) => value !== undefined, { message: 'is required' }),
  config_id: z.string().min(1).optional(),
  /** Local queue extension: serve this job's payload behind `payload_url`. */
  offload: z.boolean().optional(),
});

export const createJob = jsonRoute(createJobBody, async (deps, body, reply) => {
  const job = deps.scheduler.submit({
    payload: body.payload,
    mode: 'persisted',
    configId: body.config_id,
    offload: body.offload,
  });
  sendJson(reply, 200, toJobObject(job));
});

export function getJob(deps: RestDeps, reply: HttpReply, jobId: string): void {
  const job = deps.jobs.get(jobId);
  if (job === undefined) sendDetail(reply, 404, `job ${jobId} not found`);
  else sendJson(reply, 200, toJobObject(job));
}

export function health(deps: RestDeps, reply: HttpReply): void {
  sendJson(reply, 200, {
    status: 'ok',
    worker_connected: deps.workers.connected().length > 0,
    pending_jobs: deps.jobs.pendingCount,
  });
}
