import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the worker end to end on the embedded local queue and mock vLLM (no GPU needed): one request of each task, then a clean shutdown',
    )
    .option(
      '--log-file <path>',
      "where the worker's JSON logs go",
      join(tmpdir(), `casola-demo-${process.pid}.log`),
    )
    .option(
      '--status-port <port>',
      'port of the status server (/debug, /metrics, /readyz, /inspect) while the demo runs (default: a free one)',
    )
    .action(async (options: { logFile: string; statusPort?: string }) => {
      const port = Number(options.statusPort ?? 0);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        console.error(
          `--status-port must be an integer from 0 to 65535, got '${options.statusPort}'`,
        );
        process.exit(2);
      }
      const { runDemo } = await import('../demo/index.ts');
      const code = await runDemo({
        logFile: options.logFile,
        ...(options.statusPort === undefined ? {} : { statusPort: Number(options.statusPort) }),
      });
      process.exit(code);
    });
}
