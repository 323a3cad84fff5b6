import type {
  EventHandler,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionFilter,
} from './event-store.port';

/** Events read per page by a subscription. */
const PAGE_SIZE = 500;

/** What a subscription reads from: the committed log, after a position, a page at a time. */
export interface LogPageSource {
  /**
   * `lookPastTail: false` lets the source answer "nothing more" without reading the file when `after` is the end of
   * the commits it made itself (it told the subscription of those; another process's appends are found by the
   * next read that looks, at the latest after the poll interval).
   */
  readPage(after: number, limit: number, lookPastTail?: boolean): RecordedEvent[];
}

const matchesFilter = (filter: SubscriptionFilter | undefined, streamId: string): boolean => {
  if (!filter) return true;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((p) => streamId.startsWith(p))) return false;
  if (filter.excludeStreamPrefixes && filter.excludeStreamPrefixes.some((p) => streamId.startsWith(p))) return false;
  return true;
};

/**
 * Catch-up and live delivery are the same loop: read `position > cursor` from the database, deliver, advance.
 * There is no hand-over between a "catch-up" and a "live" mode, hence no window for a gap or a duplicate.
 * When the log is exhausted the loop sleeps until the store commits (in-process notification) or the poll
 * interval passes: the poll is what makes appends by another process (e.g. the CLI) on the same file visible.
 */
export class SqliteSubscription implements Subscription {
  readonly done: Promise<void>;
  private cursor: number;
  private handled: number | undefined;
  private stopped = false;
  private caughtUp = false;
  private dirty = false;
  /** The next read looks in the file past the store's own commits: at the start and after each poll interval. */
  private polled = true;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: LogPageSource,
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
    private readonly headAtStart: number,
    private readonly pollIntervalMs: number,
  ) {
    this.cursor = options.after ?? 0;
    this.handled = options.after;
    this.done = this.run();
  }

  get position(): number | undefined {
    return this.handled;
  }

  /** Resolves once the loop has ended, i.e. after the handler call in flight (if any) finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }

  /** Called by the store after each commit. */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    // Deliver nothing before subscribeToAll has returned the subscription to its caller.
    await Promise.resolve();
    try {
      while (!this.stopped) {
        this.checkCaughtUp();
        this.dirty = false;
        const page = this.store.readPage(this.cursor, PAGE_SIZE, this.polled);
        this.polled = false;
        if (page.length === 0) {
          await this.sleep();
          continue;
        }
        for (const event of page) {
          if (this.stopped) return;
          if (matchesFilter(this.options.filter, event.streamId)) {
            await this.handler(event);
            this.handled = event.position;
          }
          // Filtered-out events advance the cursor too, so they are not read again.
          this.cursor = event.position;
          this.checkCaughtUp();
        }
        // Handlers that finish synchronously never yield to the event loop; without this a long catch-up would
        // starve appends, HTTP requests and timers until it reached the head.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.stopped = true;
      const err = error instanceof Error ? error : new Error(String(error));
      // A subscription that dies silently would leave its read model stale without a trace.
      if (this.options.onError) this.options.onError(err);
      else process.emitWarning(`event store subscription stopped: ${err.message}`);
    }
  }

  private checkCaughtUp(): void {
    if (!this.caughtUp && this.cursor >= this.headAtStart) {
      this.caughtUp = true;
      this.options.onCaughtUp?.();
    }
  }

  private sleep(): Promise<void> {
    if (this.dirty || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(() => {
        this.polled = true;
        done();
      }, this.pollIntervalMs);
      this.wake = done;
    });
  }
}
