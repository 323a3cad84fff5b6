import type { RecordedEvent } from '@app/ledger';
import type { Db } from '../db/read-model-db';

/**
 * A projection writes rows for the events it cares about. It runs inside the runner's transaction, which also
 * commits the checkpoint, so a crash never leaves rows without their checkpoint or the reverse. Applying the same
 * event twice must change nothing; unknown event types are ignored, never thrown on.
 */
export interface Projection {
  name: string;
  apply(db: Db, event: RecordedEvent): void;
  /**
   * Optional: a way to apply a whole batch that writes less than `apply` per event (e.g. one row per stream the batch
   * touched instead of one per event). The runner calls the session's `apply` for every event of the batch in order,
   * then `end` once, all inside the batch's transaction; the rows after `end` must be exactly those `apply` per event
   * would have left. A batch that rolls back drops the session with it.
   */
  session?(db: Db): ProjectionSession;
}

export interface ProjectionSession {
  apply(event: RecordedEvent): void;
  end(): void;
  /**
   * Optional: how many rows the session holds unwritten. A rebuild keeps sessions open across its pages
   * (`ProjectionRunner.commitCarried`) and ends them early once one holds too many.
   */
  size?(): number;
}
