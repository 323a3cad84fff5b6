/**
 * One worker of {@link verifySqliteLog}: walks its spans of positions (span k, k + workers, …; its own read-only
 * connection), every row of each, checks the chains as the very {@link ChainVerifier} a single-threaded walk uses
 * would (each stream's head where the span begins read from the store), and posts each page's leaves back: positions,
 * leaf hashes and revisions (a verified revision 0 is a new stream). A page is read as one BLOB and its rows taken by
 * the row walk (row-walk.ts: the verifier's fast path over the bytes, in the addon where it is built); a row that
 * does not take is checked here by the verifier, which takes up the walk's state for it, and decides. It stops at its
 * first failure and posts it.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainVerifier } from './log-verifier';
import { isHashHex, sha256Into } from './event-hash';
import {
  HEAD_CALLER,
  HEAD_UNKNOWN,
  PAGE_ROWS_SQL,
  WalkStop,
  defaultRowWalker,
  nodeCryptoRowWalker,
  type RowWalker,
} from './row-walk';
import { STORE_FORMAT, derivedPrevHash, idOf, idTextSql, uuidOfHex } from '../store/sqlite.row-codec';
import type { WalkPage, WalkRequest } from './parallel-walk';

/** position, stream_no, revision, event_id (text), type_no, data, metadata, hash (hex), as format 2 keeps them. */
type Row = [number, number, number, Buffer | string, number, string, string, string | null];
/** position, stream_no, revision, type_no, and hash ‖ event id (hex) ‖ data ‖ \x0b ‖ metadata (or null): the fast read. */
type TextRow = [number, number, number, number, string | null];

/** What separates a fast row's data from its metadata: a raw control character, which no JSON text holds. */
const SEPARATOR = '\x0b';
/** Where a fast row's data begins: after the 64 hex digits of the hash and the 32 of the event id. */
const DATA_AT = 96;

/** Buffer's own hexSlice: on every Node Buffer (what toString() calls), not in @types/node. */
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
  // A page of rows as one BLOB (row-walk.ts: no JavaScript value per row), walked by the row walk; a row it stops at
  // is read alone by `row$` (the numbers, and one string of the hash's and the event id's bytes as lowercase hex,
  // the data and the metadata as stored: checkRow's fast path), and read whole by `whole` where that declines, as
  // the store's reader would read it.
  const page$ = db.prepare(PAGE_ROWS_SQL).pluck();
  const row$ = db
    .prepare(
      `SELECT position, stream_no, revision, type_no,
         CASE WHEN typeof(event_id) = 'blob' AND length(event_id) = 16 AND typeof(hash) = 'blob'
             AND length(hash) = 32 AND typeof(data) = 'text' AND typeof(metadata) = 'text'
           THEN lower(hex(hash) || hex(event_id)) || data || char(11) || metadata END
       FROM events WHERE position = ?`,
    )
    .raw();
  /** 0x00 ‖ hash: a leaf's input, for a row checked here. */
  const leafInput = Buffer.alloc(33);
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
  // The addon's row walk with the native hasher (where the addon is a build from before it had one, the JavaScript
  // walk: the same answer), the JavaScript one with node:crypto.
  const walker: RowWalker = request.hasher === 'native' ? defaultRowWalker : nodeCryptoRowWalker;
  // The walk's state by stream number (row-walk.ts): the tokens of the hashed text, each stream's head (its hash's
  // bytes and its revision, or HEAD_UNKNOWN / HEAD_CALLER), and the heads kept here (HEAD_CALLER: not a 64-hex hash).
  const count = streams.length;
  const tokenTexts: string[] = [];
  const tokenRanges = (names: string[]): Int32Array => {
    const ranges = new Int32Array(2 * names.length);
    let at = tokenTexts.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
    for (let n = 0; n < names.length; n++) {
      const token = names[n];
      if (token === undefined) continue;
      tokenTexts.push(token);
      ranges[2 * n] = at;
      at += Buffer.byteLength(token);
      ranges[2 * n + 1] = at;
    }
    return ranges;
  };
  const streamRanges = tokenRanges(streamTokens);
  const typeRanges = tokenRanges(typeTokens);
  const tokens = Buffer.from(tokenTexts.join(''));
  const heads = Buffer.alloc(32 * count);
  const headRevisions = new Float64Array(count);
  const callerHeads = new Map<number, { revision: number; hash: string }>();
  const state = new Float64Array(8);
  let scratch = Buffer.alloc(1 << 16);
  /** Stream n's head here as the walk holds it, for the verifier (undefined: none; 'unknown': not read yet). */
  const headHere = (n: number): { revision: number; hash: string } | undefined | 'unknown' => {
    const revision = headRevisions[n];
    if (revision === HEAD_UNKNOWN) return 'unknown';
    if (revision === HEAD_CALLER) return callerHeads.get(n);
    if (revision === -1) return undefined;
    return { revision, hash: (heads as HexSliceable).hexSlice(32 * n, 32 * n + 32) };
  };
  /** Stream n's head becomes the verifier's (after a row it checked), or the one read from the store. */
  const holdHead = (n: number, head: { revision: number; hash: string } | undefined): void => {
    callerHeads.delete(n);
    if (head === undefined) {
      headRevisions[n] = -1;
      heads.fill(0, 32 * n, 32 * n + 32);
    } else if (isHashHex(head.hash) && Number.isSafeInteger(head.revision) && head.revision >= 0) {
      headRevisions[n] = head.revision;
      heads.write(head.hash, 32 * n, 32, 'hex');
    } else {
      headRevisions[n] = HEAD_CALLER;
      callerHeads.set(n, { revision: head.revision, hash: head.hash });
    }
  };
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

  /** Walks the positions (from, to]; false at a failure (the walk's first is at or before it: nothing later counts). */
  function walkSpan(span: number, from: number, to: number): boolean {
    const verifier = new ChainVerifier({ merkle: false });
    headRevisions.fill(HEAD_UNKNOWN);
    callerHeads.clear();
    state[0] = -Infinity;
    for (let low = from; low < to; low += request.pageSize) {
      const high = Math.min(to, low + request.pageSize);
      const page = page$.get(low, high) as Buffer | null;
      // At most a row a position. Their own ArrayBuffers (never the Buffer pool's), transferred to the main thread.
      const capacity = high - low;
      const positions = new Float64Array(capacity);
      const revisions = new Int32Array(capacity);
      const leaves = Buffer.from(new ArrayBuffer(capacity * 32));
      state[1] = 0;
      let failed = false;
      for (let at = 0; page !== null && at < page.length;) {
        at = walker.walkRows(
          page,
          at,
          tokens,
          streamRanges,
          typeRanges,
          heads,
          headRevisions,
          positions,
          revisions,
          leaves,
          state,
          scratch,
        );
        const stop = state[2] as WalkStop;
        if (stop === WalkStop.End) break;
        if (stop === WalkStop.Scratch) scratch = Buffer.alloc(2 * state[7]);
        else if (stop === WalkStop.Head) {
          // A stream not known yet here begins in this span: its head where the span begins, from the store.
          const n = state[4];
          const head = headBefore(n, state[5], from);
          holdHead(n, head && { revision: head[0], hash: derivedPrevHash(1, head[1] ?? head[2]) });
        } else if (stop === WalkStop.Row) {
          // The row as the walk has always checked it, alone: the verifier takes up the walk's state for its stream.
          const r = row$.get(state[3]) as TextRow;
          const n = r[1];
          const known = Number.isInteger(n) && n >= 0 && n < count ? headHere(n) : 'unknown';
          const streamId = streams[n];
          verifier.resume(
            state[0],
            known === 'unknown' || streamId === undefined ? undefined : { id: streamId, head: known },
          );
          const hash = checkRow(verifier, r, from);
          if (hash === undefined) {
            failed = true;
            break;
          }
          holdHead(n, verifier.headOf(streamId));
          const k = state[1];
          if (k >= capacity) throw new Error('verify worker: more rows in a page than positions');
          positions[k] = r[0];
          revisions[k] = r[2];
          leafInput.write(hash, 1, 32, 'hex');
          sha256Into(leafInput, leaves, 32 * k);
          state[0] = r[0];
          state[1] = k + 1;
          at = state[6];
        } else throw new Error(`verify worker: the page of positions (${low}, ${high}] is not as read (stop ${stop})`);
      }
      const message: WalkPage = {
        span,
        last: failed || high >= to,
        count: state[1],
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

try {
  run(workerData as WalkRequest);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
