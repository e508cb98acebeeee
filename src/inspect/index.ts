/**
 * Inspection of the worker's actors: `CASOLA_INSPECT`'s Stately inspector (Sky or WebSocket)
 * plus any observers (the status server's, a caller's), combined into the one `inspect`
 * callback `createActor` takes. With none of them there is no callback at all, so inspection
 * that is off costs nothing.
 */
import type { InspectionEvent } from 'xstate';
import type { InspectTarget } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { attachSkyInspector } from './sky.ts';
import type { InspectionSink } from './types.ts';
import { attachWebSocketInspector } from './websocket.ts';

export type { InspectionSink } from './types.ts';

export type InspectionOptions = {
  /** `CASOLA_INSPECT`. Default unset: no Stately inspector. */
  target?: InspectTarget | undefined;
  /** More observers of every inspection event; undefined entries are skipped. */
  observers?: ReadonlyArray<((event: InspectionEvent) => void) | undefined>;
  logger: Logger;
};

export type Inspection = {
  /** For `createActor(logic, { inspect })`; undefined when nothing inspects. */
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  /** Flushes and detaches the Stately inspector, if any. */
  stop(): Promise<void>;
};

export function createInspection(options: InspectionOptions): Inspection {
  const { target, logger } = options;
  const sink = target === undefined ? undefined : attachTarget(target, logger);
  const observers = (options.observers ?? []).filter((o) => o !== undefined);
  if (sink) observers.push((event) => sink.observe(event));
  return {
    inspect: observers.length === 0 ? undefined : guarded(observers, logger),
    stop: async () => {
      await sink?.stop();
    },
  };
}

function attachTarget(target: InspectTarget, logger: Logger): InspectionSink {
  return target.kind === 'sky'
    ? attachSkyInspector({ logger })
    : attachWebSocketInspector({ url: target.url, logger });
}

/**
 * xstate calls inspection observers inside the actors' own processing and does not catch what
 * they throw: an observer's failure is logged once and never reaches the worker.
 */
function guarded(
  observers: ReadonlyArray<(event: InspectionEvent) => void>,
  logger: Logger,
): (event: InspectionEvent) => void {
  let reported = false;
  return (event) => {
    for (const observe of observers) {
      try {
        observe(event);
      } catch (error) {
        if (reported) continue;
        reported = true;
        logger.error(
          { err: error },
          'an inspection observer failed; later failures are not logged',
        );
      }
    }
  };
}
