/**
 * Waits until a condition about the outside world holds (a frame reached the queue, a socket
 * closed), polling; checked at once first, so a condition already true costs no wait.
 */
export async function eventually(
  condition: () => boolean,
  what: string,
  detail: () => unknown = () => undefined,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not so after ${timeoutMs} ms: ${JSON.stringify(detail())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
