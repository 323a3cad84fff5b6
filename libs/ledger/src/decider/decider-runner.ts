import type { Clock } from '../clock/clock';
import { GENESIS_HASH, sealEvents } from '../integrity/hash-chain';
import {
  ConcurrencyConflict,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StreamWrite,
} from '../store/event-store.port';
import { eventIdFor } from './deterministic-id';

/** What every command carries, whatever its domain. */
export interface LedgerCommand {
  type: string;
  commandId: string;
  /** The principal on whose authority the command is given. */
  actor: string;
  /** occurredAt: when it happened in the world. */
  at: string;
  correlationId?: string;
  causationId?: string | null;
}

export interface LoadedStream {
  state: unknown;
  revision: number;
}

export interface DecisionWrite {
  streamId: string;
  events: { type: string; data: unknown }[];
}

/**
 * A domain as the runner sees it: `plan` says what to load (in rounds, until it asks for nothing new), `fulfil`
 * loads what is not a stream (read-model lookups), `decide` is pure.
 */
export interface DeciderProgram<
  C extends LedgerCommand,
  Ctx extends { streams: Record<string, LoadedStream> },
  N extends { streams?: string[] },
> {
  emptyContext(): Ctx;
  plan(command: C, ctx: Ctx): N;
  /** Loads the non-stream needs into ctx; returns true when it added anything. */
  fulfil(needs: N, ctx: Ctx): Promise<boolean>;
  decide(command: C, ctx: Ctx): DecisionWrite[];
  initialState(streamId: string): unknown;
  evolve(streamId: string, state: unknown, event: { type: string; data: unknown }): unknown;
}

export interface AppendedEvent {
  eventId: string;
  type: string;
  streamId: string;
  revision: number;
  position: number;
  data: unknown;
}

export interface CommandOutcome {
  commandId: string;
  events: AppendedEvent[];
  /** True when the command id had already been recorded and nothing was appended now. */
  duplicate: boolean;
}

/** Where the runner looks up a command id it may have recorded before (a read model over the store). */
export interface CommandLog {
  find(commandId: string): Promise<Omit<CommandOutcome, 'duplicate'> | null>;
}

interface CachedStream {
  state: unknown;
  revision: number;
  lastHash: string;
}

export interface DeciderRunnerOptions {
  /** Attempts on a concurrency conflict before giving up (decide is pure, so a retry is safe). */
  maxAttempts?: number;
  /** Folded stream states kept in memory, so a long stream is read from its last cached revision only. */
  cacheSize?: number;
  commandLog?: CommandLog;
  schemaVersion?: number;
}

/**
 * Read → fold → decide → append with the revisions read. The one place where metadata (occurredAt, recordedAt,
 * actor, command, correlation and causation ids) and the hash chain are filled in, so no caller can forget them.
 */
export class DeciderRunner {
  private readonly cache = new Map<string, CachedStream>();
  private readonly maxAttempts: number;
  private readonly cacheSize: number;

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly options: DeciderRunnerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.cacheSize = options.cacheSize ?? 20_000;
  }

  async run<
    C extends LedgerCommand,
    Ctx extends { streams: Record<string, LoadedStream> },
    N extends { streams?: string[] },
  >(program: DeciderProgram<C, Ctx, N>, command: C): Promise<CommandOutcome> {
    const previous = await this.options.commandLog?.find(command.commandId);
    if (previous) return { ...previous, duplicate: true };

    for (let attempt = 1; ; attempt++) {
      const ctx = program.emptyContext();
      const tails = new Map<string, CachedStream>();
      await this.load(program, command, ctx, tails);
      const writes = program.decide(command, ctx).filter((w) => w.events.length > 0);
      if (writes.length === 0) return { commandId: command.commandId, events: [], duplicate: false };
      try {
        return { commandId: command.commandId, events: await this.append(command, writes, tails), duplicate: false };
      } catch (e) {
        if (!(e instanceof ConcurrencyConflict) || attempt >= this.maxAttempts) throw e;
        // Someone else wrote first: fold what they wrote and decide again (a bounded number of times, since a hot
        // stream could otherwise starve a writer forever). A short random pause spreads writers that collided.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
        const again = await this.options.commandLog?.find(command.commandId);
        if (again) return { ...again, duplicate: true };
      }
    }
  }

  private async load<
    C extends LedgerCommand,
    Ctx extends { streams: Record<string, LoadedStream> },
    N extends { streams?: string[] },
  >(program: DeciderProgram<C, Ctx, N>, command: C, ctx: Ctx, tails: Map<string, CachedStream>): Promise<void> {
    for (let round = 0; round < 8; round++) {
      const needs = program.plan(command, ctx);
      const missing = [...new Set(needs.streams ?? [])].filter((s) => !(s in ctx.streams));
      const loaded = await Promise.all(missing.map((s) => this.fold(program, s)));
      missing.forEach((s, i) => {
        ctx.streams[s] = { state: loaded[i].state, revision: loaded[i].revision };
        tails.set(s, loaded[i]);
      });
      const more = await program.fulfil(needs, ctx);
      if (missing.length === 0 && !more) return;
    }
    throw new Error(`${command.type}: the plan kept asking for more after 8 rounds`);
  }

  /** Folds a stream from its cached state onwards. */
  private async fold<
    C extends LedgerCommand,
    Ctx extends { streams: Record<string, LoadedStream> },
    N extends { streams?: string[] },
  >(program: DeciderProgram<C, Ctx, N>, streamId: string): Promise<CachedStream> {
    const cached = this.cache.get(streamId) ?? {
      state: program.initialState(streamId),
      revision: -1,
      lastHash: GENESIS_HASH,
    };
    const events = await this.store.readStream(streamId, { fromRevision: cached.revision + 1 });
    if (events.length === 0) return cached;
    let state = cached.state;
    for (const e of events) state = program.evolve(streamId, state, e);
    const last = events[events.length - 1];
    const next = { state, revision: last.revision, lastHash: String(last.metadata.hash) };
    this.remember(streamId, next);
    return next;
  }

  private remember(streamId: string, entry: CachedStream): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, entry);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }

  private async append(
    command: LedgerCommand,
    writes: DecisionWrite[],
    tails: Map<string, CachedStream>,
  ): Promise<AppendedEvent[]> {
    const recordedAt = this.clock.now().toISOString();
    const metadata = {
      occurredAt: command.at,
      recordedAt,
      actor: command.actor,
      commandId: command.commandId,
      correlationId: command.correlationId ?? command.commandId,
      causationId: command.causationId ?? null,
      schemaVersion: this.options.schemaVersion ?? 1,
    };
    const sealed: StreamWrite[] = writes.map((w) => {
      // A stream the plan did not load is one the decision creates (a new incident): it must not exist yet.
      const tail = tails.get(w.streamId) ?? { state: undefined, revision: -1, lastHash: GENESIS_HASH };
      const events: NewEvent[] = w.events.map((e, i) => ({
        eventId: eventIdFor(command.commandId, w.streamId, i),
        type: e.type,
        data: e.data,
        metadata: { ...metadata },
      }));
      // The ledger always appends with the exact revision it read: the chain needs the previous hash.
      return {
        streamId: w.streamId,
        expectedRevision: tail.revision,
        events: sealEvents(w.streamId, tail.revision, tail.lastHash, events),
      };
    });
    const results = await this.store.appendMany(sealed);
    return sealed.flatMap((w, i) =>
      w.events.map((e, j) => ({
        eventId: e.eventId,
        type: e.type,
        streamId: w.streamId,
        revision: results[i].events[j].revision,
        position: results[i].events[j].position,
        data: e.data,
      })),
    );
  }
}

export type { RecordedEvent };
