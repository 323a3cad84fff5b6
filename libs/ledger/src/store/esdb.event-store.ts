import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type JSONType,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ConcurrencyConflict,
  StoreUnavailable,
  type AppendResult,
  type EventHandler,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamWrite,
  type SubscribeOptions,
  type Subscription,
} from './event-store.port';
import { DEFAULT_RECONNECT, EsdbSubscription, type ReconnectPolicy } from './esdb.subscription';

export interface EsdbEventStoreOptions {
  reconnect?: Partial<ReconnectPolicy>;
  /** Events fetched per request when reading `$all` (system events are skipped, so a page may yield fewer). */
  pageSize?: number;
}

type ClientRecordedEvent = NonNullable<ResolvedEvent['event']>;

/** The server writes this (2^64 - 1) where it has no `$all` position for an event: stream reads before 22.6. */
const NO_POSITION = 18446744073709551615n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** EventStoreDB returns ids in this form; any other spelling would come back changed and break the hash chain. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A global position as a JS number. EventStoreDB positions are byte offsets in its transaction log (uint64); a number
 * holds them exactly up to 2^53 - 1 bytes (8 PiB of log), far beyond any ledger, and we refuse rather than round.
 */
export const toPosition = (commit: bigint): number => {
  if (commit === NO_POSITION) {
    throw new Error('EventStoreDB sent no $all position for a stream read: the server must be 22.6 or later');
  }
  if (commit < 0n || commit > MAX_SAFE) throw new RangeError(`EventStoreDB position ${commit} exceeds 2^53 - 1`);
  return Number(commit);
};

const toEsdbRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  if (expected === 'any') return ANY;
  if (expected === 'no-stream' || expected === -1) return NO_STREAM;
  if (!Number.isSafeInteger(expected) || expected < -1) throw new RangeError(`invalid expected revision ${expected}`);
  return BigInt(expected);
};

const TRANSIENT_CODES: number[] = [GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED];

/**
 * Connection-level failures become the port's StoreUnavailable; everything else is rethrown as it came. The client
 * does not convert every failure: the server-features probe it makes before the first append after a reconnect
 * rejects with the raw gRPC error, hence the status-code test.
 */
const mapTransportError = (error: unknown, what: string): unknown =>
  error instanceof UnavailableError ||
  error instanceof DeadlineExceededError ||
  error instanceof CancelledError ||
  error instanceof NotLeaderError ||
  error instanceof TimeoutError ||
  (error instanceof Error && TRANSIENT_CODES.includes((error as { code?: unknown }).code as number))
    ? new StoreUnavailable(`EventStoreDB unavailable during ${what}: ${(error as Error).message}`, error)
    : error;

const isSystemStream = (streamId: string) => streamId.startsWith('$');

/**
 * The EventStore port on EventStoreDB (gRPC, `@eventstore/db-client`). See docs/operations.md for running it.
 *
 * - Events are JSON events; the port's `metadata` is the event's custom metadata, stored byte for byte as JSON, so the
 *   hash chain and Merkle log verify the same as on the embedded store. Event ids must be canonical lowercase UUIDs.
 * - Positions are `$all` commit positions (byte offsets: increasing, not dense). Streams whose id starts with `$`
 *   (the server's own: `$stats-…`, `$et-…`, `$$…` metadata) never reach the ledger: reads skip them and subscriptions
 *   filter them out on the server.
 * - `appendMany` appends stream by stream: EventStoreDB has no multi-stream transaction (see the method).
 * - Idempotency is the server's: re-sending the same event ids with the same exact expected revision (or `no-stream`)
 *   is recognised from the stream itself and answered with success without writing; with `any` the server only
 *   checks a bounded cache of recent event ids (best effort). The ledger always appends with an exact revision.
 */
export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly policy: ReconnectPolicy;
  private readonly pageSize: number;

  constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions = {},
  ) {
    this.policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.pageSize = options.pageSize ?? 512;
  }

  /** `url` is an EventStoreDB connection string, e.g. `esdb://127.0.0.1:2113?tls=false`. No RPC is made yet. */
  static connect(url: string, options?: EsdbEventStoreOptions): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(url), options);
  }

  async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) return this.appendNothing(streamId, expectedRevision);
    for (const e of events) {
      if (!CANONICAL_UUID.test(e.eventId)) {
        throw new TypeError(`event id ${e.eventId} is not a lowercase UUID (EventStoreDB stores ids as UUIDs)`);
      }
    }
    let last: number;
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((e) =>
          jsonEvent({ id: e.eventId, type: e.type, data: e.data as JSONType, metadata: e.metadata as JSONType }),
        ),
        { expectedRevision: toEsdbRevision(expectedRevision) },
      );
      last = Number(result.nextExpectedRevision);
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
        throw new ConcurrencyConflict(streamId, expectedRevision, actual);
      }
      throw mapTransportError(error, `append to ${streamId}`);
    }
    // The append answer carries one position (and none on an idempotent retry before 24.x). Reading the range back
    // gives every event's own $all position from the same source readAll uses. On an idempotent retry the server
    // answers with the revision of the original write's last event, so this range is the original write.
    const first = last - events.length + 1;
    const stored = await this.readStream(streamId, { fromRevision: first, maxCount: events.length });
    events.forEach((e, i) => {
      if (stored[i]?.eventId !== e.eventId) {
        throw new Error(
          `stream ${streamId}: revision ${first + i} holds ${stored[i]?.eventId}, not the appended ${e.eventId}`,
        );
      }
    });
    return {
      streamId,
      nextExpectedRevision: last,
      position: stored[stored.length - 1].position,
      events: stored.map(({ eventId, revision, position }) => ({ eventId, revision, position })),
    };
  }

  /**
   * EventStoreDB has no transaction across streams, so the writes go one after another in the given order and the
   * first failure stops the rest. A crash (or a lost connection) in between leaves the earlier streams written and
   * the later ones not. The ledger derives event ids deterministically and appends with exact expected revisions, so
   * re-running the same command re-sends the same writes: the written ones are recognised as idempotent retries and
   * return their original results, and the rest are appended.
   */
  async appendMany(writes: StreamWrite[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const w of writes) results.push(await this.append(w.streamId, w.events, w.expectedRevision));
    return results;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      });
      for await (const resolved of read) if (resolved.event) out.push(this.toRecorded(resolved.event));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw mapTransportError(error, `read of ${streamId}`);
    }
    return out;
  }

  async streamRevision(streamId: string): Promise<number> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last ? last.revision : -1;
  }

  /**
   * Reads `$all` page by page, skipping system events, until `maxCount` ledger events are collected or the log ends.
   * A page starts at the last position seen; that event is dropped by position whichever way the server treats the
   * boundary (inclusive forwards, exclusive backwards).
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { after, direction = 'forwards' } = options;
    const wanted = options.maxCount ?? Number.POSITIVE_INFINITY;
    const backwards = direction === 'backwards';
    const out: RecordedEvent[] = [];
    let cursor: number | undefined = backwards ? undefined : after;
    while (out.length < wanted) {
      const fromPosition: ReadPosition =
        cursor === undefined ? (backwards ? END : START) : { commit: BigInt(cursor), prepare: BigInt(cursor) };
      let page: AllStreamResolvedEvent[];
      try {
        page = [];
        const read = this.client.readAll({
          fromPosition,
          direction: backwards ? BACKWARDS : FORWARDS,
          maxCount: this.pageSize,
        });
        for await (const resolved of read) page.push(resolved);
      } catch (error) {
        throw mapTransportError(error, 'read of $all');
      }
      for (const resolved of page) {
        if (!resolved.event) continue;
        const position = toPosition(resolved.event.position.commit);
        if (cursor !== undefined && (backwards ? position >= cursor : position <= cursor)) continue;
        cursor = position;
        if (backwards && after !== undefined && position <= after) return out;
        if (isSystemStream(resolved.event.streamId)) continue;
        out.push(this.toRecorded(resolved.event));
        if (out.length >= wanted) return out;
      }
      if (page.length < this.pageSize) return out;
    }
    return out;
  }

  async headPosition(): Promise<number | undefined> {
    const [last] = await this.readAll({ direction: 'backwards', maxCount: 1 });
    return last?.position;
  }

  subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = new EsdbSubscription(this.client, handler, options, (e) => this.toRecorded(e), this.policy);
    this.subscriptions.add(subscription);
    return {
      get position() {
        return subscription.position;
      },
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await this.client.dispose();
  }

  /** An empty append writes nothing; it still checks the expected revision, as the embedded store does. */
  private async appendNothing(streamId: string, expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    const actual = last ? last.revision : -1;
    const expected = expectedRevision === 'no-stream' ? -1 : expectedRevision;
    if (expected !== 'any' && expected !== actual) throw new ConcurrencyConflict(streamId, expectedRevision, actual);
    return { streamId, nextExpectedRevision: actual, position: last ? last.position : -1, events: [] };
  }

  private toRecorded(e: ClientRecordedEvent): RecordedEvent {
    if (!e.position) throw new Error(`EventStoreDB sent ${e.streamId}@${e.revision} without a position`);
    return {
      eventId: e.id,
      type: e.type,
      streamId: e.streamId,
      revision: Number(e.revision),
      position: toPosition(e.position.commit),
      data: e.data,
      metadata: (e.metadata ?? {}) as EventMetadata,
    };
  }
}
