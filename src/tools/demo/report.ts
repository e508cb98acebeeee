/**
 * The demo's summary for people: what each request got back and how long it took, then how the
 * worker's machines moved, in order.
 */
import type { DemoOutcome } from './requests.ts';

export type Transition = { ms: number; actor: string; state: string };

export type DemoReport = { outcomes: DemoOutcome[]; transitions: Transition[]; exitCode: number };

const pad = (text: string, width: number) => text.padEnd(width);
const clip = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text;

/** What each request got back, as soon as the requests are done. */
export function printOutcomes(out: NodeJS.WritableStream, outcomes: DemoOutcome[]): void {
  const taskWidth = Math.max(...outcomes.map((o) => o.task.length), 4);
  const routeWidth = Math.max(...outcomes.map((o) => o.route.length), 5);
  out.write('\nRequests (each sent to the local queue, run by the worker on the mock vLLM)\n');
  out.write(
    `  ${pad('task', taskWidth)}  ${pad('route', routeWidth)}  result      ms  what came back\n`,
  );
  for (const o of outcomes) {
    const status = o.ok ? 'ok    ' : 'FAILED';
    const ms = Math.round(o.ms).toString().padStart(6);
    out.write(
      `  ${pad(o.task, taskWidth)}  ${pad(o.route, routeWidth)}  ${status} ${ms}  ${clip(o.summary, 90)}\n`,
    );
  }
}

/** How the machines moved and how it ended, once the worker has stopped. */
export function printReport(out: NodeJS.WritableStream, report: DemoReport): void {
  const { outcomes, transitions, exitCode } = report;
  out.write('\nState transitions (ms since the worker started)\n');
  for (const t of transitions) {
    out.write(`  ${Math.round(t.ms).toString().padStart(6)}  ${pad(t.actor, 10)}  ${t.state}\n`);
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  out.write(
    `\n${outcomes.length - failed}/${outcomes.length} requests succeeded; the worker exited with code ${exitCode}.\n`,
  );
}
