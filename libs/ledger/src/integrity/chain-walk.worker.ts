/**
 * One worker of {@link verifySqliteLog}: reads the store file's events in position order (its own read-only
 * connection), takes the streams of its share (stream number modulo the workers), checks their chains with the very
 * {@link ChainVerifier} a single-threaded walk uses, and posts each page's leaves back: positions, leaf hashes and
 * revisions (a verified revision 0 is a new stream). It stops at its first failure and posts it.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainVerifier } from './log-verifier';
import { sha256Into } from './event-hash';
import { STORE_FORMAT, idOf } from '../store/sqlite.row-codec';
import type { WalkPage, WalkRequest } from './parallel-walk';

/** position, stream_no, revision, event_id (text), type_no, data, metadata, hash (hex), as format 2 keeps them. */
type Row = [number, number, number, Buffer | string, number, string, string, string | null];

/** 0x00 ‖ event hash: the RFC 9162 leaf input, rewritten per event (hashing is synchronous). */
const leafInput = Buffer.alloc(33);

const run = (request: WalkRequest): void => {
  const db = new Database(request.file, { readonly: true, fileMustExist: true });
  const format = db.pragma('user_version', { simple: true }) as number;
  if (format !== STORE_FORMAT) throw new Error(`the store file is in format ${format}: open it with the store first`);
  // A worker's streams are those whose number is its share modulo the workers: SQLite picks the rows (reading a row
  // into JavaScript is the largest cost of the walk), the names of the share's streams and of every type are read
  // once. Every stream of an event at or below the head was numbered before the head was read.
  const streams = new Map(
    db
      .prepare(`SELECT stream_no, stream_id FROM streams WHERE stream_no % ? = ?`)
      .raw()
      .all(request.workers, request.share) as [number, string][],
  );
  const types = new Map(db.prepare(`SELECT type_no, type FROM types`).raw().all() as [number, string][]);
  const nameOf = (names: Map<number, string>, n: number, what: string): string => {
    const name = names.get(n);
    if (name === undefined) throw new Error(`event store: no ${what} is numbered ${n} (the file is damaged)`);
    return name;
  };
  // The event id (a UUID kept as 16 bytes, spelled out) and the hash as text made by SQLite, as a reader's idOf and
  // hashOf make them: a short string each, where a blob costs a Buffer and a hex conversion per row here (the rows'
  // values are the largest cost of the walk). A blob of another length reads as idOf would read it.
  const page = db
    .prepare(
      `SELECT position, stream_no, revision,
         CASE WHEN typeof(event_id) = 'blob' AND length(event_id) = 16 THEN lower(substr(hex(event_id), 1, 8) || '-' ||
           substr(hex(event_id), 9, 4) || '-' || substr(hex(event_id), 13, 4) || '-' || substr(hex(event_id), 17, 4) ||
           '-' || substr(hex(event_id), 21)) ELSE event_id END,
         type_no, data, metadata, CASE typeof(hash) WHEN 'blob' THEN lower(hex(hash)) ELSE hash END
       FROM events WHERE position > ? AND position <= ? AND stream_no % ? = ? ORDER BY position`,
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
          eventId: idOf(r[3]),
          streamId: nameOf(streams, r[1], 'stream'),
          revision: r[2],
          type: nameOf(types, r[4], 'type'),
          data: r[5],
          metadata: r[6],
          hash: r[7],
        });
        if (hash === undefined) {
          failed = true;
          break;
        }
        positions[n] = r[0];
        revisions[n] = r[2];
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
