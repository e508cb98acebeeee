/**
 * What watches a running worker: `CASOLA_INSPECT`'s Stately inspector and the status server
 * (`CASOLA_STATUS_PORT`), plus a caller's own inspection observer. With none of them the root
 * actor gets no `inspect` option at all.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { WorkerConfig } from '../config.ts';
import { createInspection } from '../inspect/index.ts';
import type { Logger } from '../observability/logger.ts';
import { createStatusServer } from '../status/server.ts';

export type WatchOptions = {
  config: Pick<WorkerConfig, 'statusPort' | 'inspect'>;
  /** The status server's address. Default `0.0.0.0`. */
  statusHost?: string;
  /** The caller's own observer of every inspection event. */
  inspect?: (event: InspectionEvent) => void;
  /** Task names /metrics labels as they are, whatever else arrives. Default none. */
  tasks?: readonly string[];
  logger: Logger;
};

export type WorkerWatch = {
  /** Spread into `createActor`'s options: `{ inspect }`, or nothing when nobody watches. */
  readonly actorOptions: { inspect?: (event: InspectionEvent) => void };
  /** Starts the status server on the started root actor; resolves with its URL (undefined: off). */
  start(root: AnyActorRef): Promise<string | undefined>;
  /** After the worker has exited: flushes the inspector, then closes the status server. */
  stop(): Promise<void>;
};

export function watchWorker(options: WatchOptions): WorkerWatch {
  const { config, logger } = options;
  const status =
    config.statusPort === undefined
      ? undefined
      : createStatusServer({
          port: config.statusPort,
          logger,
          tasks: options.tasks ?? [],
          ...(options.statusHost === undefined ? {} : { host: options.statusHost }),
        });
  const inspection = createInspection({
    target: config.inspect,
    observers: [options.inspect, status?.inspect],
    logger,
  });
  return {
    actorOptions: inspection.inspect ? { inspect: inspection.inspect } : {},
    start: async (root) => status?.listen(root),
    stop: async () => {
      await inspection.stop();
      await status?.close();
    },
  };
}
