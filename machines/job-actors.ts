/**
 * A job's actor is the worker's child named after its job id, with a prefix. The queue chooses
 * job ids: a bare one could name one of the worker's own children (`gate`, `connection`,
 * `engine`) or a target xstate reserves (`#_parent`, `#_internal`), and then a job would
 * replace the gate, or a revocation would reach the worker instead of the job.
 */
const PREFIX = 'job:';

export function jobActorId(jobId: string): string {
  return `${PREFIX}${jobId}`;
}

/** The job id behind a job actor's id; undefined for any other actor. */
export function jobIdOfActor(actorId: string): string | undefined {
  return actorId.startsWith(PREFIX) ? actorId.slice(PREFIX.length) : undefined;
}
