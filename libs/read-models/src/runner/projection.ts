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
}
