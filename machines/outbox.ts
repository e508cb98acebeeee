/**
 * What the connection keeps of the frames it is given: results and errors until the queue has
 * them, and the dispatch standing (pause, drain) it must tell the queue again after every
 * register. Pure functions of the connection's context.
 */
import type { OutboundFrame } from './types.ts';

/** The dispatch standing the queue must be told again after every register. */
export type Standing = 'pause' | 'drain' | undefined;

/** What the outbox functions read and write of the connection's context. */
export type Held = {
  /** Results and errors not sent yet, in order; sent right after the next register. */
  outbox: OutboundFrame[];
  outboxLimit: number;
  /** Results dropped because the outbox was full. */
  outboxDropped: number;
  /** Results sent on the current socket that no pong has confirmed yet. */
  unconfirmed: OutboundFrame[];
};

/** Frames a job produced: they wait in the outbox. Renewals and dispatch frames do not. */
export function isOutcome(frame: OutboundFrame): boolean {
  return (
    frame.type === 'job_result' || frame.type === 'job_result_ref' || frame.type === 'job_error'
  );
}

/** The job a frame is about, when it is about one. */
export function jobIdOf(frame: OutboundFrame | undefined): string | undefined {
  return frame !== undefined && 'job_id' in frame ? String(frame.job_id) : undefined;
}

export function standingAfter(standing: Standing, frame: OutboundFrame): Standing {
  if (frame.type === 'drain') return 'drain';
  if (standing === 'drain') return standing;
  if (frame.type === 'pause') return 'pause';
  if (frame.type === 'resume') return undefined;
  return standing;
}

/** How many of `frames`, the oldest, the outbox has no room for. */
function overflowOf(held: Held, frames: readonly OutboundFrame[]): number {
  return Math.max(0, frames.length - held.outboxLimit);
}

/** `frames` as the outbox, the oldest dropped beyond its limit. */
function withOutbox(held: Held, frames: OutboundFrame[]): Pick<Held, 'outbox' | 'outboxDropped'> {
  const overflow = overflowOf(held, frames);
  return { outbox: frames.slice(overflow), outboxDropped: held.outboxDropped + overflow };
}

/** A result kept for the next connection; a dispatch frame only changes the standing. */
export function stash(
  held: Held & { standing: Standing },
  frame: OutboundFrame,
): Partial<Held & { standing: Standing }> {
  if (!isOutcome(frame)) return { standing: standingAfter(held.standing, frame) };
  return withOutbox(held, [...held.outbox, frame]);
}

/** The results `requeue` pushes out of a full outbox, oldest first (each must be logged). */
export function requeueDrops(held: Held): OutboundFrame[] {
  const frames = undelivered(held);
  return frames.slice(0, overflowOf(held, frames));
}

/** The link is gone: what no pong confirmed goes out again after the next register. */
export function requeue(held: Held): Partial<Held> {
  return { ...withOutbox(held, undelivered(held)), unconfirmed: [] };
}

/** Results the queue may not have: never sent, or sent and not confirmed. */
export function undelivered(held: Held): OutboundFrame[] {
  return [...held.unconfirmed, ...held.outbox];
}
