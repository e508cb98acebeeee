/**
 * `casola-worker`: the worker's command line. Each subcommand lives in src/cli/ and
 * registers itself on the program here; src/cli.ts runs it once the Node.js version passed.
 */
import { Command } from 'commander';
import { VERSION } from '../version.ts';
import { registerDemoCommand } from './demo.ts';
import { registerMockVllmCommand } from './mock-vllm.ts';
import { registerQueueCommand } from './queue.ts';
import { registerRunCommand } from './run.ts';

export function buildProgram(): Command {
  const program = new Command('casola-worker')
    .description('The Casola GPU inference worker: runs queue jobs on vLLM.')
    .version(VERSION)
    .showHelpAfterError();
  registerRunCommand(program);
  registerDemoCommand(program);
  registerQueueCommand(program);
  registerMockVllmCommand(program);
  return program;
}
