/** The tiny test machine of test/fixtures/visualize, as the diagram generator sees it. */
import type { AnyStateMachine } from 'xstate';
import type { VisualizedMachine } from '../../src/tools/visualize/generate.ts';
import { type MachineGraph, machineGraph } from '../../src/tools/visualize/graph.ts';
import { tinyMachine } from '../fixtures/visualize/tiny.machine.ts';

export const TINY_SOURCE_PATH = 'test/fixtures/visualize/tiny.machine.ts';

export function tinyGraph(): MachineGraph {
  return machineGraph(tinyMachine);
}

export function tinyVisualized(machine: AnyStateMachine = tinyMachine): VisualizedMachine {
  return { name: 'tiny', machine, sourcePath: TINY_SOURCE_PATH };
}
