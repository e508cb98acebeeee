/** The machines that get a diagram, in the order the README shows them. */
import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../../machines/connection.machine.ts';
import { engineMachine } from '../../../machines/engine.machine.ts';
import { gateMachine } from '../../../machines/gate.machine.ts';
import { jobMachine } from '../../../machines/job.machine.ts';
import { workerMachine } from '../../../machines/worker.machine.ts';

/** Each one's source is `machines/<name>.machine.ts` (the diagrams link to it). */
export const MACHINES: ReadonlyArray<{ name: string; machine: AnyStateMachine }> = [
  { name: 'connection', machine: connectionMachine },
  { name: 'job', machine: jobMachine },
  { name: 'gate', machine: gateMachine },
  { name: 'engine', machine: engineMachine },
  { name: 'worker', machine: workerMachine },
];
