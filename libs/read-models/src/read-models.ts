import * as fs from 'node:fs';
import { dbVersion, statement } from './db/statements';
import { SqliteEventStore, type EventStore, type RecordedEvent } from '@app/ledger';
import { DEADLINES_DUE_AT_INSTANT, type Deadline } from '@app/custody';
import {
  clearReadModels,
  closeReadModelDb,
  finishRebuiltReadModelDb,
  openReadModelDb,
  openRebuildReadModelDb,
  putRebuiltReadModelFile,
  type Db,
} from './db/read-model-db';
import { CarriedPageFailed, ProjectionRunner, type ProjectionFailure } from './runner/projection-runner';
import type { Projection } from './runner/projection';
import { streamStateProjection } from './custody/stream-state.projection';
import { personIndexProjection } from './custody/person-index.projection';
import { violationsProjection } from './violations/violations.projection';
import { deadlineOf, deadlinesProjection, type DeadlineRow } from './deadlines/deadlines.projection';
import { CustodyQueries } from './custody/custody.queries';
import { ViolationQueries } from './violations/violations.queries';
import { IncidentQueries } from './incidents/incidents.queries';
import { eventsFoundByStore, merkleLeavesProjection, setEventsFoundByStore } from './merkle/merkle-leaves.projection';
import { MerkleIndex } from './merkle/merkle-index';
import { MerkleRebuild } from './merkle/merkle-rebuild';

/** Failures as one thread would have recorded them: by event, then in the order of the projections. */
const inProjectionOrder = (failures: ProjectionFailure[], projections: readonly Projection[]): ProjectionFailure[] => {
  const rank = new Map(projections.map((p, i) => [p.name, i]));
  return failures.sort(
    (a, b) => a.position - b.position || (rank.get(a.projection) ?? 0) - (rank.get(b.projection) ?? 0),
  );
};

export const DEFAULT_PROJECTIONS: Projection[] = [
  streamStateProjection,
  personIndexProjection,
  violationsProjection,
  deadlinesProjection,
  merkleLeavesProjection,
];

/** Events read from the store per rebuild transaction: large, so each stream's rows are written once per page (25,000 events parsed are some 25 MB; 10,000 a page measured 13 % slower on the projections bench). */
const REBUILD_PAGE = 25_000;
/**
 * The same with the Merkle half on its thread and the sessions carried across pages (the stream rows are then
 * written once whatever the page size): small, so the worker gets its first page after 5,000 events read rather than
 * 25,000 (it idled through the first read, a third of the main thread's time, and then set the pace), and a page is
 * garbage before it is old enough to be copied out of V8's young generation.
 */
const REBUILD_CARRIED_PAGE = 5_000;

/**
 * Makes a read-model file find an event's leaf by id the way `store` can: through the store's `positionOf` when it
 * has one (no `merkle_events`: issue 16's disk), else by the file's own `merkle_events`. A file with no leaves yet is
 * simply set so. A file that keeps its ids over a store that could find them answers either way and is left as it
 * is (its next rebuild drops them). A file that relied on a store's lookup, opened over a store without one (the
 * same data directory switched to EventStoreDB), could not find its leaves by id: it is cleared and replayed.
 */
const fitEventLookup = (db: Db, store: EventStore): void => {
  const storeFinds = store.positionOf !== undefined;
  const byStore = eventsFoundByStore(db);
  if (byStore === storeFinds) return;
  if (db.prepare(`SELECT 1 FROM merkle_leaves LIMIT 1`).get() !== undefined) {
    if (!byStore) return;
    clearReadModels(db);
  }
  setEventsFoundByStore(db, storeFinds);
};

/** The read side beside one service instance: a SQLite file, its projections and their queries. */
export class ReadModels {
  readonly runner: ProjectionRunner;
  private dbValue: Db;
  /** Connections opened so far (a rebuild replaces the connection; see {@link version}). */
  private generation = 0;
  private queries: {
    custody: CustodyQueries;
    violations: ViolationQueries;
    incidents: IncidentQueries;
    merkle: MerkleIndex;
  };

  constructor(
    readonly store: EventStore,
    db: Db,
    projections: Projection[] = DEFAULT_PROJECTIONS,
  ) {
    // Before the runner reads the applied head: fitting may clear the file.
    fitEventLookup(db, store);
    this.runner = new ProjectionRunner(store, db, projections);
    this.dbValue = db;
    this.queries = this.queriesOver(db);
  }

  private queriesOver(db: Db) {
    const store = this.store;
    return {
      custody: new CustodyQueries(db),
      violations: new ViolationQueries(db),
      incidents: new IncidentQueries(db),
      merkle: new MerkleIndex(db, store.positionOf ? (eventId) => store.positionOf!(eventId) : undefined),
    };
  }

  static open(store: EventStore, file: string, extra: Projection[] = []): ReadModels {
    return new ReadModels(store, openReadModelDb(file), [...DEFAULT_PROJECTIONS, ...extra]);
  }

  /** The read-model connection (a rebuild replaces it: read it from here each time, never keep it). */
  get db(): Db {
    return this.dbValue;
  }

  /**
   * A version of what the read models hold: the same string means every query answers as it did (nothing was
   * written since, by this connection or another), so an answer kept under it is still the answer. A rebuild opens a
   * new connection, which starts a new series.
   */
  version(): string {
    return `${this.generation}:${dbVersion(this.dbValue)}`;
  }

  get custody(): CustodyQueries {
    return this.queries.custody;
  }

  get violations(): ViolationQueries {
    return this.queries.violations;
  }

  get incidents(): IncidentQueries {
    return this.queries.incidents;
  }

  /** The global Merkle log (roots and proofs) over the committed `merkle_leaves` rows. */
  get merkle(): MerkleIndex {
    return this.queries.merkle;
  }

  /**
   * Drops every read model and replays the whole store (forgetting the applied head: on a rolled-back store this is
   * the operator's acceptance, see rebuildReadModels). A file is rebuilt beside the live one — pages of the store
   * straight into the projections, a transaction per page, no journal, indexes made at the end — and renamed into
   * place; the live file serves until then and stays as it was should the rebuild fail or the process die. An
   * in-memory database is cleared and replayed in place.
   */
  async rebuild(
    onProgress?: (position: number) => void,
    options: { pageSize?: number; merkleWorker?: boolean; carry?: boolean; maxCarried?: number } = {},
  ): Promise<void> {
    const live = this.dbValue.name;
    if (this.dbValue.memory || !live) return this.runner.rebuild(onProgress);
    await this.runner.stop();
    const file = `${live}.rebuilding`;
    const db = openRebuildReadModelDb(file);
    const byStore = this.store.positionOf !== undefined;
    setEventsFoundByStore(db, byStore);
    // Tables (and their indexes) that an added projection made for itself on the live file come along, empty.
    const own = (type: string, d: Db) =>
      d
        .prepare(
          `SELECT name, tbl_name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'`,
        )
        .all(type) as { name: string; tbl_name: string; sql: string }[];
    const known = new Set(own('table', db).map((t) => t.name));
    // Not `merkle_events` of a live file that kept its ids: the rebuilt file finds events as this store can.
    const extra = own('table', this.dbValue).filter((t) => !known.has(t.name) && t.name !== 'merkle_events');
    for (const t of extra) db.exec(t.sql);
    const extraIndexes = own('index', this.dbValue).filter((i) => extra.some((t) => t.name === i.tbl_name));
    // The Merkle half (its two tables, the leaves' hashes and the tree) on a second thread when the projections are
    // the defaults' shape; `merkleWorker: false` keeps everything on this one (the tests compare the two).
    const projections = this.runner.projections;
    const split = (options.merkleWorker ?? true) && projections.includes(merkleLeavesProjection);
    const merkleRebuild = split ? new MerkleRebuild(`${file}.merkle`, byStore) : undefined;
    const fresh = new ProjectionRunner(
      this.store,
      db,
      split ? projections.filter((p) => p !== merkleLeavesProjection) : projections,
    );
    // The live runner's listeners (the CLI's count of replayed events) hear of every page committed.
    fresh.onCommitted((events) => this.runner.notifyCommitted(events));
    // The Merkle index's persisted state (cached nodes, stream heads) is built as the pages go in, so the first start
    // after does not rehash; a page without projection failures is appended from the events it was made of, not read
    // back from the rows just written.
    const merkle = split ? undefined : new MerkleIndex(db); // only appended and synced: no lookup by id
    const carry = split && (options.carry ?? true);
    const pageSize = options.pageSize ?? (carry ? REBUILD_CARRIED_PAGE : REBUILD_PAGE);
    let failures: ProjectionFailure[];
    try {
      // Over EventStoreDB the next page is asked for before this one is projected, so the server reads and sends it
      // meanwhile. Not on the embedded store: its reads are synchronous, so that would only hold two pages at once.
      const prefetch = !(this.store instanceof SqliteEventStore);
      const read = (after: number | undefined) => {
        const page = this.store.readAll({ after, maxCount: pageSize });
        // Awaited on the next turn of the loop; a failure meanwhile is that await's, not an unhandled rejection.
        page.catch(() => undefined);
        return page;
      };
      let next: Promise<RecordedEvent[]> | undefined = read(undefined);
      while (next) {
        const page: RecordedEvent[] = await next;
        const more = page.length === pageSize;
        next = more && prefetch ? read(page[page.length - 1].position) : undefined;
        if (page.length === 0) break;
        // Posted first, so the worker projects the page while this thread does.
        merkleRebuild?.page(page);
        const before = fresh.failures.length;
        // With the Merkle half elsewhere no projection here needs its rows page by page: the sessions are carried.
        if (carry) fresh.commitCarried(page, options.maxCarried);
        else fresh.commit(page);
        if (merkle) {
          if (fresh.failures.length === before) merkle.appendCommitted(page);
          merkle.sync();
        }
        onProgress?.(page[page.length - 1].position);
        if (more && !prefetch) next = read(page[page.length - 1].position);
      }
      fresh.endCarried();
      finishRebuiltReadModelDb(db);
      for (const i of extraIndexes) db.exec(i.sql);
      merkle?.sync();
      failures = merkleRebuild
        ? inProjectionOrder([...fresh.failures, ...(await merkleRebuild.finish(db))], projections)
        : [...fresh.failures];
      db.close();
    } catch (e) {
      // The live file is untouched: serve it again, and leave no half-built file behind.
      await merkleRebuild?.abort();
      db.close();
      for (const suffix of ['', '-journal']) fs.rmSync(file + suffix, { force: true });
      // A projection threw in a carried page: again page by page, which records the failure and skips it.
      if (e instanceof CarriedPageFailed) return this.rebuild(onProgress, { ...options, carry: false });
      this.runner.start();
      throw e;
    }
    this.dbValue.close();
    putRebuiltReadModelFile(file, live);
    this.dbValue = openReadModelDb(live);
    this.generation++;
    this.queries = this.queriesOver(this.dbValue);
    await this.runner.replaceDb(this.dbValue, failures);
  }

  start(): void {
    this.runner.start();
  }

  /** See ProjectionRunner.catchUp: `recentMs` lets the head be the store's own commit of the last `recentMs` ms. */
  catchUp(options: { recentMs?: number } = {}): Promise<void> {
    return this.runner.catchUp(options.recentMs);
  }

  /**
   * Deadlines due by `now`, earliest first: a window's deadline once its instant has passed (an act at the last
   * instant is in time), a secrecy period's end at its instant (DEADLINES_DUE_AT_INSTANT). `due_at <= now` leads, so
   * this is a range read of the index up to now: the same condition as `due_at < now OR (due_at = now AND …)`, which
   * SQLite read as a scan of every deadline (100,000 secrecy periods at a million events: 54 ms on every scheduler
   * tick, the event loop blocked meanwhile; issue 16).
   */
  dueDeadlines(now: string, limit = 100): Deadline[] {
    const atInstant = DEADLINES_DUE_AT_INSTANT.map(() => '?').join(', ');
    return (
      statement(
        this.db,
        `SELECT key, kind, stream_id, due_at, deadline FROM deadlines WHERE due_at <= ? AND (due_at < ? OR kind IN (${atInstant}))
         ORDER BY due_at, key LIMIT ?`,
      ).all(now, now, ...DEADLINES_DUE_AT_INSTANT, limit) as DeadlineRow[]
    ).map(deadlineOf);
  }

  /** Forgets a deadline that has been fired (the domain makes a second firing a no-op anyway). */
  markFired(d: Deadline): void {
    statement(this.db, `DELETE FROM deadlines WHERE key = ? AND due_at = ?`).run(
      d.key,
      new Date(d.dueAt).toISOString(),
    );
  }

  nextDeadline(): Deadline | null {
    const r = statement(
      this.db,
      `SELECT key, kind, stream_id, due_at, deadline FROM deadlines ORDER BY due_at LIMIT 1`,
    ).get() as DeadlineRow | undefined;
    return r ? deadlineOf(r) : null;
  }

  async close(): Promise<void> {
    await this.runner.stop();
    // The Merkle index persists what it has not yet, so the next start resumes at the head rather than behind it.
    try {
      this.merkle.sync();
    } catch {
      // A damaged table: the next start finds out and recomputes.
    }
    closeReadModelDb(this.db);
  }
}
