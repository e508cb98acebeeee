/**
 * Waits for a condition that no event announces (a log line, a worker's state), checking it
 * every few milliseconds, for a bounded time.
 */
export async function waitUntil(
  probe: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
