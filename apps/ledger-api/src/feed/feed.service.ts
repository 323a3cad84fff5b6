import { HttpException, HttpStatus, Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { RecordedEvent, Subscription } from '@app/ledger';
import type { LedgerCore, ServiceConfig } from '@app/application';
import { LEDGER_CORE, SERVICE_CONFIG } from '../tokens';

/** What a feed client asked for. */
export interface FeedRequest {
  /**
   * Exclusive global position to resume after (Last-Event-ID or ?after=; `after=0` replays from the start); undefined
   * = from the head: only events stored after the subscriber connected (docs/decisions.md).
   */
  after?: number;
  /** Stream id prefixes (`item-`, `incident-`); empty = every stream. */
  streams: string[];
  /** Event types; empty = every type. */
  types: string[];
}

/** The little of a Node response the feed writes to. */
export interface FeedSink {
  write(chunk: string): boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  end(): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

/** One server-sent event: `id` is the global position, so a reconnect resumes with Last-Event-ID. */
export const formatEvent = (e: RecordedEvent): string =>
  `id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify({
    eventId: e.eventId,
    type: e.type,
    streamId: e.streamId,
    revision: e.revision,
    position: e.position,
    data: e.data,
    metadata: e.metadata,
  })}\n\n`;

/**
 * The live feed: one store subscription per client (contract §2.4 — never the in-memory EventBus), catch-up from the
 * client's position then live, in global order. The subscription stops when the client goes away; heartbeats keep
 * proxies from closing an idle stream and reveal a dead client.
 */
@Injectable()
export class FeedService implements BeforeApplicationShutdown {
  private readonly open = new Set<() => Promise<void>>();
  /** Open streams per API key (by its non-secret id). */
  private readonly perKey = new Map<string, number>();

  constructor(
    @Inject(LEDGER_CORE) private readonly core: LedgerCore,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  /** How many clients are connected (tests, metrics). */
  get clients(): number {
    return this.open.size;
  }

  /**
   * Takes a place for one more stream of this key, or refuses with 429 TOO_MANY_STREAMS (issue 11: each stream is a
   * store subscription replaying history, so one key could otherwise open hundreds). Call before answering 200.
   * Returns the release to hand to {@link stream}.
   */
  admit(keyId: string): () => void {
    const mine = this.perKey.get(keyId) ?? 0;
    const total = [...this.perKey.values()].reduce((a, b) => a + b, 0);
    const perKeyFull = mine >= this.config.feedMaxStreamsPerKey;
    if (perKeyFull || total >= this.config.feedMaxStreams) {
      throw new HttpException(
        {
          code: 'TOO_MANY_STREAMS',
          detail: perKeyFull
            ? `This key has ${mine} feed streams open, the most allowed (FEED_MAX_STREAMS_PER_KEY); close one first.`
            : `The service has ${total} feed streams open, the most allowed (FEED_MAX_STREAMS); retry later.`,
          retryAfter: 5,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    this.perKey.set(keyId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perKey.get(keyId) ?? 1) - 1;
      if (left > 0) this.perKey.set(keyId, left);
      else this.perKey.delete(keyId);
    };
  }

  stream(
    request: FeedRequest,
    sink: FeedSink,
    onClose: (listener: () => void) => void,
    release: () => void = () => undefined,
  ): void {
    const types = new Set(request.types);
    const waitDrain = () =>
      new Promise<void>((resolve) => {
        sink.once('drain', resolve);
        sink.once('close', resolve);
      });
    let closed = false;
    const send = async (chunk: string): Promise<void> => {
      if (closed || sink.destroyed || sink.writableEnded) return;
      // Back-pressure: a slow client holds its own subscription back, not the store or other clients.
      if (!sink.write(chunk)) await waitDrain();
    };
    let subscription: Subscription | undefined;
    const subscribe = (after: number | undefined) => {
      if (closed) return;
      subscription = this.core.store.subscribeToAll(
        async (event) => {
          if (types.size > 0 && !types.has(event.type)) return;
          await send(formatEvent(event));
        },
        {
          after,
          filter: request.streams.length ? { streamPrefixes: request.streams } : undefined,
          onError: () => void stop(),
        },
      );
    };
    const heartbeat = setInterval(
      () => void send(`: heartbeat ${this.core.clock.now().toISOString()}\n\n`),
      this.config.feedHeartbeatMs,
    );
    heartbeat.unref();
    const stop = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      release();
      clearInterval(heartbeat);
      this.open.delete(stop);
      await subscription?.stop();
      if (!sink.writableEnded) sink.end();
    };
    if (request.after !== undefined) subscribe(request.after);
    else
      // A new subscriber starts at the head: at 1M events a dashboard opening the feed was sent every event from the
      // start of the log (session 3's soak). Every event stored after the head read here is delivered (docs/decisions.md).
      this.core.store.headPosition().then(
        (head) => subscribe(head),
        () => void stop(),
      );
    this.open.add(stop);
    onClose(() => void stop());
  }

  /** Ends every open stream before the store closes, so shutdown does not wait on connected dashboards. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.open].map((stop) => stop()));
  }
}
