import * as fs from 'node:fs';
import type { EventStore, RecordedEvent, Subscription } from '@app/ledger';
import { WalCheckpointer } from '../db/wal-checkpointer';
import { clearReadModels, type Db } from '../db/read-model-db';
import type { Projection, ProjectionSession } from './projection';
import {
  detectStoreRollback,
  readAppliedHead,
  writeAppliedHead,
  type AppliedHead,
  type StoreRollback,
} from './store-rollback';

/** SQLite result codes of a file that cannot be written now, as opposed to a projection bug. */
const isStorageFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM)/.test(code);
};

const BATCH = 500;
/**
 * How stale the last full comparison with the store (head and the applied event's hash) may be on the write path.
 * A full comparison is one indexed read on SQLite but a round trip on EventStoreDB, so commands do it at most once a
 * second; start, every catch-up (head only), every checkpoint signing and every readiness probe check too.
 */
const STORE_CHECK_MAX_AGE_MS = 1_000;

/** A projection threw on the fast path: the batch is rolled back and applied again with each projection isolated. */
class ProjectionThrew extends Error {}

/** A projection threw in a page of {@link ProjectionRunner.commitCarried}: the rebuild starts again page by page. */
export class CarriedPageFailed extends Error {
  constructor() {
    super('a projection threw in a carried rebuild page');
  }
}

/**
 * Unwritten rows a carried session may hold (a stream's folded state each) before a page writes them. Above the
 * streams of the 1M data set (143k): at 20,000 a rebuild of it wrote a stream's rows once every ~25,000 events, some
 * 800k row writes, 42 % of its main thread, 85.5 s; at 200,000 each row is written once, 33.5 s, peak RSS 1.4 GB
 * (docs/benchmarks.md "Rebuild at 1M, session 7"). A rebuild's memory grows with the streams, not the events.
 */
const CARRY_MAX = 200_000;
/** Buffered events beyond which the subscription waits while the read models cannot be written. */
const HIGH_WATER = 10_000;

export interface ProjectionFailure {
  projection: string;
  position: number;
  eventId: string;
  message: string;
}

/**
 * Feeds projections from the store's global subscription (never from the in-memory EventBus, which loses what is in
 * flight on a crash). Events are applied in small batches, each batch in one SQLite transaction together with the
 * checkpoint, so after a crash the runner resumes exactly after the last committed event.
 */
export class ProjectionRunner {
  /**
   * WAL bytes past which a runner on a WAL file hands its checkpoints to a thread ({@link WalCheckpointer}), checked
   * every 64 commits: a runner that writes little (most tests, a quiet service) never starts one, and one under load
   * does before SQLite's first automatic checkpoint (1,000 pages, some 4 MB).
   */
  static walThreadAfterBytes = 2 * 1024 * 1024;
  private checkpointer: WalCheckpointer | undefined;
  private commitsSinceWalCheck = 0;
  private subscription: Subscription | undefined;
  private buffer: RecordedEvent[] = [];
  private flushScheduled = false;
  private waiters: { position: number; resolve: () => void }[] = [];
  private checkpointValue: number | undefined;
  readonly failures: ProjectionFailure[] = [];
  private readonly commitListeners = new Set<(events: RecordedEvent[]) => void>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  private drainWaiters: (() => void)[] = [];
  /** Batches that could not be committed because the read-model file could not be written (each retried). */
  storageFailures = 0;
  /**
   * Each projection's apply wrapped once in its own nested transaction (a SAVEPOINT inside the batch's transaction),
   * so a projection that throws rolls back only its own rows; made once here rather than per event.
   */
  private isolated: { name: string; apply: (event: RecordedEvent) => void }[] = [];
  /** The last applied event (position and hash), committed with the checkpoint: what a rolled-back store lacks. */
  private applied: AppliedHead | null;
  private rollbackValue: StoreRollback | null = null;
  private lastStoreCheck = 0;
  /** The check made before subscribing (a rolled-back store is never projected onto the read models). */
  private starting: Promise<void> | undefined;
  private startCancelled = false;
  /** Set by stop(), cleared by start(): a stopped runner applies nothing more, so nobody may wait on it. */
  private stopped = false;

  private dbValue!: Db;
  private batch!: (apply: () => void, last: RecordedEvent) => AppliedHead;
  /** The sessions a rebuild's pages carry over (see {@link commitCarried}). */
  private carried: ProjectionSession[] | undefined;

  constructor(
    private readonly store: EventStore,
    db: Db,
    readonly projections: Projection[],
  ) {
    this.applied = null;
    this.attach(db);
  }

  /** The read-model connection the runner writes to. */
  get db(): Db {
    return this.dbValue;
  }

  /** Starts writing to `db` (a freshly rebuilt file put in place), from its checkpoint and applied head. */
  private attach(db: Db): void {
    this.dbValue = db;
    this.isolated = this.projections.map((p) => ({
      name: p.name,
      apply: db.transaction((e: RecordedEvent) => p.apply(db, e)),
    }));
    // The batch's transaction, made once per connection (better-sqlite3 builds a wrapper and its variants on every
    // `transaction()` call): the projections' rows, then the applied head, which is the checkpoint.
    this.batch = db.transaction((apply: () => void, last: RecordedEvent) => {
      apply();
      return writeAppliedHead(db, last);
    });
    this.applied = readAppliedHead(db);
    this.checkpointValue = this.applied?.position;
  }

  /**
   * Takes over a rebuilt read-model connection (the runner is stopped): its checkpoint, its applied head, no
   * rollback; then follows the store again from there.
   */
  async replaceDb(db: Db, failures: readonly ProjectionFailure[]): Promise<void> {
    await this.stop();
    this.attach(db);
    this.failures.splice(0, this.failures.length, ...failures);
    this.rollbackValue = null;
    const head = await this.store.headPosition();
    this.start();
    if (head !== undefined) await this.waitFor(head);
  }

  /** Set once the store is found shorter than, or different from, what was applied; cleared only by a rebuild. */
  get rollback(): StoreRollback | null {
    return this.rollbackValue;
  }

  /** The last event applied (position, stream, revision, hash); null before the first. */
  get appliedHead(): AppliedHead | null {
    return this.applied;
  }

  /**
   * Compares the store with the applied head now (or returns the last result when it is younger than `maxAgeMs`).
   * Once a rollback is found it stays found: the read models stop following the store until a rebuild.
   */
  async checkStore(maxAgeMs = 0): Promise<StoreRollback | null> {
    if (this.rollbackValue) return this.rollbackValue;
    const applied = this.applied;
    if (!applied || Date.now() - this.lastStoreCheck < maxAgeMs) return null;
    const found = await detectStoreRollback(this.store, applied);
    this.lastStoreCheck = Date.now();
    if (found) this.markRolledBack(found);
    return this.rollbackValue;
  }

  /** The write path's check: at most {@link STORE_CHECK_MAX_AGE_MS} old. */
  checkStoreForWrite(): Promise<StoreRollback | null> {
    return this.checkStore(STORE_CHECK_MAX_AGE_MS);
  }

  private markRolledBack(found: StoreRollback): void {
    if (this.rollbackValue) return;
    this.rollbackValue = found;
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'the store is behind what the read models applied: writes and checkpoints are refused until rebuild --accept-rollback',
        code: 'STORE_ROLLED_BACK',
        reason: found.reason,
        appliedPosition: found.applied.position,
        storeHead: found.storeHead,
      }),
    );
    // Keep the read models as the evidence they are: nothing more from this store is applied onto them.
    const s = this.subscription;
    this.subscription = undefined;
    this.buffer = [];
    void s?.stop();
    this.waiters.splice(0).forEach((w) => w.resolve());
  }

  /** Calls `listener` after each committed batch with its events (metrics, dashboards); returns an unsubscribe. */
  onCommitted(listener: (events: RecordedEvent[]) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Tells the commit listeners of events committed elsewhere on this runner's behalf (a rebuild's fresh file). */
  notifyCommitted(events: RecordedEvent[]): void {
    for (const listener of this.commitListeners) listener(events);
  }

  /** Position of the last event every projection has applied (undefined: none yet). */
  get checkpoint(): number | undefined {
    return this.checkpointValue;
  }

  /** Subscribes to the store once it has been compared with the applied head (see {@link catchUp}). */
  start(): void {
    if (this.subscription || this.starting) return;
    this.startCancelled = false;
    this.stopped = false;
    this.starting = this.checkStore()
      .catch((e: Error) => {
        // The store cannot answer now (EventStoreDB down): subscribe anyway; the next catch-up compares again.
        console.error(
          JSON.stringify({ level: 'warn', msg: 'cannot compare the store with the read models yet', error: e.message }),
        );
        return null;
      })
      .then((rollback) => {
        this.starting = undefined;
        if (rollback || this.startCancelled || this.subscription) return;
        this.subscription = this.store.subscribeToAll((e) => this.enqueue(e), {
          after: this.checkpointValue,
          onError: (err) =>
            console.error(
              JSON.stringify({ level: 'error', msg: 'projection subscription failed', error: err.message }),
            ),
        });
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Whoever waits for a position (a deadline pass, a signer) is let go: nothing more will be applied.
    this.waiters.splice(0).forEach((w) => w.resolve());
    if (this.starting) {
      this.startCancelled = true;
      await this.starting;
    }
    const s = this.subscription;
    this.subscription = undefined;
    // A handler held back by a full disk must be let go, or stopping the subscription would wait for it forever.
    this.drainWaiters.splice(0).forEach((resolve) => resolve());
    await s?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // A last try; what cannot be written stays in the store and is applied after the checkpoint on the next start.
    this.flush();
    this.buffer = [];
    // Its connection closed before ours may be: the last close folds the WAL in and stamps the file as clean.
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    this.commitsSinceWalCheck = 0;
    await checkpointer?.stop();
  }

  /**
   * Drops every read model and replays the whole store. This forgets the applied head, so on a rolled-back store it
   * is the operator's acceptance of the rollback (the CLI asks for `rebuild --accept-rollback` and records it first).
   */
  async rebuild(onProgress?: (position: number) => void): Promise<void> {
    await this.stop();
    clearReadModels(this.db);
    this.checkpointValue = undefined;
    this.applied = null;
    this.rollbackValue = null;
    const head = await this.store.headPosition();
    this.start();
    if (head !== undefined) await this.waitFor(head, onProgress);
  }

  /** Resolves once every event up to `position` is applied. */
  waitFor(position: number, onProgress?: (position: number) => void): Promise<void> {
    // On a rolled-back store nothing more is applied: waiting would never end (callers check `rollback`).
    if (this.rollbackValue || this.stopped) return Promise.resolve();
    if (this.checkpointValue !== undefined && this.checkpointValue >= position) return Promise.resolve();
    return new Promise((resolve) => {
      if (onProgress) {
        const timer = setInterval(() => onProgress(this.checkpointValue ?? 0), 200);
        this.waiters.push({
          position,
          resolve: () => {
            clearInterval(timer);
            resolve();
          },
        });
      } else this.waiters.push({ position, resolve });
    });
  }

  /**
   * Resolves once the read models include everything stored when it was called. With `recentMs`, the head is the
   * store's own last commit when that was at most `recentMs` ago (EventStore.recentHeadPosition; no query), so
   * another process's commit in that window may not be waited for.
   */
  async catchUp(recentMs?: number): Promise<void> {
    if (this.starting) await this.starting;
    if (this.rollbackValue) return;
    const head =
      (recentMs === undefined ? undefined : this.store.recentHeadPosition?.(recentMs)) ??
      (await this.store.headPosition());
    const applied = this.applied;
    if (applied && (head === undefined || head < applied.position)) {
      // Shorter than what was applied: no need to read further to know.
      await this.checkStore();
      return;
    }
    if (await this.checkStore(STORE_CHECK_MAX_AGE_MS)) return;
    // While the read-model file cannot be written (disk full, read-only) nothing more is applied until it can: a query
    // is answered from what is projected rather than waiting without end (store-faults spec: queries still served).
    if (head === undefined || this.retryTimer) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.failureWaiters.delete(done);
        resolve();
      };
      this.failureWaiters.add(done);
      void this.waitFor(head).then(done);
    });
  }

  /** catchUp calls waiting for the head, released early when writing the read models starts failing. */
  private readonly failureWaiters = new Set<() => void>();

  private enqueue(event: RecordedEvent): Promise<void> | void {
    if (this.rollbackValue) return;
    this.buffer.push(event);
    // While the read-model file cannot be written, hold the subscription back instead of buffering without bound.
    if (this.retryTimer && this.buffer.length >= HIGH_WATER)
      return new Promise((resolve) => this.drainWaiters.push(resolve));
    if (this.buffer.length >= BATCH) {
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.buffer.length === 0 || this.retryTimer) return;
    const batch = this.buffer;
    this.buffer = [];
    const fresh = batch.filter((e) => this.checkpointValue === undefined || e.position > this.checkpointValue);
    if (fresh.length > 0) {
      try {
        this.commit(fresh);
      } catch (e) {
        if (!isStorageFailure(e)) throw e;
        // Disk full, read-only, locked: keep the batch (nothing of it was committed) and try again with a backoff.
        this.buffer = batch.concat(this.buffer);
        this.retryDelayMs = Math.min(this.retryDelayMs ? this.retryDelayMs * 2 : 100, 5_000);
        this.storageFailures++;
        console.error(
          JSON.stringify({
            level: 'error',
            msg: 'read models cannot be written; retrying',
            code: (e as { code?: string }).code,
            retryInMs: this.retryDelayMs,
          }),
        );
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.flush();
        }, this.retryDelayMs);
        this.retryTimer.unref();
        for (const release of [...this.failureWaiters]) release();
        return;
      }
      this.retryDelayMs = 0;
    }
    if (this.buffer.length < HIGH_WATER) this.drainWaiters.splice(0).forEach((resolve) => resolve());
    if (this.buffer.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    const ready = this.waiters.filter((w) => this.checkpointValue !== undefined && this.checkpointValue >= w.position);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.resolve());
  }

  /**
   * Applies events past the checkpoint, in order, in one transaction with the checkpoint and the applied head, and
   * tells the commit listeners. Throws (nothing committed) when the file cannot be written. Used by the subscription
   * and by a rebuild, which feeds whole pages of the store straight in.
   */
  commit(events: RecordedEvent[]): void {
    if (events.length === 0) return;
    const last = events[events.length - 1];
    let applied: AppliedHead;
    // Fast path: every projection straight in the batch's transaction, no SAVEPOINT per projection and event, those
    // with a session writing once per batch. Should one throw, the whole batch rolls back and is applied again the
    // careful way, each projection of each event in its own SAVEPOINT, so the failure is recorded and skipped
    // exactly as before.
    try {
      applied = this.batch(() => this.applyFast(events), last);
    } catch (e) {
      if (!(e instanceof ProjectionThrew)) throw e;
      applied = this.batch(() => events.forEach((event) => this.applyOne(event)), last);
    }
    this.checkpointValue = last.position;
    this.applied = applied;
    this.watchWal();
    for (const listener of this.commitListeners) listener(events);
  }

  /** Starts the checkpoint thread once this connection's WAL has grown (see {@link walThreadAfterBytes}). */
  private watchWal(): void {
    if (this.checkpointer || this.stopped || ++this.commitsSinceWalCheck < 64) return;
    this.commitsSinceWalCheck = 0;
    const db = this.dbValue;
    if (db.memory || !db.name) return;
    let size: number;
    try {
      // No WAL at all: journal_mode off (a rebuild's file) or another mode; nothing to take over.
      size = fs.statSync(`${db.name}-wal`).size;
    } catch {
      return;
    }
    if (size >= ProjectionRunner.walThreadAfterBytes) this.checkpointer = WalCheckpointer.start(db);
  }

  /**
   * A rebuild's page, its projections' sessions kept open from one page to the next: a stream the pages keep touching
   * is folded in memory throughout and its rows written once — when a session holds more than `maxCarried`
   * unwritten rows, and at {@link endCarried} — instead of once per page (issue 16: the stream rows and their reloads
   * were a sixth of a rebuild's main thread). Each page still commits with its checkpoint; the file is not live until
   * the rebuild renames it, so rows behind the checkpoint until the last page are no one's concern. A projection that
   * throws leaves the sessions holding what its page's rollback undid: nothing is recorded and {@link CarriedPageFailed}
   * is thrown, for the rebuild to start again page by page ({@link commit}), where the failure is recorded and skipped.
   */
  commitCarried(events: RecordedEvent[], maxCarried = CARRY_MAX): void {
    if (events.length === 0) return;
    let applied: AppliedHead;
    try {
      applied = this.batch(
        () => {
          const sessions = (this.carried ??= this.sessions());
          this.applySessions(sessions, events, false);
          if (sessions.some((s) => (s.size?.() ?? 0) > maxCarried)) {
            this.carried = undefined;
            this.applySessions(sessions, [], true);
          }
        },
        events[events.length - 1],
      );
    } catch (e) {
      this.carried = undefined;
      throw e instanceof ProjectionThrew ? new CarriedPageFailed() : e;
    }
    this.checkpointValue = applied.position;
    this.applied = applied;
    for (const listener of this.commitListeners) listener(events);
  }

  /** Writes what the carried sessions hold, in a transaction of its own (a rebuild's last step before its indexes). */
  endCarried(): void {
    const sessions = this.carried;
    this.carried = undefined;
    if (!sessions) return;
    try {
      this.db.transaction(() => this.applySessions(sessions, [], true))();
    } catch (e) {
      throw e instanceof ProjectionThrew ? new CarriedPageFailed() : e;
    }
  }

  private sessions(): ProjectionSession[] {
    return this.projections.map(
      (p) => p.session?.(this.db) ?? { apply: (e: RecordedEvent) => p.apply(this.db, e), end: () => {} },
    );
  }

  /** Applies events to sessions (and ends them), inside the batch's transaction; a projection's error aborts it. */
  private applySessions(sessions: ProjectionSession[], events: RecordedEvent[], end: boolean): void {
    try {
      for (const event of events) for (const s of sessions) s.apply(event);
      if (end) for (const s of sessions) s.end();
    } catch (e) {
      if (isStorageFailure(e)) throw e;
      throw new ProjectionThrew();
    }
  }

  /** Applies a batch to every projection, inside the batch's transaction; a projection's error aborts the batch. */
  private applyFast(events: RecordedEvent[]): void {
    this.applySessions(this.sessions(), events, true);
  }

  /** Applies one event to every projection; a projection that throws is recorded and skipped, never blocks the rest. */
  private applyOne(event: RecordedEvent): void {
    for (const p of this.isolated) {
      try {
        p.apply(event);
      } catch (e) {
        // The file cannot be written (disk full, read-only, I/O error, locked): not this projection's fault. Skipping
        // would commit the checkpoint past events never applied (SQLite may already have rolled the batch back and
        // run the rest outside it), so the whole batch fails and nothing moves the checkpoint.
        if (isStorageFailure(e)) throw e;
        const failure = {
          projection: p.name,
          position: event.position,
          eventId: event.eventId,
          message: (e as Error).message,
        };
        this.failures.push(failure);
        console.error(JSON.stringify({ level: 'error', msg: 'projection failed on an event', ...failure }));
      }
    }
  }
}
