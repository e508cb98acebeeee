import type { Command } from 'commander';

export function registerQueueCommand(program: Command): void {
  program
    .command('queue')
    .description('run the local Casola queue (WebSocket /ws and the REST surface of protocol.md)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8788')
    .action(async (options: { host: string; port: string }) => {
      const { runQueueCommand } = await import('../queue/command.ts');
      await runQueueCommand(options);
    });
}
