export async function runQueueCommand(options: { host: string; port: string }): Promise<void> {
  console.log(`placeholder ${options.host}:${options.port}`);
}
