/**
 * A stand-in for `casola-worker run` that the entrypoint checks supervise: it shuts down slowly
 * on the first SIGTERM or SIGINT, cuts that short on a second one, and leaves marker files that
 * tell what it saw.
 *
 * node stub-worker.ts --markers DIR --exit-code N [--shutdown-ms MS] [--exit-after-ms MS]
 *
 * Markers in DIR: `started` (its pid), `signals` (one signal name a line, as they arrive),
 * `finished` (how the shutdown ended: `complete` or `cut short`). It also prints
 * `stub-worker: started` once its signal handlers are in place, and each signal it gets.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    /** Folder the markers are written to. */
    markers: { type: 'string' },
    /** Exit code, whichever way the stub ends. */
    'exit-code': { type: 'string', default: '0' },
    /** How long the shutdown after the first signal takes, in ms. Default 12 000: longer than
     *  `docker stop`'s default 10 s and the worker's default 5 s grace period. */
    'shutdown-ms': { type: 'string', default: '12000' },
    /** Exit on its own after this many ms, with no signal (unset: wait for a signal). */
    'exit-after-ms': { type: 'string' },
  },
});
if (values.markers === undefined) {
  throw new Error('stub-worker: --markers DIR is required');
}
const markers = values.markers;
const exitCode = Number(values['exit-code']);

function finish(how: string): never {
  writeFileSync(join(markers, 'finished'), `${how}\n`);
  process.exit(exitCode);
}

let signalsSeen = 0;
function onSignal(signal: NodeJS.Signals): void {
  appendFileSync(join(markers, 'signals'), `${signal}\n`);
  process.stdout.write(`stub-worker: ${signal}\n`);
  signalsSeen += 1;
  if (signalsSeen === 1) {
    setTimeout(() => finish('complete'), Number(values['shutdown-ms']));
  } else {
    finish('cut short');
  }
}

process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
// Keeps the event loop alive until a signal or --exit-after-ms ends the stub.
const alive = setInterval(() => {}, 60_000);
if (values['exit-after-ms'] !== undefined) {
  setTimeout(() => {
    clearInterval(alive);
    finish('complete');
  }, Number(values['exit-after-ms']));
}
writeFileSync(join(markers, 'started'), `${process.pid}\n`);
process.stdout.write('stub-worker: started\n');
