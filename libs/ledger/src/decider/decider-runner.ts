import type { Clock } from '../clock/clock';
import { canonicalize } from '../integrity/canonical-json';
import { GENESIS_HASH, sealEvents } from '../integrity/hash-chain';
import { sha256Hex } from '../integrity/event-hash';
import {
  type CommandClaim,
  type CommandWrite,
  type CommandWriteOutcome,
  ConcurrencyConflict,
  type EventMetadata,
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
   * Whose command id this is (contract §8.1): the same id in another scope is another command. Default: the actor.
   * The HTTP shell passes the principal's person, or a stable non-secret id of its key.
   */
  scope?: string;
  /** Hex SHA-256 of the canonical name and body as the client sent them. Default: {@link commandHashOf} type and data. */
  requestHash?: string;
  /**
   * The command id was made for this command just now (its caller gave none, e.g. a random UUID): no stored command
   * can hold it, so the store is not asked for an earlier one before deciding. The append's claim is still checked
   * inside the store's transaction, so a reused id would still be answered as the command that holds it.
   */
  freshId?: boolean;
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

/**
 * The hash a claim carries: SHA-256 over the RFC 8785 form of `{ name, body }`, so key order and spacing do not count.
 * The body as JSON would carry it: plain JSON data (what a request body parses to) is canonicalized as it is, which
 * gives the text its JSON round trip would (canonicalize omits undefined members and writes undefined array slots as
 * null, as JSON.stringify does); anything else (a Date, NaN, a class instance) goes through the round trip first.
 */
export const commandHashOf = (name: string, body: unknown): string => {
  let text: string;
  try {
    text = canonicalize({ name, body: body ?? null });
  } catch {
    text = canonicalize({ name, body: JSON.parse(JSON.stringify(body ?? null)) as unknown });
  }
  return sha256Hex(text);
};

/** The key event ids are derived from: a command id means nothing outside its scope. */
const scopedId = (claim: CommandClaim) => `${claim.scope}\u0000${claim.commandId}`;

const claimOf = (command: LedgerCommand): CommandClaim => ({
  scope: command.scope ?? command.actor,
  commandId: command.commandId,
  name: command.type,
  hash: command.requestHash ?? commandHashOf(command.type, (command as { data?: unknown }).data),
});

const settle = (run: Promise<CommandOutcome>): Promise<BatchResult> =>
  run.then(
    (outcome): BatchResult => ({ ok: true, outcome }),
    (error: unknown): BatchResult => ({ ok: false, error }),
  );

const settleNow = (outcome: () => CommandOutcome): BatchResult => {
  try {
    return { ok: true, outcome: outcome() };
  } catch (error) {
    return { ok: false, error };
  }
};

export interface LoadedStream {
  /** The stream folded in recorded order: its current state. */
  state: unknown;
  revision: number;
  /**
   * The stream as it stood at the instant the program judges the command by (`judgedAsOf`): its first event, then
   * every later event that occurred at or before that instant, folded in occurredAt order. Only present when the
   * program asks for it.
   */
  asOf?: unknown;
}

/**
 * Whether the lookups `fulfil` answers from outside the streams (read models) must be caught up with the store first.
 * Given only in a batch ({@link DeciderRunner.runBatch}): `current` is true when this batch's `fulfil` caught up
 * lately and since then nothing was appended through this runner (by the batch or by any other command), no append
 * was under way, and no stream had to be read from the store (the store could not vouch for a head: someone else
 * wrote). Then the lookups answer as a catch-up now would, but for another process's write in the last few
 * milliseconds — the same race a single command has between its catch-up and its append. `fulfil` calls `caughtUp`
 * after it caught up, so the next command of the batch may skip it.
 */
export interface LookupFreshness {
  current: boolean;
  caughtUp(): void;
}

/** What the runner fills into every context, whatever the domain. */
export interface RunnerContext {
  streams: Record<string, LoadedStream>;
  /** When the ledger records this decision (the runner's clock, the same instant as the events' recordedAt). */
  recordedAt?: string;
  /** In a batch: whether `fulfil` may answer without catching up (see {@link LookupFreshness}). */
  lookups?: LookupFreshness;
}

export interface DecisionWrite {
  streamId: string;
  events: { type: string; data: unknown }[];
}

/**
 * A domain as the runner sees it: `plan` says what to load (in rounds, until it asks for nothing new), `fulfil`
 * loads what is not a stream (read-model lookups), `decide` is pure.
 */
export interface DeciderProgram<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }> {
  emptyContext(): Ctx;
  plan(command: C, ctx: Ctx): N;
  /** Loads the non-stream needs into ctx; returns true when it added anything. */
  fulfil(needs: N, ctx: Ctx): Promise<boolean>;
  decide(command: C, ctx: Ctx): DecisionWrite[];
  initialState(streamId: string): unknown;
  evolve(streamId: string, state: unknown, event: { type: string; data: unknown }): unknown;
  /**
   * The instant a command judges this stream as of (a fact is judged as things stood when it happened), or null to
   * judge by the current state only. When given, the runner fills `asOf` in the loaded stream.
   */
  judgedAsOf?(command: C, streamId: string): string | null;
  /**
   * For batches ({@link DeciderRunner.runBatch}), which decide command after command before anything is appended:
   * the keys of the answers `fulfil` would look up for these needs ([] when it looks up nothing). A batch appends
   * what it has decided so far before a command whose keys its pending events touch, so `fulfil` answers as it
   * would had each command been appended alone. Absent: any pending event touches every lookup.
   */
  fulfilKeys?(needs: N): string[];
  /** The keys of the answers `fulfil` may give differently once this event is in the read models; `'*'`: every one. */
  eventKeys?(streamId: string, event: { type: string; data: unknown }, stateAfter: unknown): string[];
}

/** What {@link DeciderRunner.runBatch} shows a command's pre-check: the events decided earlier in the batch, not yet stored. */
export interface BatchView {
  /** The first event of a stream when an earlier command of the batch created the stream. */
  pendingFirst(streamId: string): { metadata: EventMetadata } | undefined;
}

export interface BatchEntry<C> {
  command: C;
  /** Runs just before the command is decided (after the earlier ones were); a throw is the command's result. */
  precheck?: (view: BatchView) => Promise<void> | void;
}

export type BatchResult = { ok: true; outcome: CommandOutcome } | { ok: false; error: unknown };

/** A decided command of a batch, waiting for the batch's append. */
interface StagedCommand<C> {
  index: number;
  command: C;
  claim: CommandClaim;
  sealed: StreamWrite[];
  /** Every stream the decision was made on, with the fold it started from. */
  tails: Map<string, CachedStream>;
  /** The fold of each stream it writes after its events: the cache's entry once they are stored as sealed. */
  after: Map<string, CachedStream>;
}

/** Events decided in a batch and not yet appended, by stream: the fold after them and the events themselves. */
interface PendingStream {
  tail: CachedStream;
  /** The stream's stored revision before the batch's events. */
  storedRevision: number;
  events: Pick<RecordedEvent, 'type' | 'data' | 'revision' | 'metadata'>[];
}

/** The state of one batch between its appends. */
interface BatchState<C> {
  staged: StagedCommand<C>[];
  streams: Map<string, PendingStream>;
  keys: Set<string>;
  /** The runner's store epoch and the monotonic instant (ms) when this batch's `fulfil` last caught up. */
  caughtUp?: { epoch: number; at: number };
}

/**
 * How long a batch's catch-up stands for the next commands when nothing in this process wrote: a bound on how late
 * a batch command may see another process's write (a single command's own window, catch-up to append, is ~1 ms).
 */
const LOOKUPS_FRESH_MS = 20;

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
  /** The latest occurredAt (ms) among the stream's events after its first; -Infinity when it has none. */
  latestMs: number;
  /**
   * The whole stream folded in judgement order (first event, then occurredAt order): the state "as of now". While
   * every event after the first arrived in occurredAt order this is `state` itself; after a late event it is
   * computed again when first asked for (undefined until then).
   */
  judged: unknown;
  inOrder: boolean;
}

const msOf = (iso: unknown): number => (typeof iso === 'string' ? Date.parse(iso) : Number.NaN);

export interface DeciderRunnerOptions {
  /** Attempts on a concurrency conflict before giving up (decide is pure, so a retry is safe). */
  maxAttempts?: number;
  /** Folded stream states kept in memory, so a long stream is read from its last cached revision only. */
  cacheSize?: number;
  schemaVersion?: number;
  /** How long (ms) a batch's catch-up of its lookups stands while nothing is written (default 20; see LookupFreshness). */
  lookupsFreshMs?: number;
}

/**
 * Read → fold → decide → append with the revisions read. The one place where metadata (occurredAt, recordedAt,
 * actor, command, correlation and causation ids) and the hash chain are filled in, so no caller can forget them.
 */
export class DeciderRunner {
  private readonly cache = new Map<string, CachedStream>();
  /**
   * Moves when an append through this runner begins and when it ends, and when a stream is read from the store: a
   * batch's lookups caught up at one epoch are current while it stays the same (see {@link LookupFreshness}).
   */
  private storeEpoch = 0;
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

  async run<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    command: C,
  ): Promise<CommandOutcome> {
    const claim = claimOf(command);
    // The store answers from its own record (not a read model that may lag): a retry never decides again.
    const previous = command.freshId ? undefined : await this.store.findCommand(claim.scope, claim.commandId);
    if (previous) return this.duplicateOf(claim, previous);

    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const ctx = program.emptyContext();
        // One instant per attempt: the domain may record it (an incident is discovered when the ledger learns of
        // it) and the events carry it as their recordedAt.
        const recordedAt = this.clock.now().toISOString();
        ctx.recordedAt = recordedAt;
        const tails = new Map<string, CachedStream>();
        // After a failed attempt every stream is read again: the store's word on a head is trusted only once.
        await this.load(program, command, ctx, tails, attempt === 1);
        const writes = program.decide(command, ctx).filter((w) => w.events.length > 0);
        const sealed = this.seal(command, claim, writes, tails, recordedAt);
        // Even a command that decided nothing is claimed, so its id cannot later be reused for another command.
        const appended = await this.appending(() => this.store.appendCommand(claim, sealed));
        if (appended.duplicate) return this.duplicateOf(claim, appended.command);
        this.advance(program, sealed, appended.results, tails);
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

  /**
   * Runs commands in the order given, each as `run` would run it had it been given alone right after the ones before
   * it, but appends them together: each is decided on the cached folds moved on by the batch's earlier decisions, and
   * the decided commands go to the store in one `appendCommands` call (the embedded store: one transaction, one
   * fsync), each with its own claim, so each is idempotent and fails alone. A refused command (its decision threw)
   * has its error as its result and appends nothing; the next commands are decided without it. A command whose
   * append met a conflict (another writer, or an earlier command of the batch that did not land) is run again alone,
   * as `run` retries. Before a command whose `fulfil` would look up something the pending events touch
   * ({@link DeciderProgram.fulfilKeys}), the batch appends what it has decided so far, so the lookup sees it.
   */
  async runBatch<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    entries: readonly BatchEntry<C>[],
    options: { decided?: () => void } = {},
  ): Promise<BatchResult[]> {
    const results: BatchResult[] = new Array<BatchResult>(entries.length);
    const state: BatchState<C> = { staged: [], streams: new Map(), keys: new Set() };
    // Command ids claimed by a command decided earlier in this batch, and the later commands that reuse them.
    const claimed = new Map<string, { index: number; claim: CommandClaim }>();
    const reused: { index: number; claim: CommandClaim; first: { index: number; claim: CommandClaim } }[] = [];
    const view: BatchView = {
      pendingFirst: (streamId) => {
        const pending = state.streams.get(streamId);
        return pending && pending.storedRevision < 0 ? pending.events[0] : undefined;
      },
    };
    for (let index = 0; index < entries.length; index++) {
      const { command, precheck } = entries[index];
      try {
        // A pre-check that answers at once is not awaited (no promise hop per command of a batch).
        const checking = precheck?.(view);
        if (checking) await checking;
        const claim = claimOf(command);
        const first = claimed.get(scopedId(claim));
        if (first) {
          reused.push({ index, claim, first });
          continue;
        }
        const previous = command.freshId ? undefined : await this.store.findCommand(claim.scope, claim.commandId);
        if (previous) {
          results[index] = { ok: true, outcome: this.duplicateOf(claim, previous) };
          continue;
        }
        await this.stage(program, command, claim, index, state, results);
        claimed.set(scopedId(claim), { index, claim });
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
    // Every command is decided: what follows is the append (and the rare re-runs after it).
    options.decided?.();
    await this.appendStaged(program, state, results);
    for (const { index, claim, first } of reused) {
      const earlier = results[first.index];
      if (earlier.ok && earlier.outcome.duplicate === false) {
        results[index] =
          claim.hash === first.claim.hash
            ? { ok: true, outcome: { ...earlier.outcome, duplicate: true } }
            : { ok: false, error: new IdempotencyKeyReused(claim.commandId, first.claim.name, claim.name) };
      } else {
        // The first holder of the id was not recorded after all: this one is a command of its own.
        results[index] = await settle(this.run(program, entries[index].command));
      }
    }
    return results;
  }

  /** Decides one command of a batch on the batch's pending folds and stages its sealed writes. */
  private async stage<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    command: C,
    claim: CommandClaim,
    index: number,
    state: BatchState<C>,
    results: BatchResult[],
  ): Promise<void> {
    const beforeFulfil = async (needs: N): Promise<boolean> => {
      if (state.staged.length === 0) return false;
      const keys = program.fulfilKeys ? program.fulfilKeys(needs) : ['*'];
      if (keys.length === 0) return false;
      if (!state.keys.has('*') && !keys.includes('*') && !keys.some((k) => state.keys.has(k))) return false;
      await this.appendStaged(program, state, results);
      return true;
    };
    for (;;) {
      const ctx = program.emptyContext();
      const recordedAt = this.clock.now().toISOString();
      ctx.recordedAt = recordedAt;
      const tails = new Map<string, CachedStream>();
      // False when the batch so far had to be appended first: decide again on what is now stored (nothing pending).
      if (!(await this.load(program, command, ctx, tails, true, { state, beforeFulfil }))) continue;
      const writes = program.decide(command, ctx).filter((w) => w.events.length > 0);
      const sealed = this.seal(command, claim, writes, tails, recordedAt);
      const after = new Map<string, CachedStream>();
      for (const w of sealed) {
        const from =
          state.streams.get(w.streamId)?.tail ?? tails.get(w.streamId) ?? this.emptyCached(program, w.streamId);
        const events = w.events.map((e, j) => ({
          type: e.type,
          data: e.data,
          revision: from.revision + 1 + j,
          metadata: e.metadata as EventMetadata,
        }));
        const tail = this.extend(program, w.streamId, from, events, false);
        after.set(w.streamId, tail);
        const pending = state.streams.get(w.streamId);
        if (pending) {
          pending.tail = tail;
          pending.events.push(...events);
        } else state.streams.set(w.streamId, { tail, storedRevision: from.revision, events });
        for (const e of events)
          for (const key of program.eventKeys ? program.eventKeys(w.streamId, e, tail.state) : ['*'])
            state.keys.add(key);
      }
      state.staged.push({ index, command, claim, sealed, tails, after });
      return;
    }
  }

  /** Appends a batch's staged commands and fills in their results; those that met a conflict are run again alone. */
  private async appendStaged<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    state: BatchState<C>,
    results: BatchResult[],
  ): Promise<void> {
    const staged = state.staged;
    state.staged = [];
    state.streams = new Map();
    state.keys = new Set();
    if (staged.length === 0) return;
    const writes: CommandWrite[] = staged.map((s) => ({
      claim: s.claim,
      writes: s.sealed,
      reads: [...s.tails.keys()],
    }));
    const outcomes = await this.appendCommandWrites(writes).catch((error: unknown) =>
      writes.map((): CommandWriteOutcome => ({ ok: false, error })),
    );
    const again: StagedCommand<C>[] = [];
    staged.forEach((s, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) {
        if (outcome.error instanceof ConcurrencyConflict) again.push(s);
        else results[s.index] = { ok: false, error: outcome.error };
      } else if (outcome.result.duplicate) {
        // Another request stored the same command id between our check and our append.
        const taken = outcome.result.command;
        results[s.index] = settleNow(() => this.duplicateOf(s.claim, taken));
      } else {
        const appended = outcome.result.results;
        // The folds after the events were computed when they were staged: kept when stored where they were sealed.
        s.sealed.forEach((w, i) => {
          const tail = s.after.get(w.streamId);
          const last = appended[i]?.events.at(-1);
          if (tail && last?.revision === tail.revision && appended[i].events.length === w.events.length)
            this.remember(w.streamId, tail);
        });
        const events = this.outcomeEvents(s.sealed, appended);
        results[s.index] = { ok: true, outcome: { commandId: s.command.commandId, events, duplicate: false } };
      }
    });
    // Someone else wrote first (or an earlier command of the batch did not land): decided again, one by one.
    for (const s of again) results[s.index] = await settle(this.run(program, s.command));
  }

  /** One `appendCommands` call; a store without it (EventStoreDB) gets the commands one after another. */
  private appendCommandWrites(writes: CommandWrite[]): Promise<CommandWriteOutcome[]> {
    return this.appending(() => this.appendEach(writes));
  }

  /** An append through this runner: the store epoch moves as it begins and as it ends (see {@link LookupFreshness}). */
  private async appending<T>(append: () => Promise<T>): Promise<T> {
    this.storeEpoch++;
    try {
      return await append();
    } finally {
      this.storeEpoch++;
    }
  }

  private async appendEach(writes: CommandWrite[]): Promise<CommandWriteOutcome[]> {
    if (this.store.appendCommands) return this.store.appendCommands(writes);
    const unwritten = new Set<string>();
    const outcomes: CommandWriteOutcome[] = [];
    for (const w of writes) {
      const missed = w.reads?.find((s) => unwritten.has(s));
      let outcome: CommandWriteOutcome;
      if (missed !== undefined) {
        const conflict = new ConcurrencyConflict(missed, 'any', -1);
        conflict.message = `stream ${missed}: an earlier command of the batch was to write it and did not`;
        outcome = { ok: false, error: conflict };
      } else {
        outcome = await this.store.appendCommand(w.claim, w.writes).then(
          (result): CommandWriteOutcome => ({ ok: true, result }),
          (error: unknown): CommandWriteOutcome => ({ ok: false, error }),
        );
      }
      if (!outcome.ok || outcome.result.duplicate) for (const x of w.writes) unwritten.add(x.streamId);
      outcomes.push(outcome);
    }
    return outcomes;
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

  private async load<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    command: C,
    ctx: Ctx,
    tails: Map<string, CachedStream>,
    trustHeads: boolean,
    batch?: { state: BatchState<C>; beforeFulfil(needs: N): Promise<boolean> },
  ): Promise<boolean> {
    for (let round = 0; round < 8; round++) {
      const needs = program.plan(command, ctx);
      const missing: string[] = [];
      for (const s of new Set(needs.streams ?? [])) if (!(s in ctx.streams)) missing.push(s);
      const pending = batch?.state.streams;
      // Streams whose fold is at hand (the batch's pending tail, or a cached head the store vouches for) and judged
      // folds kept in the cache are taken as they are; only the others wait for the store. Most commands of a
      // batch wait for nothing, and are not made to wait a promise per stream.
      const loaded: CachedStream[] = new Array<CachedStream>(missing.length);
      const reads: Promise<void>[] = [];
      missing.forEach((s, i) => {
        const ready = pending?.get(s)?.tail ?? this.trustedHead(s, trustHeads);
        if (ready) loaded[i] = ready;
        else reads.push(this.fold(program, s).then((l) => void (loaded[i] = l)));
      });
      if (reads.length > 0) await Promise.all(reads);
      const judged: unknown[] = new Array<unknown>(missing.length);
      const refolds: Promise<void>[] = [];
      missing.forEach((s, i) => {
        const instant = program.judgedAsOf?.(command, s) ?? null;
        if (instant === null) return;
        const l = loaded[i];
        const t = msOf(instant);
        // Judged at or after everything the stream knows: the judged fold kept in the cache (see refold).
        if (t >= l.latestMs && l.judged !== undefined) judged[i] = l.judged;
        else refolds.push(this.refold(program, s, l, t, pending?.get(s)).then((j) => void (judged[i] = j)));
      });
      if (refolds.length > 0) await Promise.all(refolds);
      missing.forEach((s, i) => {
        const l = loaded[i];
        ctx.streams[s] =
          judged[i] !== undefined
            ? { state: l.state, revision: l.revision, asOf: judged[i] }
            : { state: l.state, revision: l.revision };
        tails.set(s, l);
      });
      // In a batch, what was decided before this command may have to be appended (and projected) first.
      if (batch && (await batch.beforeFulfil(needs))) return false;
      if (batch) ctx.lookups = this.lookupsOf(batch.state);
      const more = await program.fulfil(needs, ctx);
      if (missing.length === 0 && !more) return true;
    }
    throw new Error(`${command.type}: the plan kept asking for more after 8 rounds`);
  }

  /** This moment's {@link LookupFreshness} for a batch: current while its last catch-up's epoch holds and is recent. */
  private lookupsOf<C>(state: BatchState<C>): LookupFreshness {
    const epoch = this.storeEpoch;
    const at = performance.now();
    const last = state.caughtUp;
    return {
      current:
        last !== undefined && last.epoch === epoch && at - last.at < (this.options.lookupsFreshMs ?? LOOKUPS_FRESH_MS),
      // The epoch and instant from before the catch-up: a write during it makes the next command catch up again.
      caughtUp: () => (state.caughtUp = { epoch, at }),
    };
  }

  /**
   * The cached fold of a stream when the store knows (without I/O) that its revision is still the head: nothing is
   * read. The append's expected-revision check would catch a head that moved anyway.
   */
  private trustedHead(streamId: string, trustHeads: boolean): CachedStream | undefined {
    if (!trustHeads) return undefined;
    const hit = this.cache.get(streamId);
    return hit !== undefined && this.store.knownRevision?.(streamId) === hit.revision ? hit : undefined;
  }

  /** Folds a stream from its cached state (or from nothing) onwards, reading what the store has after it. */
  private async fold<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    streamId: string,
  ): Promise<CachedStream> {
    const cached = this.cache.get(streamId) ?? this.emptyCached(program, streamId);
    const events = await this.store.readStream(streamId, { fromRevision: cached.revision + 1 });
    // The store could not vouch for the cached head: someone may have written, so lookups catch up again.
    this.storeEpoch++;
    return this.extend(program, streamId, cached, events);
  }

  /** The cached fold of a stream moved on by `events` (the next revisions, in order), remembered. */
  private extend<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    streamId: string,
    cached: CachedStream,
    events: Pick<RecordedEvent, 'type' | 'data' | 'revision' | 'metadata'>[],
    keep = true,
  ): CachedStream {
    if (events.length === 0) return cached;
    let { state, judged, latestMs, inOrder } = cached;
    for (const e of events) {
      state = program.evolve(streamId, state, e);
      if (e.revision === 0) {
        judged = state;
        continue;
      }
      const t = msOf(e.metadata.occurredAt);
      if (t >= latestMs) {
        // In order: the judged fold moves with it (it is the current state while the whole stream is in order).
        judged = inOrder ? state : judged === undefined ? undefined : program.evolve(streamId, judged, e);
        latestMs = t;
      } else {
        // A late event: the judged fold is computed again from the store when next asked for.
        inOrder = false;
        judged = undefined;
      }
    }
    const last = events[events.length - 1];
    const next = { state, revision: last.revision, lastHash: String(last.metadata.hash), latestMs, judged, inOrder };
    if (keep) this.remember(streamId, next);
    return next;
  }

  /**
   * The stream as it stood at `instant`: its first event (a record's existence is not dated), then every later
   * event that occurred at or before `instant`, in occurredAt order (ties in recorded order). A command judged at
   * or after everything the stream knows uses the judged fold kept in the cache — for a stream whose events all
   * arrived in order that is the current state, so an in-order fact pays nothing; only a late one refolds.
   */
  /**
   * The stream as it stood at instant `t`: its first event (a record's existence is not dated), then every later
   * event that occurred at or before `t`, in occurredAt order (ties in recorded order). A command judged at or after
   * everything the stream knows uses the judged fold kept in the cache (`load`) — for a stream whose events all
   * arrived in order that is the current state, so an in-order fact pays nothing; only a late one refolds here.
   */
  private async refold<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    streamId: string,
    loaded: CachedStream,
    t: number,
    pending?: PendingStream,
  ): Promise<unknown> {
    const stored = pending ? pending.storedRevision : loaded.revision;
    const events: Pick<RecordedEvent, 'type' | 'data' | 'revision' | 'metadata'>[] = [
      ...(stored < 0 ? [] : await this.store.readStream(streamId, { fromRevision: 0, maxCount: stored + 1 })),
      ...(pending?.events ?? []),
    ];
    const fold = (upTo: number) =>
      [events[0], ...events.slice(1).filter((e) => msOf(e.metadata.occurredAt) <= upTo)]
        .filter((e) => e !== undefined)
        .map((e, i) => ({ e, i, t: e.revision === 0 ? -Infinity : msOf(e.metadata.occurredAt) }))
        .sort((a, b) => a.t - b.t || a.i - b.i)
        .reduce((s, { e }) => program.evolve(streamId, s, e), program.initialState(streamId));
    if (t >= loaded.latestMs) {
      // Judged as of now on a stream that had a late event: compute the judged fold once and keep it.
      loaded.judged = fold(Infinity);
      return loaded.judged;
    }
    return fold(t);
  }

  /**
   * Moves the cache past what this command just appended, so the next command on these streams folds nothing and
   * reads nothing. Only when the store put the events exactly after the revision the decision was made on.
   */
  private advance<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    sealed: StreamWrite[],
    results: AppendResult[],
    tails: Map<string, CachedStream>,
  ): void {
    sealed.forEach((w, i) => {
      // A stream the plan did not load was sealed as a new one (see seal).
      const from = tails.get(w.streamId) ?? this.emptyCached(program, w.streamId);
      const refs = results[i]?.events ?? [];
      if (refs.length !== w.events.length) return;
      if (refs.some((r, j) => r.revision !== from.revision + 1 + j)) return;
      this.extend(
        program,
        w.streamId,
        from,
        w.events.map((e, j) => ({
          type: e.type,
          data: e.data,
          revision: refs[j].revision,
          metadata: e.metadata as EventMetadata,
        })),
      );
    });
  }

  private emptyCached<C extends LedgerCommand, Ctx extends RunnerContext, N extends { streams?: string[] }>(
    program: DeciderProgram<C, Ctx, N>,
    streamId: string,
  ): CachedStream {
    const initial = program.initialState(streamId);
    return {
      state: initial,
      revision: -1,
      lastHash: GENESIS_HASH,
      latestMs: -Infinity,
      judged: initial,
      inOrder: true,
    };
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
    recordedAt: string,
  ): StreamWrite[] {
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
      const tail = tails.get(w.streamId) ?? { revision: -1, lastHash: GENESIS_HASH };
      const events: NewEvent[] = w.events.map((e, i) => ({
        eventId: eventIdFor(scopedId(claim), w.streamId, i),
        type: e.type,
        data: e.data,
        // One object for the command's events: sealEvents gives each its own copy with prevHash and hash.
        metadata,
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
