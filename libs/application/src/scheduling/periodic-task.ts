/**
 * Work the ledger does on a timer (firing deadlines, signing checkpoints): once at start — to catch up on what fell
 * due while it was down — then every interval. A pass still running makes the next one a no-op, a failed pass is
 * logged and tried again at the next tick, and `stop` waits for the pass in flight. Plain start/stop so any host can
 * drive it; `LedgerModule` ties them to the Nest lifecycle.
 */
export abstract class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  /** Milliseconds between passes; 0 or less turns the task off. */
  protected abstract get intervalMs(): number;
  /** Named in the log line of a failed pass. */
  protected abstract readonly taskName: string;
  protected abstract work(): Promise<unknown>;

  /** Runs the first pass, then schedules the next ones (nothing when the interval is 0). */
  async start(): Promise<void> {
    if (this.intervalMs <= 0) return;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass; overlapping passes are skipped. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.work().catch((e: Error) =>
      console.error(JSON.stringify({ level: 'error', msg: `${this.taskName} pass failed`, error: e.message })),
    );
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Stops the timer and waits for the pass in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
