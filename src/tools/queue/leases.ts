/**
 * One lease timer per running persisted job. A renewal restarts the timer; expiry calls
 * back with the fence token the lease was granted under, so a late timer for an older
 * dispatch is recognisably stale.
 */
export class LeaseTimers {
  readonly #leaseMs: number;
  readonly #onExpire: (jobId: string, fenceToken: number) => void;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(leaseMs: number, onExpire: (jobId: string, fenceToken: number) => void) {
    this.#leaseMs = leaseMs;
    this.#onExpire = onExpire;
  }

  start(jobId: string, fenceToken: number): void {
    this.stop(jobId);
    const timer = setTimeout(() => {
      this.#timers.delete(jobId);
      this.#onExpire(jobId, fenceToken);
    }, this.#leaseMs);
    this.#timers.set(jobId, timer);
  }

  /** Restarts the lease's full term; false when the job holds no lease. */
  renew(jobId: string): boolean {
    const timer = this.#timers.get(jobId);
    timer?.refresh();
    return timer !== undefined;
  }

  stop(jobId: string): void {
    clearTimeout(this.#timers.get(jobId));
    this.#timers.delete(jobId);
  }

  stopAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
