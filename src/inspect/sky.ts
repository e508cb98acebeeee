/**
 * `CASOLA_INSPECT=sky`: @statelyai/inspect's Sky inspector, which streams every actor to
 * stately.ai and gives a live URL to watch them.
 *
 * The library prints that URL with console.log once its socket opens, and exposes it nowhere
 * else; the worker's stdout is JSON lines. So while Sky is attached, those two lines (and only
 * those) are taken out of console.log and logged as one entry. The same lines say the socket is
 * open: events are forwarded only until the first failure and again once Sky has answered,
 * because the library's socket queues everything without bound while it is down.
 */
import { createSkyInspector } from '@statelyai/inspect';
import type { Logger } from '../observability/logger.ts';
import type { InspectionSink } from './types.ts';

export type SkyInspectorOptions = {
  logger: Logger;
  /** The Sky inspector's factory. Default @statelyai/inspect's `createSkyInspector` (tests fake it). */
  create?: typeof createSkyInspector;
};

const CONNECTED_LINE = /^Connected to Sky/;
const LIVE_URL = /^https:\/\/\S+\/inspect\/\S+$/;

export function attachSkyInspector(options: SkyInspectorOptions): InspectionSink {
  const { logger, create = createSkyInspector } = options;
  let forwarding = true;
  let warned = false;
  const consoleLog = console.log;
  const skyLog = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (CONNECTED_LINE.test(text)) {
      forwarding = true;
      return;
    }
    if (LIVE_URL.test(text)) {
      logger.info({ url: text }, `Stately Sky inspector: watch the worker live at ${text}`);
      return;
    }
    consoleLog.apply(console, args);
  };
  console.log = skyLog;
  const inspector = create({
    onerror: (error) => {
      forwarding = false;
      if (warned) return;
      warned = true;
      logger.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'the Stately Sky inspector cannot be reached: the worker carries on without it ' +
          '(inspection resumes if Sky answers later; CASOLA_INSPECT=ws://... or the status page relay work offline)',
      );
    },
  });
  logger.info('Stately Sky inspector attached: its live URL is logged once Sky answers');
  return {
    observe: (event) => {
      if (forwarding) inspector.inspect.next?.(event);
    },
    stop: async () => {
      forwarding = false;
      if (console.log === skyLog) console.log = consoleLog;
    },
  };
}
