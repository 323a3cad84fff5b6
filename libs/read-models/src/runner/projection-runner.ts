import type { EventStore, RecordedEvent, Subscription } from '@app/ledger/store/event-store.port';
import { clearReadModels, type Db } from '../db/read-model-db';
import type { Projection } from './projection';

const CHECKPOINT = 'read-models';

/** SQLite result codes of a file that cannot be written now, as opposed to a projection bug. */
const isStorageFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM)/.test(code);
};

const BATCH = 500;

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

  constructor(
    private readonly store: EventStore,
    readonly db: Db,
    private readonly projections: Projection[],
  ) {
    const row = db.prepare(`SELECT position FROM checkpoints WHERE name = ?`).get(CHECKPOINT) as { position: number } | undefined;
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
      onError: (err) => console.error(JSON.stringify({ level: 'error', msg: 'projection subscription failed', error: err.message })),
    });
  }

  async stop(): Promise<void> {
    const s = this.subscription;
    this.subscription = undefined;
    await s?.stop();
    this.flush();
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
        this.waiters.push({ position, resolve: () => { clearInterval(timer); resolve(); } });
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
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const fresh = batch.filter((e) => this.checkpointValue === undefined || e.position > this.checkpointValue);
    if (fresh.length > 0) {
      this.db.transaction(() => {
        for (const event of fresh) this.applyOne(event);
        this.db.prepare(`INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?, ?)`).run(CHECKPOINT, fresh[fresh.length - 1].position);
      })();
      this.checkpointValue = fresh[fresh.length - 1].position;
      for (const listener of this.commitListeners) listener(fresh);
    }
    const ready = this.waiters.filter((w) => this.checkpointValue !== undefined && this.checkpointValue >= w.position);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.resolve());
  }

  /** Applies one event to every projection; a projection that throws is recorded and skipped, never blocks the rest. */
  private applyOne(event: RecordedEvent): void {
    for (const p of this.projections) {
      try {
        this.db.transaction(() => p.apply(this.db, event))();
      } catch (e) {
        // The file cannot be written (disk full, read-only, I/O error, locked): not this projection's fault. Skipping
        // would commit the checkpoint past events never applied (SQLite may already have rolled the batch back and
        // run the rest outside it), so the whole batch fails and nothing moves the checkpoint.
        if (isStorageFailure(e)) throw e;
        const failure = { projection: p.name, position: event.position, eventId: event.eventId, message: (e as Error).message };
        this.failures.push(failure);
        console.error(JSON.stringify({ level: 'error', msg: 'projection failed on an event', ...failure }));
      }
    }
  }
}
