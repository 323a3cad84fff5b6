/**
 * The verify worker's fast path over a page of rows as bytes (issue 16: no JavaScript value per row): SQLite hands
 * a page over as one BLOB ({@link PAGE_ROWS_SQL}), and `walkRows` checks its rows one after the other exactly as
 * `ChainVerifier.checkStoredText` would (the hashed text of the row codec's `storedHashedText`, `expandMetadata`'s
 * expansion, the same checks of the cut points), with the chain state in arrays indexed by the stream's number. It
 * only ever accepts: a row it cannot accept by that path stops the call, the caller checks that row itself (the
 * verifier decides, the row read whole where it must be) and calls again after it. So a walk through it names the
 * same first failure, with the same counts, as the walk without it.
 *
 * Two implementations with one contract, as the batch hasher has (row-walk.spec.ts holds them to each other and to
 * `storedHashedText` on the same rows): `native`, the addon's `walkRows` (packages/sha256-batch), and `node:crypto`,
 * the same loop here in JavaScript over the same bytes, for a process without the addon.
 */
import { addonFunction } from './batch-hash';
import { sha256Into } from './event-hash';

/**
 * A page of rows, positions (?, ?], as one BLOB: for each row `P,S,R,T,DL,ML,` (position, stream number, revision,
 * type number, the bytes of data and of metadata, as decimal integers), then the hash's 32 bytes, the event id's 16,
 * the data and the metadata; or `P,*` for a row not of that shape (an id that is not a UUID's 16 bytes, a hash not of
 * 32, a number or a text column of another type: read whole by the caller). NULL for a page with no rows. SQLite
 * visits a range of the INTEGER PRIMARY KEY in its order (the plan is a SEARCH on it), so the rows come in position
 * order; the walk checks it anyway (a position that does not move on is left to the verifier).
 */
export const PAGE_ROWS_SQL = `SELECT CAST(group_concat(
    CASE WHEN typeof(stream_no) = 'integer' AND typeof(revision) = 'integer' AND typeof(type_no) = 'integer'
        AND typeof(event_id) = 'blob' AND length(event_id) = 16 AND typeof(hash) = 'blob' AND length(hash) = 32
        AND typeof(data) = 'text' AND typeof(metadata) = 'text'
      THEN position || ',' || stream_no || ',' || revision || ',' || type_no || ',' || length(CAST(data AS BLOB))
        || ',' || length(CAST(metadata AS BLOB)) || ',' || hash || event_id || data || metadata
      ELSE position || ',*' END, '') AS BLOB)
  FROM events WHERE position > ? AND position <= ?`;

/** Why a `walkRows` call stopped (`state[2]`). */
export const enum WalkStop {
  /** The page's end. */
  End = 0,
  /** A row it does not accept: the caller checks it (it ends at `state[6]`). */
  Row = 1,
  /** A row of a stream whose head is not read yet (`revisions[s]` is {@link HEAD_UNKNOWN}): read it, call again. */
  Head = 2,
  /** The row's text needs `state[7]` bytes of scratch. */
  Scratch = 3,
  /** The outputs are full. */
  Full = 4,
  /** The page is not in {@link PAGE_ROWS_SQL}'s format from here. */
  Frame = 5,
}

/** `revisions[s]`: stream s has no head read in this walk yet. */
export const HEAD_UNKNOWN = -2;
/** `revisions[s]`: stream s's head is the caller's (not a 64-hex hash, or a revision that is not an integer). */
export const HEAD_CALLER = -3;

/**
 * The walk over a page (see the module's comment): arguments as the addon takes them.
 *
 * - `page` from byte `at`; `tokens` UTF-8 bytes, where `streamTokens[2s]`–`[2s + 1]` is stream s's `,"streamId":S`
 *   and `typeTokens[2t]`–`[2t + 1]` type t's `,"type":Y}` (an empty range: no such stream or type);
 * - `heads` 32 bytes a stream, its head's hash; `revisions` (one a stream) its head's revision: -1 for none (its next
 *   event is revision 0, `heads` holds the genesis hash), {@link HEAD_UNKNOWN}, {@link HEAD_CALLER};
 * - each accepted row into `positions[k]`, `revisionsOut[k]` and `leaves` at 32k (SHA-256(0x00 ‖ hash), RFC 9162's
 *   leaf), k = `state[1]`, which moves on; its stream's head in `heads` and `revisions`;
 * - `state`: [0] the last position accepted (in and out), [1] the rows written, [2] {@link WalkStop}, [3]–[5] the
 *   stopped row's position, stream number and revision (NaN where it did not say), [6] where it ends in the page,
 *   [7] the scratch it needs; `scratch` where a row's text is assembled.
 *
 * Returns the offset of the row it stopped at (the page's length at its end). Every argument is checked before a
 * byte is written (a TypeError or RangeError, nothing written); each row's frame is checked before anything of it is.
 */
export type WalkRows = (
  page: Uint8Array,
  at: number,
  tokens: Uint8Array,
  streamTokens: Int32Array,
  typeTokens: Int32Array,
  heads: Uint8Array,
  revisions: Float64Array,
  positions: Float64Array,
  revisionsOut: Int32Array,
  leaves: Uint8Array,
  state: Float64Array,
  scratch: Uint8Array,
) => number;

export interface RowWalker {
  readonly name: 'native' | 'node:crypto';
  readonly walkRows: WalkRows;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const COMMA = 0x2c;
const QUOTE = 0x22;
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
/** The top-level keys every ledger event has, by marker byte - 3 (the row codec's KEYS: the file format). */
const KEY_EXPANSION = [
  'actor',
  'causationId',
  'commandId',
  'correlationId',
  'occurredAt',
  'recordedAt',
  'schemaVersion',
].map((k) => ascii(`"${k}":`));
const PREV_HASH = ascii('"prevHash":"');
const COMMAND_ID = ascii('"commandId":');
const CORRELATION_ID = ascii(',"correlationId":');
const DATA = ascii('{"data":');
const EVENT_ID = ascii(',"eventId":"');
const METADATA = ascii('","metadata":');
const REVISION = ascii(',"revision":');
const EVENT_ID_CUT = ascii(',"eventId":');
const REVISION_CUT = ascii(',"revision":');
const HEX = ascii('0123456789abcdef');

/** A typed array of that kind (by its tag, not instanceof: a jest spec's arrays are of another context's classes). */
const isTyped = (value: unknown, type: string): boolean =>
  ArrayBuffer.isView(value) && (value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag] === type;
const isBytes = (value: unknown): value is Uint8Array =>
  ArrayBuffer.isView(value) &&
  (value as unknown as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] !== undefined;

/** The JavaScript implementation: the addon's loop, byte for byte. */
const jsWalkRows: WalkRows = (
  page,
  at,
  tokens,
  streamTokens,
  typeTokens,
  heads,
  revisions,
  positions,
  revisionsOut,
  leaves,
  state,
  scratch,
) => {
  if (
    !isBytes(page) ||
    typeof at !== 'number' ||
    !isBytes(tokens) ||
    !isTyped(streamTokens, 'Int32Array') ||
    !isTyped(typeTokens, 'Int32Array') ||
    !isBytes(heads) ||
    !isTyped(revisions, 'Float64Array') ||
    !isTyped(positions, 'Float64Array') ||
    !isTyped(revisionsOut, 'Int32Array') ||
    !isBytes(leaves) ||
    !isTyped(state, 'Float64Array') ||
    !isBytes(scratch)
  )
    throw new TypeError('walkRows: arguments of the wrong types');
  // Any typed array's bytes (the addon takes any), and Buffers for their copy and search.
  const bytes = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const [pg, tk, hd, lv, sc] = [page, tokens, heads, leaves, scratch].map(bytes);
  const streams = revisions.length;
  const capacity = positions.length;
  if (
    !Number.isInteger(at) ||
    at < 0 ||
    at > pg.length ||
    state.length < 8 ||
    hd.length < 32 * streams ||
    streamTokens.length < 2 * streams ||
    revisionsOut.length < capacity ||
    lv.length < 32 * capacity ||
    !(state[1] >= 0) ||
    state[1] > capacity
  )
    throw new RangeError('walkRows: an offset or an array out of the others’ range');
  const end = pg.length;
  let n = Math.trunc(state[1]);
  let last = state[0];
  let p = at;
  let row = p;
  let stop = WalkStop.End;
  let position = NaN;
  let stream = NaN;
  let revision = NaN;
  let need = 0;
  // A decimal integer at p ending in a comma (the addon's decimal_at), p moved past the comma; NaN when not one.
  let digitsFrom = 0;
  const decimal = (): number => {
    const start = p;
    let q = p;
    if (q < end && pg[q] === 0x2d) q++;
    const first = q;
    let v = 0;
    while (q < end && pg[q] >= 0x30 && pg[q] <= 0x39) {
      if (q - first >= 18) return NaN;
      v = v * 10 + (pg[q] - 0x30);
      q++;
    }
    if (q === first || q >= end || pg[q] !== COMMA) return NaN;
    digitsFrom = start;
    p = q + 1;
    return pg[start] === 0x2d ? -v : v;
  };
  const token = (ranges: Int32Array, count: number, k: number): [number, number] | undefined => {
    if (!(k >= 0) || k >= Math.floor(count / 2)) return undefined;
    const from = ranges[2 * k];
    const to = ranges[2 * k + 1];
    return from < 0 || to <= from || to > tk.length ? undefined : [from, to];
  };
  const holds = (from: number, to: number, needle: Buffer): boolean => sc.subarray(0, to).indexOf(needle, from) >= 0;
  while (p < end) {
    row = p;
    position = stream = revision = NaN;
    position = decimal();
    if (Number.isNaN(position)) {
      stop = WalkStop.Frame;
      break;
    }
    if (pg[p] === 0x2a) {
      p++;
      stop = WalkStop.Row;
      break;
    }
    stream = decimal();
    revision = decimal();
    const revisionDigits = [digitsFrom, p - 1];
    const type = decimal();
    const dataLength = decimal();
    const metadataLength = decimal();
    if (
      Number.isNaN(stream) ||
      Number.isNaN(revision) ||
      Number.isNaN(type) ||
      Number.isNaN(dataLength) ||
      Number.isNaN(metadataLength) ||
      dataLength < 0 ||
      metadataLength < 0 ||
      end - p < 48 + dataLength + metadataLength
    ) {
      stop = WalkStop.Frame;
      break;
    }
    const hash = p;
    const id = p + 32;
    const data = p + 48;
    const metadata = data + dataLength;
    p = metadata + metadataLength;
    const streamToken = token(streamTokens, 2 * streams, stream);
    const typeToken = token(typeTokens, typeTokens.length, type);
    if (!streamToken || !typeToken || !(position <= MAX_SAFE) || !(revision >= 0 && revision <= MAX_SAFE)) {
      stop = WalkStop.Row;
      break;
    }
    const head = revisions[stream];
    if (head === HEAD_UNKNOWN) {
      stop = WalkStop.Head;
      break;
    }
    if (head === HEAD_CALLER || !(position > last) || revision !== head + 1) {
      stop = WalkStop.Row;
      break;
    }
    const digits = revisionDigits[1] - revisionDigits[0];
    need =
      64 +
      8 +
      dataLength +
      13 +
      36 +
      14 +
      80 * metadataLength +
      2 +
      12 +
      digits +
      (streamToken[1] - streamToken[0]) +
      (typeToken[1] - typeToken[0]);
    if (need > sc.length) {
      stop = WalkStop.Scratch;
      break;
    }
    if (n >= capacity) {
      stop = WalkStop.Full;
      break;
    }
    let o = 0;
    const hex = (from: number, count: number, source: Buffer): void => {
      for (let i = from; i < from + count; i++) {
        sc[o++] = HEX[source[i] >> 4];
        sc[o++] = HEX[source[i] & 15];
      }
    };
    const copy = (source: Buffer, from = 0, to = source.length): void => {
      o += source.copy(sc, o, from, to);
    };
    hex(32 * stream, 32, hd);
    copy(DATA);
    copy(pg, data, metadata);
    copy(EVENT_ID);
    hex(id, 4, pg);
    sc[o++] = 0x2d;
    hex(id + 4, 2, pg);
    sc[o++] = 0x2d;
    hex(id + 6, 2, pg);
    sc[o++] = 0x2d;
    hex(id + 8, 2, pg);
    sc[o++] = 0x2d;
    hex(id + 10, 6, pg);
    copy(METADATA);
    const headFrom = o;
    // expandMetadata, over the bytes (its markers are bytes below 0x0a, which UTF-8 uses for nothing else).
    let expanded = true;
    let from = metadata;
    for (let i = metadata; i < p; i++) {
      const c = pg[i];
      if (c > 9) continue;
      if (c >= 3) {
        copy(pg, from, i);
        copy(KEY_EXPANSION[c - 3]);
        from = i + 1;
      } else if (c === 1) {
        copy(pg, from, i);
        copy(PREV_HASH);
        copy(sc, 0, 64);
        sc[o++] = QUOTE;
        from = i + 1;
      } else if (c === 2) {
        const close = i + 1 < p && pg[i + 1] === QUOTE ? pg.indexOf(QUOTE, i + 2) : -1;
        if (close < 0 || close >= p) {
          expanded = false;
          break;
        }
        copy(pg, from, i);
        copy(COMMAND_ID);
        copy(pg, i + 1, close + 1);
        copy(CORRELATION_ID);
        copy(pg, i + 1, close + 1);
        i = close;
        from = close + 1;
      }
    }
    if (expanded) copy(pg, from, p);
    const headTo = o;
    const dataAt = 64 + DATA.length;
    if (
      !expanded ||
      holds(dataAt, dataAt + dataLength, EVENT_ID_CUT) ||
      holds(headFrom, headTo, EVENT_ID_CUT) ||
      holds(headFrom, headTo, REVISION_CUT)
    ) {
      stop = WalkStop.Row;
      break;
    }
    copy(REVISION);
    copy(pg, revisionDigits[0], revisionDigits[1]);
    copy(tk, streamToken[0], streamToken[1]);
    copy(tk, typeToken[0], typeToken[1]);
    const digest = Buffer.allocUnsafe(32);
    sha256Into(sc.subarray(0, o), digest, 0);
    if (!digest.equals(pg.subarray(hash, hash + 32))) {
      stop = WalkStop.Row;
      break;
    }
    pg.copy(hd, 32 * stream, hash, hash + 32);
    revisions[stream] = revision;
    last = position;
    positions[n] = position;
    revisionsOut[n] = revision | 0;
    const leaf = Buffer.allocUnsafe(33);
    leaf[0] = 0;
    pg.copy(leaf, 1, hash, hash + 32);
    sha256Into(leaf, lv, 32 * n);
    n++;
  }
  const stopped = stop !== WalkStop.End;
  state[0] = last;
  state[1] = n;
  state[2] = stop;
  state[3] = stopped ? position : NaN;
  state[4] = stopped ? stream : NaN;
  state[5] = stopped ? revision : NaN;
  state[6] = p;
  state[7] = need;
  return stopped ? row : p;
};

/** The JavaScript implementation (always available). */
export const nodeCryptoRowWalker: RowWalker = { name: 'node:crypto', walkRows: jsWalkRows };

const native = addonFunction<WalkRows>('walkRows');

/** The addon's implementation, or undefined when it is not built (or is a build from before it had one). */
export const nativeRowWalker: RowWalker | undefined = native && { name: 'native', walkRows: native };

/** What the verify worker uses unless told otherwise: the addon when it loads, else JavaScript. */
export const defaultRowWalker: RowWalker = nativeRowWalker ?? nodeCryptoRowWalker;
