/**
 * The EventStore port: the only way the ledger touches its storage. Two adapters implement it
 * (the embedded SQLite store and EventStoreDB); one contract suite (test/contract) holds both to it.
 *
 * Positions are the store's global order: strictly increasing along the global log, not necessarily dense
 * (EventStoreDB positions are byte offsets). Revisions are per stream, dense, from 0.
 */

/** Metadata every stored event carries (contract §4). `prevHash`/`hash` are written by the ledger library only. */
export interface EventMetadata {
  occurredAt: string;
  recordedAt: string;
  actor: string;
  commandId: string;
  correlationId: string;
  causationId: string | null;
  schemaVersion: number;
  prevHash: string;
  hash: string;
  [extra: string]: unknown;
}

/** An event as it is handed to the store for appending. */
export interface NewEvent<D = unknown, M = Record<string, unknown>> {
  eventId: string;
  type: string;
  data: D;
  metadata: M;
}

/** An event as the store returns it. */
export interface RecordedEvent<D = unknown, M = EventMetadata> {
  eventId: string;
  type: string;
  streamId: string;
  revision: number;
  position: number;
  data: D;
  metadata: M;
}

/** `any`: no check; `no-stream`: the stream must not exist; a number: the stream's last revision must be exactly that. */
export type ExpectedRevision = 'any' | 'no-stream' | number;

export interface AppendedEventRef {
  eventId: string;
  revision: number;
  position: number;
}

export interface AppendResult {
  streamId: string;
  /** Revision of the last event in the stream after the append (-1 if the stream is still empty). */
  nextExpectedRevision: number;
  /** Position of the last appended event (or of the stream's last event on an idempotent re-append). */
  position: number;
  events: AppendedEventRef[];
}

export interface StreamWrite {
  streamId: string;
  expectedRevision: ExpectedRevision;
  events: NewEvent[];
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision; default: the first (forwards) or last (backwards) event. */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: only events with a position greater than this are returned. Omit to read from the start. */
  after?: number;
  maxCount?: number;
  direction?: 'forwards' | 'backwards';
}

export interface SubscriptionFilter {
  /** Deliver only events whose stream id starts with one of these prefixes. */
  streamPrefixes?: string[];
  /** Skip events whose stream id starts with one of these prefixes. */
  excludeStreamPrefixes?: string[];
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events with position > after. Omit to start from the beginning. */
  after?: number;
  filter?: SubscriptionFilter;
  /** Called once when the catch-up phase has delivered everything stored at subscription time. */
  onCaughtUp?: () => void;
  /** Called when the subscription ends with an error it cannot recover from. */
  onError?: (error: Error) => void;
}

/**
 * A running subscription. Events reach the handler one at a time in global order, each exactly once, with no gap
 * between catch-up and live delivery. The handler's promise is awaited before the next event is delivered.
 */
export interface Subscription {
  /** Position of the last event the handler finished (or the starting checkpoint). */
  readonly position: number | undefined;
  stop(): Promise<void>;
}

export type EventHandler = (event: RecordedEvent) => Promise<void> | void;

/**
 * The idempotency record of one command (contract §8.1). Its key is (scope, commandId): a command id belongs to the
 * principal that sent it, so the same id from another principal is another command. `hash` covers the command's name
 * and body (not its events), so a retry is recognised however the decision would come out today.
 */
export interface CommandClaim {
  /** The principal the command id belongs to (its person, or a stable non-secret id of its key). */
  scope: string;
  commandId: string;
  /** The command's name, so a reuse of the id can be told which command holds it. */
  name: string;
  /** Hex SHA-256 of the canonical JSON (RFC 8785) of the name and the body. */
  hash: string;
}

/** A command the store holds: its claim and the events it appended, in order (none when it decided nothing). */
export interface StoredCommand extends CommandClaim {
  events: RecordedEvent[];
}

/**
 * `duplicate: false`: the claim was new and the writes are stored with it. `duplicate: true`: the key was already
 * taken (by this command or by another one with the same key; compare the hashes) and nothing of this call was written.
 */
export type CommandAppendResult =
  { duplicate: false; results: AppendResult[] } | { duplicate: true; command: StoredCommand };

/** One command of {@link EventStore.appendCommands}: its claim, its writes, and the streams it was decided on. */
export interface CommandWrite {
  claim: CommandClaim;
  writes: StreamWrite[];
  /** Streams the decision read (written ones included): a failed earlier write to one of them fails this one. */
  reads?: readonly string[];
}

export type CommandWriteOutcome = { ok: true; result: CommandAppendResult } | { ok: false; error: unknown };

export interface EventStore {
  /**
   * Appends events to one stream atomically, checking the expected revision. Idempotent by event id: appending
   * events whose ids are already stored in that stream appends nothing and returns the original result.
   * Throws {@link ConcurrencyConflict} when the expected revision does not match.
   */
  append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;

  /**
   * Appends to several streams. The embedded store does it in one transaction (all or nothing); EventStoreDB has
   * no multi-stream transaction, so its adapter appends stream by stream in the given order (see docs/operations.md).
   */
  appendMany(writes: StreamWrite[]): Promise<AppendResult[]>;

  /**
   * Appends a command's writes together with its claim, as one step with the check that the claim is new: two calls
   * with one (scope, commandId) store one command, never two. On the embedded store the claim is a row written in the
   * writes' transaction; on EventStoreDB the claim is the command's plan, written first (see the adapter).
   */
  appendCommand(claim: CommandClaim, writes: StreamWrite[]): Promise<CommandAppendResult>;

  /**
   * Appends many commands, in order, as {@link appendCommand} would append each: its claim atomic with its writes,
   * and a command that fails (a conflict, a taken claim, a bad write) fails alone. A command whose `reads` name a
   * stream that an earlier command of the same call was to write but did not fails too, with a
   * {@link ConcurrencyConflict}: it was decided on facts that are not stored. Optional: the embedded store writes
   * the whole call in one transaction (one fsync); without it the decider runner appends command after command.
   */
  appendCommands?(commands: readonly CommandWrite[]): Promise<CommandWriteOutcome[]>;

  /** The command stored under (scope, commandId), if any. */
  findCommand(scope: string, commandId: string): Promise<StoredCommand | undefined>;

  /**
   * For a store that writes a command stream by stream (EventStoreDB): finishes the commands an interrupted process
   * left half-written and keeps doing so in the background until close. Resolves with how many it finished at start.
   * The embedded store writes a command in one transaction and has nothing to resume.
   */
  resumeCommands?(): Promise<number>;

  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Last revision of the stream, or -1 when it does not exist. */
  streamRevision(streamId: string): Promise<number>;

  /**
   * The stream's last revision as the store knows it without any I/O (it wrote the stream itself, and had seen no
   * other writer by then), else undefined. It may be behind a write another process made since; the expected-
   * revision check at append is the guard. Lets the decider runner decide on its cached fold without a read.
   * Optional: a store that cannot tell omits it.
   */
  knownRevision?(streamId: string): number | undefined;

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * The position of the stored event with this id, or undefined when none is stored; synchronous, from the store's
   * own index by id (the embedded store keeps one to make appends idempotent). Lets the Merkle index find an event's
   * leaf without keeping every event id a second time in the read models (issue 16's disk). Optional: a store
   * without a lookup by id (EventStoreDB) omits it, and the read models keep the ids themselves.
   */
  positionOf?(eventId: string): number | undefined;

  /** Position of the last event in the global log (undefined when the log is empty). */
  headPosition(): Promise<number | undefined>;

  /**
   * The head as of this store's own last commit, without any I/O, when that commit was answered at most `maxAgeMs`
   * ago (else undefined: ask {@link headPosition}). Exact for this process's writes (a commit is answered before any
   * of its callers resume); another process's commit since then is not in it. Lets a command's lookup catch the read
   * models up without a query per command. Optional: a store that cannot tell omits it.
   */
  recentHeadPosition?(maxAgeMs: number): number | undefined;

  subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription;

  close(): Promise<void>;
}

/** The expected revision did not match the stream: someone else wrote first. Safe to retry after re-reading. */
export class ConcurrencyConflict extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'ConcurrencyConflict';
  }
}

/** The store cannot take writes now (disk full, read-only directory, connection lost). Nothing was written. */
export class StoreUnavailable extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreUnavailable';
  }
}

/** Streams the ledger keeps for itself; projections and the domain skip them. */
export const CHECKPOINT_STREAM = 'ledger-checkpoints';
