/**
 * Notices that the process that started this one has died: `npx casola-worker run` killed
 * with SIGTERM ends npm and its shell at once and leaves the worker (and vLLM, and the GPU)
 * running under nobody. An orphan is re-parented, to init or to the nearest subreaper, so its
 * parent pid changes; polling `process.ppid` sees that on every platform Node runs on.
 */

/** How often the parent pid is read, in ms. Default 1000. */
export const PARENT_POLL_MS = 1_000;

/**
 * Calls `onOrphaned` once, with the old parent's pid, when this process's parent changes.
 * Returns a function that stops watching. The timer does not keep the process alive.
 */
export function watchParent(
  onOrphaned: (formerParent: number) => void,
  intervalMs: number = PARENT_POLL_MS,
): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned(parent);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
