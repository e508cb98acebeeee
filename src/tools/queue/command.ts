/**
 * `casola-worker queue`: runs the local queue until SIGINT or SIGTERM, then closes it and
 * exits 0.
 */
import { QueueListenError } from '../../errors.ts';
import { createLogger } from '../../observability/logger.ts';
import { startLocalQueue } from './local-queue.ts';

export type QueueCommandOptions = {
  /** Address to listen on. */
  host: string;
  /** Port to listen on, as typed on the command line. */
  port: string;
};

export async function runQueueCommand(options: QueueCommandOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port must be an integer from 0 to 65535, got '${options.port}'`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ source: 'local-queue' });
  let queue: Awaited<ReturnType<typeof startLocalQueue>>;
  try {
    queue = await startLocalQueue({ host: options.host, port, logger });
  } catch (error) {
    // The port is taken or the address is not this machine's: one line, not a stack trace.
    if (!(error instanceof QueueListenError)) throw error;
    console.error(`casola-worker queue: ${error.message}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `local Casola queue: REST and OpenAI routes on ${queue.httpUrl}; workers connect with CASOLA_WS_URL=${queue.wsUrl} (they append /ws)`,
  );
  const { promise: stopped, resolve: stop } = Promise.withResolvers<NodeJS.Signals>();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const signal = await stopped;
  logger.info({ signal }, 'stopping the local queue');
  await queue.close();
}
