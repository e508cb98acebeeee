/** The tiny test machine of test/fixtures/visualize, walked with the comments of its file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { sourceComments } from '../../src/tools/visualize/comments.ts';
import type { VisualizedMachine } from '../../src/tools/visualize/generate.ts';
import { type MachineGraph, machineGraph } from '../../src/tools/visualize/graph.ts';
import { tinyMachine } from '../fixtures/visualize/tiny.machine.ts';

export const TINY_SOURCE_PATH = 'test/fixtures/visualize/tiny.machine.ts';

export const tinySource = readFileSync(
  join(import.meta.dirname, '../..', TINY_SOURCE_PATH),
  'utf8',
);

export function tinyGraph(): MachineGraph {
  return machineGraph(tinyMachine, sourceComments(tinySource));
}

export function tinyVisualized(machine: AnyStateMachine = tinyMachine): VisualizedMachine {
  return { name: 'tiny', machine, source: tinySource, sourcePath: TINY_SOURCE_PATH };
}
