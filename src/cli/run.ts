import type { Command } from 'commander';
import { environmentHelp } from './environment-help.ts';
import { watchParent } from './parent-watch.ts';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the vLLM worker, configured from the environment (CASOLA_*, VLLM_*; listed below)',
    )
    .addHelpText('after', environmentHelp)
    .action(async () => {
      const { runWorkerCommand } = await import('../worker/command.ts');
      // A worker whose parent died (npx killed, a supervisor gone) stops as on SIGTERM.
      const unwatch = watchParent((parent) => {
        process.stderr.write(
          `casola-worker: the parent process ${parent} is gone; stopping as on SIGTERM\n`,
        );
        process.kill(process.pid, 'SIGTERM');
      });
      const code = await runWorkerCommand(process.env);
      unwatch();
      // Exit at once: keep-alive sockets and timers must not hold a stopped worker open.
      process.exit(code);
    });
}
