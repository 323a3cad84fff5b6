/**
 * The worker of {@link MerkleRebuild}: the `merkle-leaves` projection and the Merkle index of a rebuild, into a file
 * of its own, a page at a time as the main thread posts them. The very code a one-thread rebuild runs: the projection
 * through a ProjectionRunner (the fast path, and on a bad hash the page again event by event with the failure
 * recorded), the index appended from the page or, after a failure, synced from the rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EventMetadata, EventStore, RecordedEvent } from '@app/ledger';
import { openRebuildReadModelDb } from '../db/read-model-db';
import { ProjectionRunner } from '../runner/projection-runner';
import { MerkleIndex } from './merkle-index';
import { merkleLeavesProjection, setEventsFoundByStore } from './merkle-leaves.projection';
import type { MerklePage, MerkleWorkerMessage } from './merkle-rebuild';

/** The runner only commits here (no subscription, no store checks): any use of the store is a bug. */
const noStore = new Proxy({} as EventStore, {
  get: (_target, name) => {
    throw new Error(`the merkle rebuild worker has no store (asked for ${String(name)})`);
  },
});

const port = parentPort!;
const { file, byStore } = workerData as { file: string; byStore: boolean };
const db = openRebuildReadModelDb(file);
// As the rebuilt file will: without `merkle_events` when the store finds events by id (a replay told by position).
setEventsFoundByStore(db, byStore);
const runner = new ProjectionRunner(noStore, db, [merkleLeavesProjection]);
const merkle = new MerkleIndex(db);
/** Events appended since the Merkle state was last persisted (see below). */
const SYNC_EVERY = 25_000;
let unsynced = 0;

const eventsOf = (page: MerklePage): RecordedEvent[] =>
  page.eventIds.map((eventId, i) => ({
    eventId,
    type: '',
    streamId: page.streamIds[i],
    revision: page.revisions[i],
    position: page.positions[i],
    data: null,
    metadata: { hash: page.hashes[i] } as unknown as EventMetadata,
  }));

port.on('message', (m: MerklePage | { done: true }) => {
  try {
    if ('done' in m) {
      merkle.sync();
      db.close();
      port.postMessage({ done: true, failures: [...runner.failures] } satisfies MerkleWorkerMessage);
      return;
    }
    const events = eventsOf(m);
    const failures = runner.failures.length;
    runner.commit(events);
    unsynced += events.length;
    // A page without failures is appended from its events; its state (nodes, heads) is persisted every
    // SYNC_EVERY events rather than per page (the rebuild's pages are small: the heads of a page's streams were
    // rewritten page after page). A page with a failure is synced from the rows at once, so the next page's append
    // follows the table.
    if (runner.failures.length === failures) merkle.appendCommitted(events);
    else unsynced = SYNC_EVERY;
    if (unsynced >= SYNC_EVERY) {
      merkle.sync();
      unsynced = 0;
    }
  } catch (e) {
    port.postMessage({ error: (e as Error).message } satisfies MerkleWorkerMessage);
  }
});
