import { statement } from './db/statements';
import type { EventStore } from '@app/ledger';
import { DEADLINES_DUE_AT_INSTANT, type Deadline } from '@app/custody';
import { closeReadModelDb, openReadModelDb, type Db } from './db/read-model-db';
import { ProjectionRunner } from './runner/projection-runner';
import type { Projection } from './runner/projection';
import { streamStateProjection } from './custody/stream-state.projection';
import { personIndexProjection } from './custody/person-index.projection';
import { violationsProjection } from './violations/violations.projection';
import { deadlinesProjection } from './deadlines/deadlines.projection';
import { commandLogProjection, findCommand } from './commands/command-log.projection';
import { CustodyQueries } from './custody/custody.queries';
import { ViolationQueries } from './violations/violations.queries';
import { IncidentQueries } from './incidents/incidents.queries';
import { merkleLeavesProjection } from './merkle/merkle-leaves.projection';
import { MerkleIndex } from './merkle/merkle-index';

export const DEFAULT_PROJECTIONS: Projection[] = [
  streamStateProjection,
  personIndexProjection,
  violationsProjection,
  deadlinesProjection,
  commandLogProjection,
  merkleLeavesProjection,
];

/** The read side beside one service instance: a SQLite file, its projections and their queries. */
export class ReadModels {
  readonly runner: ProjectionRunner;
  readonly custody: CustodyQueries;
  readonly violations: ViolationQueries;
  readonly incidents: IncidentQueries;
  /** The global Merkle log (roots and proofs) over the committed `merkle_leaves` rows. */
  readonly merkle: MerkleIndex;

  constructor(
    readonly store: EventStore,
    readonly db: Db,
    projections: Projection[] = DEFAULT_PROJECTIONS,
  ) {
    this.runner = new ProjectionRunner(store, db, projections);
    this.custody = new CustodyQueries(db);
    this.violations = new ViolationQueries(db);
    this.incidents = new IncidentQueries(db);
    this.merkle = new MerkleIndex(db);
  }

  static open(store: EventStore, file: string, extra: Projection[] = []): ReadModels {
    return new ReadModels(store, openReadModelDb(file), [...DEFAULT_PROJECTIONS, ...extra]);
  }

  start(): void {
    this.runner.start();
  }

  catchUp(): Promise<void> {
    return this.runner.catchUp();
  }

  findCommand(commandId: string) {
    return findCommand(this.db, commandId);
  }

  /**
   * Deadlines due by `now`, earliest first: a window's deadline once its instant has passed (an act at the last
   * instant is in time), a secrecy period's end at its instant (DEADLINES_DUE_AT_INSTANT).
   */
  dueDeadlines(now: string, limit = 100): Deadline[] {
    const atInstant = DEADLINES_DUE_AT_INSTANT.map(() => '?').join(', ');
    return (
      statement(
        this.db,
        `SELECT deadline FROM deadlines WHERE due_at < ? OR (due_at = ? AND kind IN (${atInstant}))
         ORDER BY due_at, key LIMIT ?`,
      ).all(now, now, ...DEADLINES_DUE_AT_INSTANT, limit) as { deadline: string }[]
    ).map((r) => JSON.parse(r.deadline) as Deadline);
  }

  /** Forgets a deadline that has been fired (the domain makes a second firing a no-op anyway). */
  markFired(d: Deadline): void {
    statement(this.db, `DELETE FROM deadlines WHERE key = ? AND due_at = ?`).run(
      d.key,
      new Date(d.dueAt).toISOString(),
    );
  }

  nextDeadline(): Deadline | null {
    const r = statement(this.db, `SELECT deadline FROM deadlines ORDER BY due_at LIMIT 1`).get() as
      { deadline: string } | undefined;
    return r ? (JSON.parse(r.deadline) as Deadline) : null;
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
