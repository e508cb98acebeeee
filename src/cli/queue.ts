import { type Command, Option } from 'commander';
import { CLI_QUEUE_PORT } from '../tools/queue/options.ts';

export function registerQueueCommand(program: Command): void {
  program
    .command('queue')
    .description(
      'run the local Casola queue: the worker endpoint (WebSocket /ws) and the REST and OpenAI routes of docs/protocol.md',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port to listen on').default(
        String(CLI_QUEUE_PORT),
        String(CLI_QUEUE_PORT),
      ),
    )
    .action(async (options: { host: string; port: string }) => {
      const { runQueueCommand } = await import('../tools/queue/command.ts');
      await runQueueCommand(options);
    });
}
