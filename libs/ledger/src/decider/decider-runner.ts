import { createHash } from 'node:crypto';
import type { Clock } from '../clock/clock';
import { canonicalize } from '../integrity/canonical-json';
import { GENESIS_HASH, sealEvents } from '../integrity/hash-chain';
import {
  type CommandClaim,
  ConcurrencyConflict,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StoredCommand,
  type StreamWrite,
  type AppendResult,
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
  /**
   * Whose command id this is (DESIGN §8.1): the same id in another scope is another command. Default: the actor.
   * The HTTP shell passes the principal's person, or a stable non-secret id of its key.
   */
  scope?: string;
  /** Hex SHA-256 of the canonical name and body as the client sent them. Default: {@link commandHashOf} type and data. */
  requestHash?: string;
}

/**
 * The same principal reused a command id for another command (other name or body): 409, nothing appended. It names
 * the command that holds the id, so the client can tell its own retry from a clash of its id scheme.
 */
export class IdempotencyKeyReused extends Error {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(
    readonly commandId: string,
    readonly firstCommand: string,
    readonly command: string,
  ) {
    super(
      `command id ${commandId} already belongs to a ${firstCommand} command with another body; ` +
        `this ${command} was not recorded (use a new command id for a new command)`,
    );
    this.name = 'IdempotencyKeyReused';
  }
}

/** The hash a claim carries: SHA-256 over the RFC 8785 form of `{ name, body }`, so key order and spacing do not count. */
export const commandHashOf = (name: string, body: unknown): string =>
  createHash('sha256')
    .update(canonicalize({ name, body: JSON.parse(JSON.stringify(body ?? null)) as unknown }))
    .digest('hex');

/** The key event ids are derived from: a command id means nothing outside its scope. */
const scopedId = (claim: CommandClaim) => `${claim.scope}\u0000${claim.commandId}`;

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
    const claim: CommandClaim = {
      scope: command.scope ?? command.actor,
      commandId: command.commandId,
      name: command.type,
      hash: command.requestHash ?? commandHashOf(command.type, (command as { data?: unknown }).data),
    };
    // The store answers from its own record (not a read model that may lag): a retry never decides again.
    const previous = await this.store.findCommand(claim.scope, claim.commandId);
    if (previous) return this.duplicateOf(claim, previous);

    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const ctx = program.emptyContext();
        const tails = new Map<string, CachedStream>();
        await this.load(program, command, ctx, tails);
        const writes = program.decide(command, ctx).filter((w) => w.events.length > 0);
        const sealed = this.seal(command, claim, writes, tails);
        // Even a command that decided nothing is claimed, so its id cannot later be reused for another command.
        const appended = await this.store.appendCommand(claim, sealed);
        if (appended.duplicate) return this.duplicateOf(claim, appended.command);
        return { commandId: command.commandId, events: this.outcomeEvents(sealed, appended.results), duplicate: false };
      } catch (e) {
        failure = e;
      }
      // A racing request with the same key may have stored the command between our check and our decision, so that
      // this decision was refused or conflicted: its answer is the stored command's, not the refusal.
      const raced = await this.store.findCommand(claim.scope, claim.commandId).catch(() => undefined);
      if (raced) return this.duplicateOf(claim, raced);
      if (!(failure instanceof ConcurrencyConflict) || attempt >= this.maxAttempts) throw failure;
      // Someone else wrote first: fold what they wrote and decide again (a bounded number of times, since a hot
      // stream could otherwise starve a writer forever). A short random pause spreads writers that collided.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }

  /** The first result for a retry (same name and body); 409 for another command under the same key. */
  private duplicateOf(claim: CommandClaim, stored: StoredCommand): CommandOutcome {
    if (stored.hash !== claim.hash) throw new IdempotencyKeyReused(claim.commandId, stored.name, claim.name);
    return {
      commandId: claim.commandId,
      events: stored.events.map(({ eventId, type, streamId, revision, position, data }) => ({
        eventId,
        type,
        streamId,
        revision,
        position,
        data,
      })),
      duplicate: true,
    };
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

  private seal(
    command: LedgerCommand,
    claim: CommandClaim,
    writes: DecisionWrite[],
    tails: Map<string, CachedStream>,
  ): StreamWrite[] {
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
        eventId: eventIdFor(scopedId(claim), w.streamId, i),
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
    return sealed;
  }

  private outcomeEvents(sealed: StreamWrite[], results: AppendResult[]): AppendedEvent[] {
    return sealed.flatMap((w, i) =>
      w.events.map((e, j) => ({
        eventId: results[i].events[j].eventId,
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
