/**
 * Presigned-URL offload, served by the queue itself: GET an offloaded payload, PUT a large
 * result that a `job_result_ref` then points at. Uploads are kept per job and fence token,
 * so a stale holder's upload can never complete a newer dispatch.
 */
import {
  type BodyRead,
  type HttpApp,
  type HttpReply,
  type HttpRequest,
  readBody,
} from '../../net/http-server.ts';
import type { JsonValue } from '../../protocol/index.ts';
import type { EventLog } from './event-log.ts';
import { type HeldResponses, sendDetail, sendJson } from './http.ts';
import type { JobStore } from './jobs.ts';

/** fail: answer HTTP 500 · hang: never answer until the queue closes. */
export type OffloadFault = 'fail' | 'hang';

/** The narrow part of the fault injector that offload needs: each fault is used once. */
export type OffloadFaults = {
  nextPayloadGet(): OffloadFault | undefined;
  nextResultPut(): OffloadFault | undefined;
};

export class ResultUploads {
  readonly #byJob = new Map<string, Map<number, JsonValue>>();

  put(jobId: string, fenceToken: number, value: JsonValue): void {
    const tokens = this.#byJob.get(jobId) ?? new Map<number, JsonValue>();
    tokens.set(fenceToken, value);
    this.#byJob.set(jobId, tokens);
  }

  /** The result uploaded for this dispatch, if any. */
  take(jobId: string, fenceToken: number): { value: JsonValue } | undefined {
    const tokens = this.#byJob.get(jobId);
    if (tokens === undefined || !tokens.has(fenceToken)) return undefined;
    return { value: tokens.get(fenceToken)! };
  }

  clear(jobId: string): void {
    this.#byJob.delete(jobId);
  }
}

export type OffloadDeps = {
  jobs: JobStore;
  uploads: ResultUploads;
  faults: OffloadFaults;
  events: EventLog;
  held: HeldResponses;
  maxBodyBytes: number;
};

/**
 * The offload routes on `app`: GET /offload/payload/{job}, PUT /offload/result/{job}/{fence};
 * any other method or a fence that is not a number is not an offload URL (404).
 */
export function offloadRoutes(
  app: HttpApp,
  deps: OffloadDeps,
  notFound: (request: HttpRequest, reply: HttpReply) => void,
): void {
  app.get<{ Params: { jobId: string } }>('/offload/payload/:jobId', (request, reply) => {
    servePayload(deps, reply, request.params.jobId);
  });
  app.put<{ Params: { jobId: string; fence: string } }>(
    '/offload/result/:jobId/:fence',
    (request, reply) => {
      const { jobId, fence } = request.params;
      if (!/^\d+$/.test(fence)) return notFound(request, reply);
      void takeResult(deps, request, reply, jobId, Number(fence));
    },
  );
}

function servePayload(deps: OffloadDeps, reply: HttpReply, jobId: string): void {
  const job = deps.jobs.get(jobId);
  if (job?.offload !== true) {
    deps.events.record({ kind: 'offload_get', jobId, status: 404 });
    sendDetail(reply, 404, 'no offloaded payload for this job');
    return;
  }
  const fault = deps.faults.nextPayloadGet();
  deps.events.record({
    kind: 'offload_get',
    jobId,
    status: fault === 'fail' ? 500 : (fault ?? 200),
  });
  if (fault === 'hang') deps.held.hold(reply);
  else if (fault === 'fail') sendDetail(reply, 500, 'injected failure');
  else sendJson(reply, 200, job.payload);
}

async function takeResult(
  deps: OffloadDeps,
  request: HttpRequest,
  reply: HttpReply,
  jobId: string,
  fenceToken: number,
): Promise<void> {
  const fault = deps.faults.nextResultPut();
  if (fault === 'hang') {
    deps.events.record({ kind: 'offload_put', jobId, fenceToken, status: 'hang', bytes: 0 });
    deps.held.hold(reply);
    return;
  }
  const read = await readBody(request.raw, deps.maxBodyBytes);
  const bytes = read.ok ? read.body.length : 0;
  const parsed = read.ok ? parseJson(read.body) : undefined;
  const status = putStatus(fault, read, deps.jobs.get(jobId) !== undefined, parsed);
  if (status === 200) deps.uploads.put(jobId, fenceToken, parsed!.value);
  deps.events.record({ kind: 'offload_put', jobId, fenceToken, status, bytes });
  if (status === 200) sendJson(reply, 200, {});
  else sendDetail(reply, status, putFailure(status));
}

function putStatus(
  fault: OffloadFault | undefined,
  read: BodyRead,
  knownJob: boolean,
  parsed: { value: JsonValue } | undefined,
): number {
  if (fault === 'fail') return 500;
  if (!read.ok) return read.status;
  if (!knownJob) return 404;
  return parsed === undefined ? 400 : 200;
}

function putFailure(status: number): string {
  if (status === 500) return 'injected failure';
  if (status === 404) return 'unknown job';
  if (status === 413) return 'result too large';
  return 'the uploaded result is not JSON';
}

function parseJson(body: Buffer): { value: JsonValue } | undefined {
  try {
    return { value: JSON.parse(body.toString('utf8')) as JsonValue };
  } catch {
    return undefined;
  }
}
