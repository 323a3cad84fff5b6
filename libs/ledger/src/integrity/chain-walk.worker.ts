/**
 * One worker of {@link verifySqliteLog}: reads the store file's events in position order (its own read-only
 * connection), takes the streams of its share (SHARE_SQL, a spread of the stream id), checks their chains with the very
 * {@link ChainVerifier} a single-threaded walk uses, and posts each page's leaves back: positions, leaf hashes and
 * revisions (a verified revision 0 is a new stream). It stops at its first failure and posts it.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainVerifier } from './log-verifier';
import { sha256Into } from './event-hash';
import type { WalkPage, WalkRequest } from './parallel-walk';

/** position, event_id, stream_id, revision, type, data, metadata. */
type Row = [number, string, string, number, string, string, string];

/**
 * Which worker a stream belongs to, computed by SQLite so that a worker reads only its own rows (reading and decoding
 * a row is the largest cost of the walk): any stable spread will do, and SQLite has no hash function built in, so a
 * sum over the id's last two characters and its length. Never NULL (a NULL would make every worker skip the row).
 */
const SHARE_SQL = `(coalesce(unicode(substr(stream_id, -1)), 0) + 3 * coalesce(unicode(substr(stream_id, -2, 1)), 0)
  + 7 * coalesce(length(stream_id), 0)) % ?`;

/** 0x00 ‖ event hash: the RFC 9162 leaf input, rewritten per event (hashing is synchronous). */
const leafInput = Buffer.alloc(33);

const run = (request: WalkRequest): void => {
  const db = new Database(request.file, { readonly: true, fileMustExist: true });
  const page = db
    .prepare(
      `SELECT position, event_id, stream_id, revision, type, data, metadata FROM events
       WHERE position > ? AND position <= ? AND ${SHARE_SQL} = ? ORDER BY position`,
    )
    .raw();
  const verifier = new ChainVerifier({ merkle: false });
  let index = 0;
  try {
    // Pages are ranges of positions, the same for every worker, so the main thread merges page k of each in turn.
    for (let low = request.after; low < request.head; low += request.pageSize) {
      const high = Math.min(request.head, low + request.pageSize);
      const rows = page.all(low, high, request.workers, request.share) as Row[];
      const positions = new Float64Array(rows.length);
      const revisions = new Int32Array(rows.length);
      // Its own ArrayBuffer (never the Buffer pool's), transferred to the main thread whole.
      const leaves = Buffer.from(new ArrayBuffer(rows.length * 32));
      let n = 0;
      let failed = false;
      for (const r of rows) {
        // A row that is not JSON any more throws here, as SqliteEventStore.readAll would (the run fails, not names).
        const hash = verifier.checkStored(r[0], {
          eventId: r[1],
          streamId: r[2],
          revision: r[3],
          type: r[4],
          data: r[5],
          metadata: r[6],
        });
        if (hash === undefined) {
          failed = true;
          break;
        }
        positions[n] = r[0];
        revisions[n] = r[3];
        leafInput.write(hash, 1, 32, 'hex');
        sha256Into(leafInput, leaves, n * 32);
        n++;
      }
      const message: WalkPage = {
        index,
        rows: rows.length,
        last: high,
        count: n,
        positions: positions.buffer,
        revisions: revisions.buffer,
        leaves: leaves.buffer,
        failure: failed ? verifier.result().firstFailure : undefined,
      };
      parentPort!.postMessage(message, [message.positions, message.revisions, message.leaves]);
      if (failed) return;
      index++;
    }
    parentPort!.postMessage({ done: true });
  } finally {
    db.close();
  }
};

try {
  run(workerData as WalkRequest);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
