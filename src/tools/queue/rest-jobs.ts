/**
 * Persisted jobs over REST (POST /jobs, GET /jobs/{id}) and GET /health, with exactly the
 * job object and health body of protocol.md.
 */

import { z } from 'zod';
import type { HttpReply, HttpRequest } from '../../net/http-server.ts';
import type { JsonValue } from '../../protocol/index.ts';
import { sendDetail, sendJson } from './http.ts';
import { toJobObject } from './jobs.ts';
import { answerFailure, type RestDeps, readJson } from './rest-io.ts';

const createJobBody = z.looseObject({
  payload: z.custom<JsonValue>((value) => value !== undefined, { message: 'is required' }),
  config_id: z.string().min(1).optional(),
  /** Local queue extension: serve this job's payload behind `payload_url`. */
  offload: z.boolean().optional(),
});

export async function createJob(
  deps: RestDeps,
  request: HttpRequest,
  reply: HttpReply,
): Promise<void> {
  const body = await readJson(deps, request, createJobBody);
  if (!body.ok) return answerFailure(reply, body);
  const job = deps.scheduler.submit({
    payload: body.value.payload,
    mode: 'persisted',
    configId: body.value.config_id,
    offload: body.value.offload,
  });
  sendJson(reply, 200, toJobObject(job));
}

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
