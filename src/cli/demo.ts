import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';

type DemoFlags = { logFile?: string; statusPort?: string; keep?: boolean };

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the worker end to end on the embedded local queue and mock vLLM (no GPU needed): one request of each task, then a clean shutdown',
    )
    .option(
      '--log-file <path>',
      "keep the worker's JSON logs in this file (default: a temporary file, removed when the demo succeeds)",
    )
    .option(
      '--status-port <port>',
      'port of the status server (/debug, /metrics, /readyz, /inspect) while the demo runs (default: a free one)',
    )
    .option('--keep', 'keep the worker and its status page up after the requests, until Ctrl-C')
    .action(async (options: DemoFlags) => {
      const port = Number(options.statusPort ?? 0);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        console.error(
          `--status-port must be an integer from 0 to 65535, got '${options.statusPort}'`,
        );
        process.exit(2);
      }
      const { runDemo } = await import('../tools/demo/index.ts');
      const code = await runDemo({
        logFile: options.logFile ?? join(tmpdir(), `casola-demo-${process.pid}.log`),
        removeLogFile: options.logFile === undefined,
        keep: options.keep === true,
        statusPort: port,
      });
      process.exit(code);
    });
}
