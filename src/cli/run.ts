import type { Command } from 'commander';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the vLLM worker, configured from the environment (CASOLA_*, VLLM_*; see the README)',
    )
    .action(async () => {
      const { runWorkerCommand } = await import('../worker/command.ts');
      // Exit at once: keep-alive sockets and timers must not hold a stopped worker open.
      process.exit(await runWorkerCommand(process.env));
    });
}
