import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AccessDeniedError,
  InvalidArgumentError,
  NotFoundError,
  START,
  StreamDeletedError,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type ReadPosition,
} from '@eventstore/db-client';
import {
  type EventHandler,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionFilter,
  StoreUnavailable,
} from './event-store.port';

/** How a dropped `$all` subscription comes back: exponential backoff between attempts, capped at `maxDelayMs`. */
export interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Consecutive failed attempts (no event, no caught-up in between) before giving up with onError. */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 5000,
  maxAttempts: Number.POSITIVE_INFINITY,
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Streams holding the adapter's command plans (its own bookkeeping, see EsdbEventStore.appendCommand). Like system
 * streams they never reach the ledger, unless a subscription asks for them by this prefix (the plan completer does).
 */
export const PLAN_STREAM_PREFIX = 'ledger-plans-';

/** Prefixes always kept out, unless the filter includes them by name. */
const hiddenPrefixes = (filter?: SubscriptionFilter): string[] =>
  (filter?.streamPrefixes ?? []).some((p) => p.startsWith(PLAN_STREAM_PREFIX)) ? [] : [PLAN_STREAM_PREFIX];

/**
 * The server-side stream-name filter for a port filter. System streams (`$stats-…`, `$et-…`, `$$meta`) are always
 * excluded; the regex is written in the subset .NET and JavaScript regexes share (anchors, lookahead, alternation).
 */
export const streamFilterRegex = (filter?: SubscriptionFilter): string => {
  const excluded = ['\\$', ...[...hiddenPrefixes(filter), ...(filter?.excludeStreamPrefixes ?? [])].map(escapeRegex)];
  const included = filter?.streamPrefixes ?? [];
  return `^(?!${excluded.join('|')})` + (included.length > 0 ? `(?:${included.map(escapeRegex).join('|')})` : '');
};

/** The same test on the client side, so a server that ignored the filter still cannot leak a stream through. */
export const streamFilterPredicate = (filter?: SubscriptionFilter): ((streamId: string) => boolean) => {
  const included = filter?.streamPrefixes ?? [];
  const excluded = [...hiddenPrefixes(filter), ...(filter?.excludeStreamPrefixes ?? [])];
  return (streamId) =>
    !streamId.startsWith('$') &&
    (included.length === 0 || included.some((p) => streamId.startsWith(p))) &&
    !excluded.some((p) => streamId.startsWith(p));
};

/** Errors a resubscription cannot cure: the server will answer the same way again. */
const isPermanent = (error: unknown) =>
  error instanceof AccessDeniedError ||
  error instanceof InvalidArgumentError ||
  error instanceof NotFoundError ||
  error instanceof StreamDeletedError;

/** Wraps an exception thrown by the subscriber's handler, so it is not mistaken for a transport failure. */
class HandlerFailed extends Error {
  constructor(readonly error: unknown) {
    super('the subscription handler failed', { cause: error });
  }
}

type AttemptOutcome = { kind: 'stopped' } | { kind: 'dropped'; error?: unknown };

const handlerContext = new AsyncLocalStorage<EsdbSubscription>();

/**
 * A catch-up subscription to `$all` that survives dropped connections.
 *
 * Each attempt subscribes from the last position the handler finished (EventStoreDB starts a subscription
 * exclusively after the given position), so a resubscription neither skips nor repeats an event; events at or before
 * that position are dropped defensively in case a server ever repeats one. The client's stream is read in paused
 * mode, one event at a time, so the handler's promise is awaited before the next event is taken and the gRPC stream
 * is back-pressured meanwhile.
 */
export class EsdbSubscription implements Subscription {
  private lastPosition: number | undefined;
  private stopped = false;
  private caughtUpReported = false;
  private current: AllStreamSubscription | undefined;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;
  private readonly accepts: (streamId: string) => boolean;
  private readonly regex: string;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
    private readonly convert: (event: NonNullable<AllStreamResolvedEvent['event']>) => RecordedEvent,
    private readonly policy: ReconnectPolicy,
  ) {
    this.lastPosition = options.after;
    this.accepts = streamFilterPredicate(options.filter);
    this.regex = streamFilterRegex(options.filter);
    this.done = this.run();
  }

  get position(): number | undefined {
    return this.lastPosition;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const current = this.current;
    if (current) await current.unsubscribe().catch(() => undefined);
    // Called from inside our own handler: the loop is waiting for that handler, so waiting for the loop would
    // deadlock. The loop sees `stopped` as soon as the handler returns and delivers nothing more.
    if (handlerContext.getStore() === this) return;
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let outcome: AttemptOutcome;
      try {
        outcome = await this.attempt(() => (failures = 0));
      } catch (thrown) {
        this.stopped = true;
        if (thrown instanceof HandlerFailed) this.fail(thrown.error);
        else this.fail(thrown);
        return;
      }
      if (outcome.kind === 'stopped' || this.stopped) return;
      if (isPermanent(outcome.error)) {
        this.stopped = true;
        this.fail(outcome.error);
        return;
      }
      failures += 1;
      if (failures > this.policy.maxAttempts) {
        this.stopped = true;
        this.fail(
          new StoreUnavailable(
            `$all subscription: gave up after ${this.policy.maxAttempts} reconnection attempts`,
            outcome.error,
          ),
        );
        return;
      }
      await this.sleep(Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** (failures - 1)));
    }
  }

  /** One subscription call, until it drops or we stop. `healthy` resets the backoff once it delivers anything. */
  private async attempt(healthy: () => void): Promise<AttemptOutcome> {
    const p = this.lastPosition;
    const fromPosition: ReadPosition = p === undefined ? START : { commit: BigInt(p), prepare: BigInt(p) };
    const sub = this.client.subscribeToAll({ fromPosition, filter: streamNameFilter({ regex: this.regex }) });
    this.current = sub;

    let failure: unknown;
    let ended = false;
    let taken = 0;
    let handled = 0;
    let caughtUpAfter: number | undefined;
    let notify: (() => void) | undefined;
    const poke = () => {
      const n = notify;
      notify = undefined;
      n?.();
    };
    const reportCaughtUp = () => {
      if (this.caughtUpReported || caughtUpAfter === undefined || handled < caughtUpAfter) return;
      this.caughtUpReported = true;
      this.options.onCaughtUp?.();
    };

    // This listener stays attached after the attempt: an 'error' emitted with no listener would crash the process.
    sub.on('error', (error: Error) => {
      failure ??= error;
      poke();
    });
    sub.on('end', () => ((ended = true), poke()));
    sub.on('close', () => ((ended = true), poke()));
    sub.on('readable', poke);
    sub.on('caughtUp', () => {
      healthy();
      // Every event the server sent before its caught-up message has been pushed into the stream by now: either
      // taken by us already or still buffered. Caught up = the handler has finished all of those.
      caughtUpAfter = taken + sub.readableLength;
      reportCaughtUp();
    });

    try {
      while (!this.stopped) {
        if (failure !== undefined) return { kind: 'dropped', error: failure };
        const item = sub.read() as AllStreamResolvedEvent | null;
        if (item !== null) {
          taken += 1;
          if (await this.deliver(item)) healthy();
          handled += 1;
          reportCaughtUp();
          continue;
        }
        if (ended) return { kind: 'dropped' };
        await new Promise<void>((resolve) => {
          notify = resolve;
          this.wake = resolve;
        });
      }
      return { kind: 'stopped' };
    } finally {
      this.current = undefined;
      await sub.unsubscribe().catch(() => undefined);
    }
  }

  /** Hands one event to the handler; false when it was skipped (system stream, filtered, already handled). */
  private async deliver(item: AllStreamResolvedEvent): Promise<boolean> {
    if (this.stopped || !item.event) return false;
    const recorded = this.convert(item.event);
    if (this.lastPosition !== undefined && recorded.position <= this.lastPosition) return false;
    if (!this.accepts(recorded.streamId)) return false;
    try {
      await handlerContext.run(this, async () => this.handler(recorded));
    } catch (error) {
      throw new HandlerFailed(error);
    }
    this.lastPosition = recorded.position;
    return true;
  }

  private fail(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
