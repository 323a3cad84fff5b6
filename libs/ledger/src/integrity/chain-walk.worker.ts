/**
 * One worker of {@link verifySqliteLog}: walks its spans of positions (span k, k + workers, …; its own read-only
 * connection), every row of each, checks the chains with the very {@link ChainVerifier} a single-threaded walk uses
 * (each stream's head where the span begins read from the store), and posts each page's leaves back: positions, leaf
 * hashes and revisions (a verified revision 0 is a new stream). It stops at its first failure and posts it.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainVerifier } from './log-verifier';
import { GENESIS_HASH } from './event-hash';
import { nativeSha256Batch, nodeCryptoSha256Batch, type Sha256Batch } from './batch-hash';
import { STORE_FORMAT, derivedPrevHash, idOf, idTextSql, storedHashedText, uuidOfHex } from '../store/sqlite.row-codec';
import type { WalkPage, WalkRequest } from './parallel-walk';

/** position, stream_no, revision, event_id (text), type_no, data, metadata, hash (hex), as format 2 keeps them. */
type Row = [number, number, number, Buffer | string, number, string, string, string | null];
/** position, stream_no, revision, type_no, and hash ‖ event id (hex) ‖ data ‖ \x0b ‖ metadata (or null): the fast read. */
type TextRow = [number, number, number, number, string | null];

/** What separates a fast row's data from its metadata: a raw control character, which no JSON text holds. */
const SEPARATOR = '\x0b';
/** Where a fast row's data begins: after the 64 hex digits of the hash and the 32 of the event id. */
const DATA_AT = 96;
/** Rows hashed a call (a page's texts staged BATCH at a time). */
const BATCH = 256;

/** Buffer's own utf8Write and hexSlice: on every Node Buffer (what write() and toString() call), not in @types/node. */
type Utf8Writable = Buffer & { utf8Write(text: string, offset: number, length: number): number };
type HexSliceable = Buffer & { hexSlice(start: number, end: number): string };

const run = (request: WalkRequest): void => {
  const db = new Database(request.file, { readonly: true, fileMustExist: true });
  const format = db.pragma('user_version', { simple: true }) as number;
  if (format !== STORE_FORMAT) throw new Error(`the store file is in format ${format}: open it with the store first`);
  // The names of every stream and type, read once, by number (the numbers are dense), with the JSON tokens the
  // hashed text ends with (`,"streamId":S` and `,"type":Y}`): made once per name, not per row. Every stream of an
  // event at or below the head was numbered before the head was read.
  const streams: string[] = [];
  const streamTokens: string[] = [];
  for (const [n, id] of db.prepare(`SELECT stream_no, stream_id FROM streams`).raw().all() as [number, string][]) {
    streams[n] = id;
    streamTokens[n] = ',"streamId":' + JSON.stringify(id);
  }
  const types: string[] = [];
  const typeTokens: string[] = [];
  for (const [n, type] of db.prepare(`SELECT type_no, type FROM types`).raw().all() as [number, string][]) {
    types[n] = type;
    typeTokens[n] = ',"type":' + JSON.stringify(type) + '}';
  }
  const nameOf = (names: string[], n: number, what: string): string => {
    const name = names[n];
    if (name === undefined) throw new Error(`event store: no ${what} is numbered ${n} (the file is damaged)`);
    return name;
  };
  // Each row as few values as the fast path needs (the rows' values are the largest cost of the walk): the numbers,
  // and one string of the hash's and the event id's bytes as lowercase hex (the id a UUID's 16 bytes), the data and
  // the metadata as stored. One hex() and one lower() a row: spelling the UUID out in SQL (five substr() of hex())
  // cost more than the JavaScript that does it here (measured). A row not of that shape (an id that is not 16 bytes,
  // a hash not of 32, text that is not text) has none and is read whole by `whole`, as the store's reader would read
  // it; so is a row the fast path declines, or one whose data or metadata holds the separator.
  const page$ = db
    .prepare(
      `SELECT position, stream_no, revision, type_no,
         CASE WHEN typeof(event_id) = 'blob' AND length(event_id) = 16 AND typeof(hash) = 'blob'
             AND length(hash) = 32 AND typeof(data) = 'text' AND typeof(metadata) = 'text'
           THEN lower(hex(hash) || hex(event_id)) || data || char(11) || metadata END
       FROM events WHERE position > ? AND position <= ? ORDER BY position`,
    )
    .raw();
  const whole = db
    .prepare(
      `SELECT position, stream_no, revision,
         ${idTextSql('event_id')},
         type_no, data, metadata, CASE typeof(hash) WHEN 'blob' THEN lower(hex(hash)) ELSE hash END
       FROM events WHERE position = ?`,
    )
    .raw();
  /** The row at a position as the store keeps it, checked by ChainVerifier.checkStored (which decides). */
  const checkWhole = (verifier: ChainVerifier, position: number): string | undefined => {
    const r = whole.get(position) as Row;
    return verifier.checkStored(r[0], {
      eventId: idOf(r[3]),
      streamId: nameOf(streams, r[1], 'stream'),
      revision: r[2],
      type: nameOf(types, r[4], 'type'),
      data: r[5],
      metadata: r[6],
      hash: r[7],
    });
  };
  // The stream's last event at or before a position: its head where a span begins. When every event before the span
  // verified (the only case in which this span's findings can be the walk's first), the stream's events there have
  // revisions 0, 1, … in position order, so that head is the revision just before the stream's first row in the span:
  // one point lookup on the (stream_no, revision) index. Where that row is missing or lies in the span (a damaged
  // store), the highest revision at or before the position is taken instead, as a walk from the start would hold it;
  // that scan walks the stream's later revisions one by one, so it is kept for those rows only (for every stream of
  // every span it was a visit per later event of the stream: quadratic in a long stream). Its hash as a reader
  // derives it (derivedPrevHash).
  const previous = db
    .prepare(`SELECT revision, hash, metadata, position FROM events WHERE stream_no = ? AND revision = ?`)
    .raw();
  const before = db
    .prepare(
      `SELECT revision, hash, metadata FROM events WHERE stream_no = ? AND position <= ?
       ORDER BY revision DESC LIMIT 1`,
    )
    .raw();
  type Head = [number, Buffer | string | null, string];
  const headBefore = (streamNo: number, revision: number, from: number): Head | undefined => {
    if (revision === 0) return undefined;
    const p = previous.get(streamNo, revision - 1) as [number, Buffer | string | null, string, number] | undefined;
    if (p && p[3] <= from) return [p[0], p[1], p[2]];
    return before.get(streamNo, from) as Head | undefined;
  };
  const hasher: Sha256Batch =
    request.hasher === 'native'
      ? (nativeSha256Batch ?? fail('the native hasher does not load in this thread'))
      : nodeCryptoSha256Batch;
  // A page's hashing, reused from page to page: its hashed texts end to end and their ranges; the leaves' inputs,
  // 0x00 ‖ hash, 33 bytes a row (the texts' digests written in place); and where each digest and leaf goes.
  let texts = Buffer.allocUnsafe(1 << 20);
  let capacity = 0;
  let ranges = new Int32Array(0);
  let leafInputs = Buffer.alloc(0);
  let digestAt = new Int32Array(0);
  let leafRanges = new Int32Array(0);
  let leafAt = new Int32Array(0);
  const prevHashes: string[] = [];
  const storedHashes: string[] = [];
  const eventIds: string[] = [];
  const reserve = (rows: number): void => {
    if (rows <= capacity) return;
    capacity = rows;
    ranges = new Int32Array(2 * rows);
    leafInputs = Buffer.alloc(33 * rows);
    digestAt = Int32Array.from({ length: rows }, (_, i) => 33 * i + 1);
    leafRanges = Int32Array.from({ length: 2 * rows }, (_, i) => 33 * (i >> 1) + 33 * (i & 1));
    leafAt = Int32Array.from({ length: rows }, (_, i) => 32 * i);
  };
  // Each stream's row staged last (by number): its batch, revision and stored hash.
  let batch = 0;
  const stagedBatch = new Int32Array(streams.length);
  const stagedRevision = new Int32Array(streams.length);
  const stagedHash: string[] = [];
  try {
    for (let span = request.share; span < request.spans; span += request.workers) {
      const from = request.after + span * request.spanSize;
      const to = Math.min(request.head, from + request.spanSize);
      if (!walkSpan(span, from, to)) break;
    }
    parentPort!.postMessage({ done: true });
  } finally {
    db.close();
  }

  /**
   * The row as the walk has always checked it, alone: its stream's head assumed where the span begins if the stream is
   * new here, the fast path (the text assembled and hashed here), and the row read whole where that declines. The
   * event's hash when it verified.
   */
  function checkRow(verifier: ChainVerifier, r: TextRow, from: number): string | undefined {
    const streamId = nameOf(streams, r[1], 'stream');
    // A stream not known yet here begins in this span: its head where the span begins, from the store.
    if (!verifier.knows(streamId)) assumeHead(verifier, streamId, r, from);
    const f = fastPieces(r);
    let hash: string | undefined;
    if (f)
      hash = verifier.checkStoredText(
        r[0],
        streamId,
        r[2],
        f.eventId,
        '"' + f.eventId + '"',
        f.data,
        f.metadata,
        streamTokens[r[1]] + nameOf(typeTokens, r[3], 'type'),
        f.stored,
      );
    // Declined (or not of the fast shape): the row read whole and checked as the one-thread walk checks it. A row that is
    // not JSON any more throws there, as SqliteEventStore.readAll would (the run fails, not names).
    if (hash === undefined && verifier.ok) hash = checkWhole(verifier, r[0]);
    return hash;
  }

  function assumeHead(verifier: ChainVerifier, streamId: string, r: TextRow, from: number): void {
    const head = headBefore(r[1], r[2], from);
    if (head) verifier.assumeHead(streamId, head[0], derivedPrevHash(1, head[1] ?? head[2]));
  }

  /**
   * Stages rows [begin, end) of a page and hashes them in one call, the digests into the leaves' inputs: each row's
   * hashed text, assembled with the stored hash of its stream's previous row (staged before it, else the verifier's
   * head) as its prevHash — the prevHash it hashes with when every row before it verifies, the only case in which its
   * outcome counts (ChainVerifier.checkStoredDigest holds each to the head it meets). Stops at the first row that is
   * not of the fast shape, that the text declines, or that does not follow its stream's previous row; that row and
   * the rest up to `end` are checked one by one (checkRow). Returns where the staged rows end.
   */
  function stage(verifier: ChainVerifier, rows: TextRow[], begin: number, end: number, from: number): number {
    batch += 1;
    let at = 0;
    let m = begin;
    for (; m < end; m++) {
      const r = rows[m];
      const streamNo = r[1];
      const streamId = streams[streamNo];
      const typeToken = typeTokens[r[3]];
      const f = streamId === undefined || typeToken === undefined ? undefined : fastPieces(r);
      if (f === undefined) break;
      let revision: number;
      let prevHash: string;
      if (stagedBatch[streamNo] === batch) {
        revision = stagedRevision[streamNo];
        prevHash = stagedHash[streamNo];
      } else {
        if (!verifier.knows(streamId)) assumeHead(verifier, streamId, r, from);
        const head = verifier.headOf(streamId);
        revision = head ? head.revision : -1;
        prevHash = head ? head.hash : GENESIS_HASH;
      }
      if (r[2] !== revision + 1) break;
      const text = storedHashedText(
        prevHash,
        f.data,
        '"' + f.eventId + '"',
        f.metadata,
        r[2],
        streamTokens[streamNo] + typeToken,
      );
      if (text === undefined) break;
      // At most 3 bytes of UTF-8 per UTF-16 unit.
      if (at + 3 * text.length > texts.length) {
        const grown = Buffer.allocUnsafe(Math.max(2 * texts.length, at + 3 * text.length));
        texts.copy(grown, 0, 0, at);
        texts = grown;
      }
      ranges[2 * (m - begin)] = at;
      at += (texts as Utf8Writable).utf8Write(text, at, texts.length - at);
      ranges[2 * (m - begin) + 1] = at;
      stagedBatch[streamNo] = batch;
      stagedRevision[streamNo] = r[2];
      stagedHash[streamNo] = f.stored;
      prevHashes[m - begin] = prevHash;
      storedHashes[m - begin] = f.stored;
      eventIds[m - begin] = f.eventId;
    }
    hasher.many(texts, ranges, m - begin, leafInputs, digestAt.subarray(begin));
    // A stored hash is a slice of its row's string: not kept past the batch, which would keep the row alive (a row
    // per stream, and past the young generation: measured as twice the collector's time).
    for (let k = begin; k < m; k++) stagedHash[rows[k][1]] = '';
    return m;
  }

  /** Walks the positions (from, to]; false at a failure (the walk's first is at or before it: nothing later counts). */
  function walkSpan(span: number, from: number, to: number): boolean {
    const verifier = new ChainVerifier({ merkle: false });
    for (let low = from; low < to; low += request.pageSize) {
      const high = Math.min(to, low + request.pageSize);
      const rows = page$.all(low, high) as TextRow[];
      reserve(rows.length);
      const positions = new Float64Array(rows.length);
      const revisions = new Int32Array(rows.length);
      // Its own ArrayBuffer (never the Buffer pool's), transferred to the main thread whole.
      const leaves = Buffer.from(new ArrayBuffer(rows.length * 32));
      let staged = 0;
      let n = 0;
      let failed = false;
      for (const r of rows) {
        // The rows are staged a batch at a time: few enough that their strings die young (a whole page staged kept
        // a page of them alive through the young generation's collections: twice the GC time, measured).
        if (n % BATCH === 0) staged = stage(verifier, rows, n, Math.min(rows.length, n + BATCH), from);
        let hash: string | undefined;
        if (n < staged) {
          // The digest as a string of its own (hexSlice), since it becomes the stream's head.
          const digest = (leafInputs as HexSliceable).hexSlice(33 * n + 1, 33 * n + 33);
          hash = verifier.checkStoredDigest(
            r[0],
            streams[r[1]],
            r[2],
            eventIds[n % BATCH],
            prevHashes[n % BATCH],
            digest,
            storedHashes[n % BATCH],
          );
          // Declined (a digest that is not the stored hash, a head that is not the one staged): the row alone.
          if (hash === undefined && verifier.ok) {
            hash = checkRow(verifier, r, from);
            if (hash !== undefined) leafInputs.write(hash, 33 * n + 1, 32, 'hex');
          }
        } else {
          hash = checkRow(verifier, r, from);
          if (hash !== undefined) leafInputs.write(hash, 33 * n + 1, 32, 'hex');
        }
        if (hash === undefined) {
          failed = true;
          break;
        }
        positions[n] = r[0];
        revisions[n] = r[2];
        n++;
      }
      // The leaves, 0x00 ‖ hash, of the rows that verified: one call.
      hasher.many(leafInputs, leafRanges, n, leaves, leafAt);
      const message: WalkPage = {
        span,
        last: failed || high >= to,
        count: n,
        positions: positions.buffer,
        revisions: revisions.buffer,
        leaves: leaves.buffer,
        failure: failed ? verifier.result().firstFailure : undefined,
      };
      parentPort!.postMessage(message, [message.positions, message.revisions, message.leaves]);
      if (failed) return false;
    }
    // A span with no positions still tells the main thread it is over.
    if (from >= to) {
      const empty: WalkPage = {
        span,
        last: true,
        count: 0,
        positions: new ArrayBuffer(0),
        revisions: new ArrayBuffer(0),
        leaves: new ArrayBuffer(0),
      };
      parentPort!.postMessage(empty);
    }
    return true;
  }
};

/**
 * The pieces of a fast row's one string (`hex(hash) ‖ hex(event_id) ‖ data ‖ \x0b ‖ metadata`), or undefined when the
 * row has none or the separator is not there exactly once after the data (neither column holds it, so the cut is where
 * SQLite put it): the row is then read whole.
 */
function fastPieces(r: TextRow): { eventId: string; data: string; metadata: string; stored: string } | undefined {
  const fast = r[4];
  if (fast === null) return undefined;
  const cut = fast.indexOf(SEPARATOR, DATA_AT);
  if (cut < 0 || fast.indexOf(SEPARATOR, cut + 1) >= 0) return undefined;
  // A UUID's 16 bytes spelled out as idOf does.
  return {
    eventId: uuidOfHex(fast, 64),
    data: fast.slice(DATA_AT, cut),
    metadata: fast.slice(cut + 1),
    stored: fast.slice(0, 64),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

try {
  run(workerData as WalkRequest);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
