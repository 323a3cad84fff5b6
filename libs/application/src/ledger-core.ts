import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import {
  type BatchResult,
  type BatchView,
  type Clock,
  DeciderRunner,
  type CommandOutcome,
  type EventStore,
  type LedgerCommand,
  SqliteEventStore,
  commandHashOf,
} from '@app/ledger';
import {
  itemStream,
  type CommandName,
  type CustodyCommand,
  type Deadline,
  type ViolationDetectedData,
} from '@app/custody';
import { ReadModels } from '@app/read-models';
import { custodyProgram } from './custody-program';
import { actorOf, idempotencyScopeOf, type Principal } from './principal';
import { mayGive } from './permissions';
import { validateCommandData, validateEnvelope } from './commands/validate-command';
import { RequestValidationError } from './errors';
import { BeforeItemExisted, ForbiddenCommand, StoreRolledBack, UnknownCommand } from './errors';

export interface LedgerConfig {
  dataDir: string;
  /** When set, EventStoreDB is the store (esdb://…); otherwise the embedded SQLite store in dataDir. */
  eventstoreUrl?: string;
  clock: Clock;
  /** A store already opened (tests run scenarios on the EventStoreDB double this way); it is closed with the core. */
  store?: EventStore;
  /**
   * Streams whose folded state the decider runner keeps (default 20,000): a command on a stream out of it reads
   * and folds the stream again. A bulk load over more streams than that (the 1M data set: 110,000) sets it higher.
   */
  decisionCacheSize?: number;
  /**
   * From how many events in the store an empty read-model file (new, or dropped for a new schema) is filled at open
   * by the bulk rebuild instead of the live catch-up (default {@link BULK_FILL_FROM}).
   */
  bulkFillFrom?: number;
  /**
   * False to open without bringing the read models up to the store (`rebuild`, which replays everything itself: a
   * catch-up first would replay it twice). Default true.
   */
  catchUpAtOpen?: boolean;
}

/** One command's answer in a batch: its response, or the error it alone met. */
export type BatchAnswer = { ok: true; response: CommandResponse } | { ok: false; error: unknown };

const noop = (): void => undefined;

export interface BatchOptions {
  /**
   * Due deadlines (earliest first, as `ReadModels.dueDeadlines` lists them) fired after the batch's commands in the
   * same runner batch, so one append holds both: a bulk load walking its clock (bench/scale-data.ts) fires each
   * step's deadlines without a round of its own. Each is marked fired; one that fails throws, as in
   * `fireDueDeadlines`. On a rolled-back store none fires (as the scheduler fires none).
   */
  fireDeadlines?: readonly Deadline[];
}

export interface CommandResponse {
  commandId: string;
  events: { type: string; streamId: string; revision: number; position: number }[];
  violations: ViolationDetectedData[];
  duplicate: boolean;
  /** Present (false) only when the read models had not caught up with the command when it was answered. */
  projected?: false;
}

/** The subject a command is about, for queueing commands on one subject in this instance. */
const subjectOf = (data: object): string | undefined => {
  const fields = data as Record<string, unknown>;
  for (const key of ['itemId', 'incidentId', 'inventoryId', 'violationId', 'personId', 'placeId'] as const) {
    if (typeof fields[key] === 'string') return `${key}:${fields[key]}`;
  }
  return undefined;
};

/** How long a command's answer waits for the read models to include it (read-your-writes). */
const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

/** Items whose first occurredAt is remembered; past this the memory starts afresh (reads refill it). */
const MAX_REMEMBERED_ITEMS = 100_000;

/** Deadlines fired per batch by the scheduler: one append each, and the read models caught up between. */
const DEADLINES_PER_ROUND = 500;

/** How far ahead of the ledger's clock an occurredAt may be (contract §5: not more than 5 minutes). */
const MAX_AHEAD_MS = 5 * 60_000;

/**
 * The command that fires a due deadline: its id comes from the deadline's key and due instant, so firing it again
 * (another instance, a restart, a catch-up after downtime) is the same command and appends nothing.
 */
export const fireDeadlineCommand = (d: Deadline): CustodyCommand => {
  const dueAt = new Date(d.dueAt).toISOString();
  return {
    type: 'FireDeadline',
    data: { deadline: d },
    commandId: `deadline:${d.key}:${dueAt}`,
    actor: 'system:scheduler',
    at: dueAt,
  };
};

/** Events in the store from which an empty read-model file is filled by the bulk rebuild at open. */
export const BULK_FILL_FROM = 10_000;

/**
 * The service without its HTTP shell: store, decider runner, read models and deadline scheduler, wired once.
 * The API, the CLI and the scenario runner all go through `execute` and the queries, so they share one path.
 */
export class LedgerCore {
  readonly runner: DeciderRunner;
  readonly readModels: ReadModels;
  private readonly program;
  private readonly queues = new Map<string, Promise<void>>();
  private batchTail: Promise<void> = Promise.resolve();
  /**
   * Items' first occurredAt (and its instant in ms, parsed once: two Date.parse per command were ~2 % of a batch
   * fact's main thread), for the "before the item existed" check without a read per command.
   */
  private readonly itemSince = new Map<string, { since: string; ms: number }>();
  /**
   * At least as many as the runner keeps folds for: a bulk load over more items than the default (the 1M data set's
   * 105,000) would otherwise clear the memory again and again and read each item's first event anew each time.
   */
  private readonly maxRememberedItems: number;

  private constructor(
    readonly store: EventStore,
    readModels: ReadModels,
    readonly clock: Clock,
    readonly config: LedgerConfig,
  ) {
    this.readModels = readModels;
    this.runner = new DeciderRunner(store, clock, { cacheSize: config.decisionCacheSize });
    this.program = custodyProgram(readModels);
    this.maxRememberedItems = Math.max(MAX_REMEMBERED_ITEMS, config.decisionCacheSize ?? 0);
  }

  static async open(config: LedgerConfig): Promise<LedgerCore> {
    const store = config.store ?? (await openStore(config));
    // Commands an interrupted process left half-written on EventStoreDB are finished before anything reads them.
    await store.resumeCommands?.();
    const readModels = ReadModels.open(store, path.join(config.dataDir, 'read-models.sqlite'));
    readModels.start();
    // A read-model file with nothing applied (new, or dropped for a new schema) over a store of many events is filled
    // by the bulk rebuild (pages, carried sessions, the Merkle half on its thread) rather than caught up a batch at a
    // time through the live path: ~4× faster at 1M events (issue 16; a first start after an upgrade, and `rebuild`,
    // which would otherwise replay everything twice). The same rows either way (rebuild-file.spec).
    if (config.catchUpAtOpen !== false) {
      const head = readModels.runner.checkpoint === undefined ? await store.headPosition() : undefined;
      if (head !== undefined && head >= (config.bulkFillFrom ?? BULK_FILL_FROM)) await readModels.rebuild();
      else await readModels.catchUp();
    }
    return new LedgerCore(store, readModels, config.clock, config);
  }

  /**
   * Validates and runs one command on behalf of a principal. Throws RequestValidationError (400), UnknownCommand
   * (404), ForbiddenCommand (403), DomainError (refusals), ConcurrencyConflict or StoreUnavailable.
   */
  async execute(name: string, body: unknown, principal: Principal): Promise<CommandResponse> {
    return this.respond(await this.decideOne(name, body, principal, true));
  }

  /**
   * Validation, permission, the pre-checks and the decider runner: one command up to its durable append. `checkStore`
   * false when the caller (a batch) has just checked the store for a rollback itself.
   */
  private async decideOne(
    name: string,
    body: unknown,
    principal: Principal,
    checkStore: boolean,
  ): Promise<CommandOutcome> {
    const command = this.prepare(name, body, principal);
    await this.assertItemsExisted(command.data as Record<string, unknown>, command.at);
    if (checkStore) await this.assertStoreIntact();
    return this.serialized(subjectOf(command.data), () => this.runner.run(this.program, command));
  }

  /**
   * A request as the command the runner decides: validation, permission and the clock check (each a 400, 404 or
   * 403 of its own), its command id, actor, idempotency scope and request hash.
   */
  private prepare(name: string, body: unknown, principal: Principal): CustodyCommand {
    const envelope = validateEnvelope(body);
    if (!envelope.ok) throw new RequestValidationError(envelope.errors);
    const checked = validateCommandData(name, (body as { data: unknown }).data);
    if ('unknownCommand' in checked || name === 'FireDeadline') throw new UnknownCommand(name);
    if (!checked.ok) throw new RequestValidationError(checked.errors);
    if (!mayGive(principal.roles, name)) throw new ForbiddenCommand(name, principal.roles);
    const { occurredAt, commandId } = body as { occurredAt?: string; commandId?: string };
    const now = this.clock.now();
    const at = occurredAt ? new Date(occurredAt) : now;
    if (at.getTime() > now.getTime() + MAX_AHEAD_MS) {
      throw new RequestValidationError([
        { field: 'body.occurredAt', reason: 'may not be more than 5 minutes ahead of the ledger clock' },
      ]);
    }
    const command = {
      type: name as CommandName,
      data: checked.data,
      commandId: commandId ?? randomUUID(),
      actor: actorOf(principal),
      at: at.toISOString(),
    } as CustodyCommand;
    Object.assign(command, {
      scope: idempotencyScopeOf(principal),
      // The name and the body as sent (not the id itself, nor the events a decision would give today).
      requestHash: commandHashOf(name, { data: (body as { data: unknown }).data, occurredAt: occurredAt ?? null }),
      // A UUID made here: no earlier command holds it (the runner skips asking the store).
      freshId: commandId === undefined,
    } satisfies Pick<LedgerCommand, 'scope' | 'requestHash' | 'freshId'>);
    return command;
  }

  /**
   * A fact about an item dated before the item's first fact is refused (issue 11): 400 BEFORE_ITEM_EXISTED on
   * occurredAt. Items are named by `itemId` or, for a hand-over, `items`; a new item (not yet stored) passes.
   */
  private assertItemsExisted(data: Record<string, unknown>, at: string, batch?: BatchView): Promise<void> | void {
    const ids: string[] = [];
    if (typeof data.itemId === 'string') ids.push(data.itemId);
    if (Array.isArray(data.items)) for (const i of data.items as unknown[]) if (typeof i === 'string') ids.push(i);
    // Answered without a promise when every item's first instant is remembered (a batch's commands, most of the
    // time): the store is asked, one item after another, only for the first item not remembered.
    let atMs: number | undefined;
    for (let k = 0; k < ids.length; k++) {
      const known = this.itemSince.get(ids[k]);
      if (known === undefined) return this.assertItemsExistedFrom(ids, k, at, batch);
      if ((atMs ??= Date.parse(at)) < known.ms) throw new BeforeItemExisted(ids[k], at, known.since);
    }
  }

  private async assertItemsExistedFrom(ids: string[], from: number, at: string, batch?: BatchView): Promise<void> {
    for (const itemId of ids.slice(from)) {
      const pending = (): string | undefined => {
        const first = batch?.pendingFirst(itemStream(itemId))?.metadata.occurredAt;
        return typeof first === 'string' ? first : undefined;
      };
      // A batch's item registered by an earlier command of it is not stored yet: its first event is pending.
      const since = this.itemSince.get(itemId)?.since ?? (await this.firstOccurredAt(itemId)) ?? pending();
      if (since !== undefined && Date.parse(at) < Date.parse(since)) throw new BeforeItemExisted(itemId, at, since);
    }
  }

  /** When an item's first fact occurred; remembered, since a stored first event never changes. */
  private async firstOccurredAt(itemId: string): Promise<string | undefined> {
    const [first] = await this.store.readStream(itemStream(itemId), { maxCount: 1 });
    const since = first?.metadata.occurredAt;
    if (typeof since !== 'string') return undefined;
    if (this.itemSince.size >= this.maxRememberedItems) this.itemSince.clear();
    this.itemSince.set(itemId, { since, ms: Date.parse(since) });
    return since;
  }

  /**
   * Runs many commands for one principal (RFID gates, inventory scanners: `POST /api/commands:batch`). Each is its
   * own command exactly as `execute` runs it (validation, permission, its own command id and idempotency, its own
   * result or error); nothing is all-or-nothing. The commands are decided in the order given, each on the state the
   * earlier ones left (so a gate's readings of one item are recorded in the order it read them), and appended
   * together (DeciderRunner.runBatch: one store transaction and one fsync on the embedded store, each command still
   * atomic with its own idempotency row). What a batch shares is done once for it: the store's rollback check before
   * the first command, the append, and the wait for the read models (its last position) before the answer.
   */
  async executeBatch(
    commands: { name: string; body: unknown }[],
    principal: Principal,
    options: BatchOptions = {},
  ): Promise<BatchAnswer[]> {
    const [answers] = await this.runLanes([{ commands, fireDeadlines: options.fireDeadlines }], principal, false);
    return answers;
  }

  /**
   * Runs batches (lanes) one after another as `executeBatch` runs each, but each lane's decisions begin while the
   * lane before it is being appended (the embedded store commits on its writer thread), and the next caller's
   * batch begins once the last lane is decided: a bulk load (bench/scale-data.ts) keeps this thread deciding while
   * the writer commits. For callers whose lanes write different streams (the load's items split by number): a lane
   * deciding on a stream the lane before it is still appending decides on the fold before that append, so its
   * append meets a conflict and that command is decided again alone (as a conflict with another process is), and a
   * lookup of the read models may not see the earlier lane's events yet (as with another process's write: see
   * docs/decisions.md). Positions follow the lanes' order. One answer list per lane.
   */
  executeLanes(
    lanes: { commands: { name: string; body: unknown }[]; fireDeadlines?: readonly Deadline[] }[],
    principal: Principal,
  ): Promise<BatchAnswer[][]> {
    return this.runLanes(lanes, principal, true);
  }

  private async runLanes(
    lanes: { commands: { name: string; body: unknown }[]; fireDeadlines?: readonly Deadline[] }[],
    principal: Principal,
    overlap: boolean,
  ): Promise<BatchAnswer[][]> {
    // On a rolled-back store each command is checked on its own again, so each fails exactly as it would alone.
    const intact = await this.assertStoreIntact().then(
      () => true,
      () => false,
    );
    const outcomes = lanes.map(({ commands }) => new Array<BatchResult>(commands.length));
    let firedHighest = -1;
    if (!intact) {
      for (const [k, { commands }] of lanes.entries())
        for (const [i, c] of commands.entries())
          outcomes[k][i] = await this.decideOne(c.name, c.body, principal, true).then(
            (outcome): BatchResult => ({ ok: true, outcome }),
            (error: unknown): BatchResult => ({ ok: false, error }),
          );
    } else {
      type Entry = { index: number; command: CustodyCommand; precheck: (view: BatchView) => Promise<void> | void };
      const laneEntries = lanes.map(({ commands }, k) => {
        const entries: Entry[] = [];
        commands.forEach((c, index) => {
          try {
            const command = this.prepare(c.name, c.body, principal);
            entries.push({
              index,
              command,
              precheck: (view) => this.assertItemsExisted(command.data as Record<string, unknown>, command.at, view),
            });
          } catch (error) {
            outcomes[k][index] = { ok: false, error };
          }
        });
        return entries;
      });
      // The scheduler's firings ride after the commands, in the order given (due order): FireDeadline is refused
      // by `prepare` as a request (it is no public command), so they join here as the scheduler's own entries.
      const runs = await this.oneBatchAtATime(async () => {
        const started: Promise<BatchResult[]>[] = [];
        for (const [k, entries] of laneEntries.entries()) {
          const due = lanes[k].fireDeadlines ?? [];
          const all = due.length ? [...entries, ...due.map((d) => ({ command: fireDeadlineCommand(d) }))] : entries;
          if (!overlap) {
            started.push(Promise.resolve(await this.runner.runBatch(this.program, all)));
            continue;
          }
          // The next lane (or caller) decides once this one is decided and its append has begun.
          let decided: () => void = () => undefined;
          const appending = new Promise<void>((resolve) => (decided = resolve));
          const run = this.runner.runBatch(this.program, all, { decided });
          started.push(run);
          await Promise.race([appending, run.then(noop, noop)]);
          // The store sends a group to its writer on the next macrotask (group commit): after it, not before.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return started;
      });
      for (const [k, run] of runs.entries()) {
        const decided = await run;
        const entries = laneEntries[k];
        const due = lanes[k].fireDeadlines ?? [];
        entries.forEach((entry, i) => (outcomes[k][entry.index] = decided[i]));
        const fired = decided.slice(entries.length);
        this.markFired(due, fired);
        for (const f of fired)
          if (f.ok) for (const e of f.outcome.events) if (e.position > firedHighest) firedHighest = e.position;
      }
    }
    let highest = firedHighest;
    for (const lane of outcomes)
      for (const o of lane) if (o.ok) for (const e of o.outcome.events) if (e.position > highest) highest = e.position;
    const projected = highest < 0 ? true : await this.waitProjected(highest);
    return outcomes.map((lane) =>
      lane.map((o) => (o.ok ? { ok: true as const, response: this.answer(o.outcome, projected) } : o)),
    );
  }

  /**
   * Runs commands about the same subject (an item, an incident…) one after another within this instance, so a hot
   * item does not make concurrent requests race and retry; other subjects still run in parallel. Across instances
   * the store's expected-revision check and the runner's retries still decide.
   */
  private serialized<T>(subject: string | undefined, work: () => Promise<T>): Promise<T> {
    if (!subject) return work();
    const previous = this.queues.get(subject) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(subject, tail);
    void tail.then(() => {
      if (this.queues.get(subject) === tail) this.queues.delete(subject);
    });
    return run;
  }

  /**
   * Refuses to write on a store that is behind what the read models applied (contract §4.1: no silent rollback): the
   * command would be decided on facts the store no longer holds, and would bury the evidence of the cut.
   */
  private async assertStoreIntact(): Promise<void> {
    const rollback = await this.readModels.runner.checkStoreForWrite();
    if (rollback) throw new StoreRolledBack(rollback);
  }

  /** Fires every deadline due by the clock's now, earliest first; returns how many fired (none on a rolled-back store). */
  async fireDueDeadlines(): Promise<number> {
    let fired = 0;
    const now = this.clock.now().toISOString();
    for (let round = 0; round < 1000; round++) {
      await this.readModels.catchUp();
      // Logged once by the runner when found; the scheduler does not repeat it every tick.
      if (this.readModels.runner.rollback) return fired;
      const due = this.readModels.dueDeadlines(now, DEADLINES_PER_ROUND);
      if (due.length === 0) break;
      const results = await this.fireDeadlines(due);
      this.markFired(due, results);
      fired += due.length;
    }
    await this.readModels.catchUp();
    return fired;
  }

  /** Marks each of `due` fired by its result in `results` (same order); the first that failed throws, marking none after. */
  private markFired(due: readonly Deadline[], results: readonly BatchResult[]): void {
    for (const [i, result] of results.entries()) {
      if (!result.ok) throw result.error;
      this.readModels.markFired(due[i]);
    }
  }

  /**
   * Fires deadlines in the order given (earliest first, so one stream's fire in due order) as one batch of the
   * decider runner: each its own FireDeadline command, all appended together (one fsync on the embedded store).
   */
  fireDeadlines(due: readonly Deadline[]): Promise<BatchResult[]> {
    return this.oneBatchAtATime(() =>
      this.runner.runBatch(
        this.program,
        due.map((d) => ({ command: fireDeadlineCommand(d) })),
      ),
    );
  }

  /**
   * Batches in this instance are decided and appended one after another. Two at once would decide on the same
   * cached folds (a gate's readings of an item in both), and the second's appends would all conflict and be decided
   * again one by one. One core decides either way, and the wait for the read models is not held.
   */
  private oneBatchAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.batchTail.then(work, work);
    this.batchTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async respond(outcome: CommandOutcome): Promise<CommandResponse> {
    const last = outcome.events[outcome.events.length - 1];
    // Read your writes: queries after a 2xx see the command's effects. The events are already stored, so when the
    // read models cannot keep up (their file cannot be written) the answer still comes, saying so, rather than never.
    const projected = last ? await this.waitProjected(last.position) : true;
    return this.answer(outcome, projected);
  }

  private answer(outcome: CommandOutcome, projected: boolean): CommandResponse {
    return {
      commandId: outcome.commandId,
      events: outcome.events.map(({ type, streamId, revision, position }) => ({ type, streamId, revision, position })),
      violations: outcome.events
        .filter((e) => e.type === 'ViolationDetected')
        .map((e) => e.data as ViolationDetectedData),
      duplicate: outcome.duplicate,
      ...(projected ? {} : { projected: false }),
    };
  }

  private async waitProjected(position: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>(
      (resolve) => (timer = setTimeout(() => resolve(false), READ_YOUR_WRITES_TIMEOUT_MS)),
    );
    try {
      return await Promise.race([this.readModels.runner.waitFor(position).then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.readModels.close();
    await this.store.close();
  }
}

export const openStore = async (config: Pick<LedgerConfig, 'dataDir' | 'eventstoreUrl'>): Promise<EventStore> => {
  if (config.eventstoreUrl) {
    // Loaded only when asked for, so the embedded default never needs the gRPC client.
    const { EsdbEventStore } = await import('@app/ledger/esdb');
    return EsdbEventStore.connect(config.eventstoreUrl);
  }
  return SqliteEventStore.open(path.join(config.dataDir, 'ledger.sqlite'));
};
