/**
 * One worker of {@link verifySqliteLog}: reads the store file's events in position order (its own read-only
 * connection), takes the streams of its share (a hash of the stream id), checks their chains with the very
 * {@link ChainVerifier} a single-threaded walk uses, and posts each page's leaves back: positions, leaf hashes and
 * revisions (a verified revision 0 is a new stream). It stops at its first failure and posts it.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainVerifier } from './log-verifier';
import { sha256Into } from './event-hash';
import type { WalkPage, WalkRequest } from './parallel-walk';

/** position, event_id, stream_id, revision, type, data, metadata, and whether data and metadata are valid JSON. */
type Row = [number, string, string, number, string, string, string, number];

/** FNV-1a of the stream id: which worker a stream belongs to (any stable spread will do). */
const shareOf = (streamId: string, workers: number): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) h = Math.imul(h ^ streamId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % workers;
};

/** 0x00 ‖ event hash: the RFC 9162 leaf input, rewritten per event (hashing is synchronous). */
const leafInput = Buffer.alloc(33);

const run = (request: WalkRequest): void => {
  const db = new Database(request.file, { readonly: true, fileMustExist: true });
  const page = db
    .prepare(
      // json_valid (strict RFC 8259 text) is what lets the verifier hash the stored text without parsing it
      // (storedEventHash); SQLite checks it in C, far cheaper than JSON.parse here.
      `SELECT position, event_id, stream_id, revision, type, data, metadata,
              json_valid(data) AND json_valid(metadata) FROM events
       WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
    )
    .raw();
  const verifier = new ChainVerifier({ merkle: false });
  const mine = new Map<string, boolean>();
  let after = request.after;
  let index = 0;
  try {
    for (;;) {
      const rows = page.all(after, request.head, request.pageSize) as Row[];
      if (rows.length === 0) break;
      const positions = new Float64Array(rows.length);
      const revisions = new Int32Array(rows.length);
      // Its own ArrayBuffer (never the Buffer pool's), transferred to the main thread whole.
      const leaves = Buffer.from(new ArrayBuffer(rows.length * 32));
      let n = 0;
      let failed = false;
      for (const r of rows) {
        let ours = mine.get(r[2]);
        if (ours === undefined) mine.set(r[2], (ours = shareOf(r[2], request.workers) === request.share));
        if (!ours) continue;
        // A row that is not JSON any more throws here, as SqliteEventStore.readAll would (the run fails, not names).
        const hash = verifier.checkStored(
          r[0],
          { eventId: r[1], streamId: r[2], revision: r[3], type: r[4], data: r[5], metadata: r[6] },
          r[7] === 1,
        );
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
        last: rows[rows.length - 1][0],
        count: n,
        positions: positions.buffer,
        revisions: revisions.buffer,
        leaves: leaves.buffer,
        failure: failed ? verifier.result().firstFailure : undefined,
      };
      parentPort!.postMessage(message, [message.positions, message.revisions, message.leaves]);
      if (failed) return;
      index++;
      after = rows[rows.length - 1][0];
      if (rows.length < request.pageSize) break;
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
