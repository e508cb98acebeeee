import type { Command } from 'commander';
import { environmentHelp } from './environment-help.ts';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the vLLM worker, configured from the environment (CASOLA_*, VLLM_*; listed below)',
    )
    .addHelpText('after', environmentHelp)
    .action(async () => {
      const { runWorkerCommand } = await import('../worker/command.ts');
      const code = await runWorkerCommand(process.env);
      // Exit at once: keep-alive sockets and timers must not hold a stopped worker open.
      process.exit(code);
    });
}
