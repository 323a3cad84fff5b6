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
import { createHash, randomUUID } from 'node:crypto';
import { sealEvents } from '../integrity/hash-chain';
import {
  ConcurrencyConflict,
  StoreUnavailable,
  type AppendResult,
  type CommandAppendResult,
  type CommandClaim,
  type StoredCommand,
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
import { DEFAULT_RECONNECT, EsdbSubscription, PLAN_STREAM_PREFIX, type ReconnectPolicy } from './esdb.subscription';

export interface EsdbEventStoreOptions {
  reconnect?: Partial<ReconnectPolicy>;
  /** Events fetched per request when reading `$all` (system events are skipped, so a page may yield fewer). */
  pageSize?: number;
  /** How long a plan may stand unfinished before the plan completer finishes it (default 2000 ms). */
  planGraceMs?: number;
}

const PLANNED = 'CommandPlanned';
const COMPLETED = 'CommandCompleted';
const ABANDONED = 'CommandAbandoned';

/** A command's plan: its claim and every write it will make, sealed, in order. */
interface PlanData extends CommandClaim {
  writes: StreamWrite[];
}

/** Where a plan stream stands: its last revision and its live plan (the last one not abandoned), if any. */
interface PlanState {
  revision: number;
  plan?: { revision: number; data: PlanData; completed: boolean };
}

/** The plan stream of a (scope, commandId): hashed, so neither the principal nor the id shows in stream names. */
const planStreamOf = (scope: string, commandId: string): string =>
  PLAN_STREAM_PREFIX + createHash('sha256').update(`${scope}\u0000${commandId}`).digest('hex').slice(0, 40);

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
    ? new StoreUnavailable(`EventStoreDB unavailable during ${what}: ${error.message}`, error)
    : error;

/** System streams and the adapter's plan streams never reach the ledger through reads of `$all`. */
const isSystemStream = (streamId: string) => streamId.startsWith('$') || streamId.startsWith(PLAN_STREAM_PREFIX);

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
  private readonly planGraceMs: number;
  /** Plans this process is carrying out now: the completer leaves them to their request. */
  private readonly inFlight = new Set<string>();
  /** Plans seen without their end, by stream, with when they were seen. */
  private readonly unfinished = new Map<string, number>();
  private completerTimer: NodeJS.Timeout | undefined;
  private completer: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions = {},
  ) {
    this.policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.pageSize = options.pageSize ?? 512;
    this.planGraceMs = options.planGraceMs ?? 2000;
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
        events.map((e) => jsonEvent({ id: e.eventId, type: e.type, data: e.data as JSONType, metadata: e.metadata })),
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

  /**
   * EventStoreDB has no transaction across streams, so a command is made atomic by its **plan**: the claim and every
   * sealed write, appended first to the command's own plan stream with `no-stream`. That append is the idempotency
   * check (one plan per (scope, commandId) wins; the loser reads the winner's plan and compares hashes), and it is
   * the record that lets the command be finished by anyone: this request, a retry, findCommand, or the plan
   * completer at start and from its subscription (see {@link resumeCommands}). The writes then go stream by stream
   * with their deterministic ids and exact revisions, so finishing a plan twice writes nothing twice; a
   * `CommandCompleted` marker ends it. If the first write meets a conflict the command never took effect: its plan
   * is marked `CommandAbandoned` and the caller decides again. A later write that meets a conflict (another command
   * wrote the stream after the crash) is sealed again onto the stream's current tail: the command took effect on
   * its first stream, so its remaining facts are recorded rather than lost.
   */
  async appendCommand(claim: CommandClaim, writes: StreamWrite[]): Promise<CommandAppendResult> {
    const stream = planStreamOf(claim.scope, claim.commandId);
    const plan: PlanData = {
      scope: claim.scope,
      commandId: claim.commandId,
      name: claim.name,
      hash: claim.hash,
      writes,
    };
    let expected: ExpectedRevision = 'no-stream';
    for (let attempt = 0; ; attempt++) {
      this.inFlight.add(stream);
      try {
        let planRevision: number;
        try {
          // A fresh id per attempt: the server's id-based idempotency must not mistake another plan for this one.
          const written = await this.append(
            stream,
            [{ eventId: randomUUID(), type: PLANNED, data: plan, metadata: {} }],
            expected,
          );
          planRevision = written.nextExpectedRevision;
        } catch (error) {
          if (!(error instanceof ConcurrencyConflict) || attempt >= 8) throw error;
          const state = await this.planState(stream);
          if (state.plan) {
            const command = await this.finish(stream, state.plan);
            if (command) return { duplicate: true, command };
          }
          // Every plan there was abandoned: the key is free again, after them.
          expected = state.revision;
          continue;
        }
        const done = await this.carryOut(stream, planRevision, plan);
        if ('conflict' in done) throw done.conflict;
        return { duplicate: false, results: done.results };
      } finally {
        this.inFlight.delete(stream);
      }
    }
  }

  /** The command stored under (scope, commandId); an unfinished one is finished first. */
  async findCommand(scope: string, commandId: string): Promise<StoredCommand | undefined> {
    const stream = planStreamOf(scope, commandId);
    const state = await this.planState(stream);
    return state.plan ? this.finish(stream, state.plan) : undefined;
  }

  /**
   * Finishes every plan an interrupted process left unfinished, then keeps finishing those it sees standing for
   * longer than `planGraceMs` (a request still carrying its plan out is left alone). Resolves once the plans stored
   * at start are finished, with how many it finished.
   */
  async resumeCommands(): Promise<number> {
    if (this.completer) return 0;
    let finishedAtStart = 0;
    const caughtUp = new Promise<void>((resolve, reject) => {
      this.completer = this.subscribeToAll(
        (event) => {
          if (event.type === PLANNED) this.unfinished.set(event.streamId, Date.now());
          else this.unfinished.delete(event.streamId);
        },
        { filter: { streamPrefixes: [PLAN_STREAM_PREFIX] }, onCaughtUp: () => resolve(), onError: reject },
      );
    });
    await caughtUp;
    for (const stream of [...this.unfinished.keys()]) if (await this.finishStream(stream)) finishedAtStart++;
    const sweep = async () => {
      const due = Date.now() - this.planGraceMs;
      for (const [stream, seen] of [...this.unfinished]) {
        if (this.closed) return;
        if (seen <= due && !this.inFlight.has(stream)) await this.finishStream(stream).catch(() => false);
      }
    };
    const tick = () => {
      this.completerTimer = setTimeout(() => void sweep().finally(() => !this.closed && tick()), this.planGraceMs);
      this.completerTimer.unref();
    };
    tick();
    return finishedAtStart;
  }

  private async finishStream(stream: string): Promise<boolean> {
    const state = await this.planState(stream);
    this.unfinished.delete(stream);
    if (!state.plan || state.plan.completed) return false;
    await this.finish(stream, state.plan);
    return true;
  }

  private async planState(stream: string): Promise<PlanState> {
    const events = await this.readStream(stream);
    const state: PlanState = { revision: events.length > 0 ? events[events.length - 1].revision : -1 };
    for (const e of events) {
      if (e.type === PLANNED) state.plan = { revision: e.revision, data: e.data as PlanData, completed: false };
      else if (e.type === ABANDONED && state.plan?.revision === (e.data as { plan: number }).plan)
        state.plan = undefined;
      else if (e.type === COMPLETED && state.plan) state.plan.completed = true;
    }
    return state;
  }

  /** Carries out a stored plan (nothing twice) and returns its command; undefined when it had to be abandoned. */
  private async finish(stream: string, plan: NonNullable<PlanState['plan']>): Promise<StoredCommand | undefined> {
    if (!plan.completed) {
      const done = await this.carryOut(stream, plan.revision, plan.data);
      if ('conflict' in done) return undefined;
    }
    const events: RecordedEvent[] = [];
    for (const w of plan.data.writes) events.push(...(await this.written(w)));
    const { scope, commandId, name, hash } = plan.data;
    return { scope, commandId, name, hash, events };
  }

  private async carryOut(
    stream: string,
    planRevision: number,
    plan: PlanData,
  ): Promise<{ results: AppendResult[] } | { conflict: ConcurrencyConflict }> {
    const results: AppendResult[] = [];
    for (const [i, w] of plan.writes.entries()) {
      try {
        results.push(await this.append(w.streamId, w.events, w.expectedRevision));
        continue;
      } catch (error) {
        if (!(error instanceof ConcurrencyConflict)) throw error;
        const found = await this.written(w);
        if (found.length === w.events.length) {
          results.push(this.resultOf(w.streamId, found));
          continue;
        }
        if (i === 0) {
          // Nothing of the command was recorded: it is given up, and its caller decides again on what is there now.
          await this.mark(stream, planRevision, ABANDONED);
          return { conflict: error };
        }
        results.push(await this.appendOnTail(w));
      }
    }
    await this.mark(stream, planRevision, COMPLETED);
    return { results };
  }

  /** The plan's events for one write as stored (by id), from the revision the plan expected onwards. */
  private async written(w: StreamWrite): Promise<RecordedEvent[]> {
    const from = typeof w.expectedRevision === 'number' ? w.expectedRevision + 1 : 0;
    const ids = new Set(w.events.map((e) => e.eventId));
    return (await this.readStream(w.streamId, { fromRevision: Math.max(0, from) })).filter((e) => ids.has(e.eventId));
  }

  /** Seals a plan's write again onto the stream's current tail (its revision and hash) and appends it there. */
  private async appendOnTail(w: StreamWrite): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      const [tail] = await this.readStream(w.streamId, { direction: 'backwards', maxCount: 1 });
      const resealed = sealEvents(w.streamId, tail.revision, String(tail.metadata.hash), w.events);
      try {
        return await this.append(w.streamId, resealed, tail.revision);
      } catch (error) {
        if (!(error instanceof ConcurrencyConflict) || attempt >= 8) throw error;
        const found = await this.written(w);
        if (found.length === w.events.length) return this.resultOf(w.streamId, found);
      }
    }
  }

  private resultOf(streamId: string, stored: RecordedEvent[]): AppendResult {
    const last = stored[stored.length - 1];
    return {
      streamId,
      nextExpectedRevision: last.revision,
      position: last.position,
      events: stored.map(({ eventId, revision, position }) => ({ eventId, revision, position })),
    };
  }

  /** Ends a plan; whoever ends it first wins, and a later end (a racing completer) is not needed. */
  private async mark(stream: string, planRevision: number, type: typeof COMPLETED | typeof ABANDONED): Promise<void> {
    try {
      await this.append(
        stream,
        [{ eventId: randomUUID(), type, data: { plan: planRevision }, metadata: {} }],
        planRevision,
      );
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict)) throw error;
    }
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
    this.closed = true;
    clearTimeout(this.completerTimer);
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
