#!/usr/bin/env node
/**
 * `casola-worker`: the worker's command line. Each subcommand lives in src/cli/ and
 * registers itself on the program here.
 */
import { Command } from 'commander';
import { registerDemoCommand } from './cli/demo.ts';
import { registerMockVllmCommand } from './cli/mock-vllm.ts';
import { registerQueueCommand } from './cli/queue.ts';
import { registerRunCommand } from './cli/run.ts';
import { VERSION } from './version.ts';

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

await buildProgram().parseAsync(process.argv);
