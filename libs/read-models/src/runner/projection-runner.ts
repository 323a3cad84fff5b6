import { statement } from '../db/statements';
import type { EventStore, RecordedEvent, Subscription } from '@app/ledger';
import { clearReadModels, type Db } from '../db/read-model-db';
import type { Projection } from './projection';

const CHECKPOINT = 'read-models';

/** SQLite result codes of a file that cannot be written now, as opposed to a projection bug. */
const isStorageFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM)/.test(code);
};

const BATCH = 500;

/** A projection threw on the fast path: the batch is rolled back and applied again with each projection isolated. */
class ProjectionThrew extends Error {}
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
  private readonly isolated: { name: string; apply: (event: RecordedEvent) => void }[];

  constructor(
    private readonly store: EventStore,
    readonly db: Db,
    private readonly projections: Projection[],
  ) {
    this.isolated = projections.map((p) => ({
      name: p.name,
      apply: db.transaction((e: RecordedEvent) => p.apply(db, e)),
    }));
    const row = statement(db, `SELECT position FROM checkpoints WHERE name = ?`).get(CHECKPOINT) as
      { position: number } | undefined;
    this.checkpointValue = row?.position;
  }

  /** Calls `listener` after each committed batch with its events (metrics, dashboards); returns an unsubscribe. */
  onCommitted(listener: (events: RecordedEvent[]) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Position of the last event every projection has applied (undefined: none yet). */
  get checkpoint(): number | undefined {
    return this.checkpointValue;
  }

  start(): void {
    if (this.subscription) return;
    this.subscription = this.store.subscribeToAll((e) => this.enqueue(e), {
      after: this.checkpointValue,
      onError: (err) =>
        console.error(JSON.stringify({ level: 'error', msg: 'projection subscription failed', error: err.message })),
    });
  }

  async stop(): Promise<void> {
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
  }

  /** Drops every read model and replays the whole store. */
  async rebuild(onProgress?: (position: number) => void): Promise<void> {
    await this.stop();
    clearReadModels(this.db);
    this.checkpointValue = undefined;
    const head = await this.store.headPosition();
    this.start();
    if (head !== undefined) await this.waitFor(head, onProgress);
  }

  /** Resolves once every event up to `position` is applied. */
  waitFor(position: number, onProgress?: (position: number) => void): Promise<void> {
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

  /** Resolves once the read models include everything stored when it was called. */
  async catchUp(): Promise<void> {
    const head = await this.store.headPosition();
    if (head !== undefined) await this.waitFor(head);
  }

  private enqueue(event: RecordedEvent): Promise<void> | void {
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
        const commitBatch = (apply: (event: RecordedEvent) => void) =>
          this.db.transaction(() => {
            for (const event of fresh) apply(event);
            statement(this.db, `INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?, ?)`).run(
              CHECKPOINT,
              fresh[fresh.length - 1].position,
            );
          })();
        // Fast path: every projection straight in the batch's transaction, no SAVEPOINT per projection and event.
        // Should one throw, the whole batch rolls back and is applied again the careful way, each projection of
        // each event in its own SAVEPOINT, so the failure is recorded and skipped exactly as before.
        try {
          commitBatch((event) => this.applyFast(event));
        } catch (e) {
          if (!(e instanceof ProjectionThrew)) throw e;
          commitBatch((event) => this.applyOne(event));
        }
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
        return;
      }
      this.retryDelayMs = 0;
      this.checkpointValue = fresh[fresh.length - 1].position;
      for (const listener of this.commitListeners) listener(fresh);
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

  /** Applies one event to every projection, inside the batch's transaction; a projection's error aborts the batch. */
  private applyFast(event: RecordedEvent): void {
    for (const p of this.projections) {
      try {
        p.apply(this.db, event);
      } catch (e) {
        if (isStorageFailure(e)) throw e;
        throw new ProjectionThrew();
      }
    }
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
