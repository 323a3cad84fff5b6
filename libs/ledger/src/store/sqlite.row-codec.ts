/**
 * The embedded store's row format 2 (issue 16: disk ≤ 1 KB per event): how an event's values are kept in the
 * `events` row and read back, in one place, so the writer, the readers, the migration from format 1 and `verify`'s
 * fast path cannot drift apart (docs/integrity.md §3.1 gives the layout).
 *
 * Pure functions of strings and bytes: no database here.
 */
import { CanonicalizationError, canonicalize } from '../integrity/canonical-json';
import { GENESIS_HASH, isHashHex, sha256Hex } from '../integrity/event-hash';

/** `PRAGMA user_version` of a store in this format. Format 1 (user_version 0) is session 4's: see sqlite.migration.ts. */
export const STORE_FORMAT = 2;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An event or command id as kept: a lowercase UUID as its 16 bytes, anything else as its text. The column has no
 * type affinity and SQLite never finds a BLOB equal to a TEXT, so the two kinds cannot collide in the unique index;
 * and the encoding is a function of the id, so one id always lands on one key.
 */
export const storedId = (id: string): Buffer | string =>
  UUID.test(id) ? Buffer.from(id.replace(/-/g, ''), 'hex') : id;

/**
 * Hex of stored bytes: a Buffer as SQLite hands it over, or the Uint8Array it becomes when a row crosses to another
 * thread (a structured clone keeps the bytes, not the class).
 */
const hexOf = (bytes: Uint8Array): string =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex');

/** The UUID (8-4-4-4-12) whose 32 hex digits stand in `hex` from `at`. */
export const uuidOfHex = (hex: string, at = 0): string =>
  `${hex.slice(at, at + 8)}-${hex.slice(at + 8, at + 12)}-${hex.slice(at + 12, at + 16)}-${hex.slice(at + 16, at + 20)}-${hex.slice(at + 20, at + 32)}`;

/** The id back from its stored value (16 bytes: the lowercase UUID; text: itself). */
export const idOf = (stored: Uint8Array | string): string => {
  if (typeof stored === 'string') return stored;
  const h = hexOf(stored);
  return h.length === 32 ? uuidOfHex(h) : h;
};

/**
 * SQL that reads a stored id `column` as {@link idOf} makes it when it is a UUID's 16 bytes (spelled out by SQLite,
 * in C: no Buffer per row in JavaScript), and as it is stored otherwise (then `idOf` reads it).
 */
export const idTextSql = (column: string): string => {
  const hex = (from: number, length?: number) => `substr(hex(${column}), ${from}${length ? `, ${length}` : ''})`;
  return (
    `CASE WHEN typeof(${column}) = 'blob' AND length(${column}) = 16 THEN lower(${hex(1, 8)} || '-' || ` +
    `${hex(9, 4)} || '-' || ${hex(13, 4)} || '-' || ${hex(17, 4)} || '-' || ${hex(21)}) ELSE ${column} END`
  );
};

/** A lowercase hex SHA-256 as its 32 bytes; anything else stays text. */
export const storedHash = (hash: string): Buffer | string => (isHashHex(hash) ? Buffer.from(hash, 'hex') : hash);

/** The hash back from its stored value. */
export const hashOf = (stored: Uint8Array | string): string => (typeof stored === 'string' ? stored : hexOf(stored));

/*
 * The metadata text. It is the canonical JSON (RFC 8785) of the metadata without `hash` — the very text the chain
 * hash covers, so verify hashes it without parsing — with its top-level members written shorter:
 *
 *   - `"prevHash":"<hex>"` is one byte, \x01, when it is the hash of the stream's previous event (the chain link
 *     itself: a reader puts back that event's hash, the walk of verify the head it holds);
 *   - `"commandId":"X","correlationId":"X"` (adjacent in canonical order, and equal) is \x02 followed by "X";
 *   - the other keys every ledger event has are one byte each (KEYS below).
 *
 * Raw control characters never occur in JSON text (RFC 8259 §7: a string must escape U+0000–U+001F, and they are
 * not whitespace in canonical JSON), so a marker byte cannot be mistaken for anything the canonical text holds, and
 * the expansion is unambiguous. Only top-level members are shortened; nested values are copied as they are.
 * `hash` is kept in its own column (32 bytes) when it is a hex SHA-256, else it stays in the text.
 */
export const PREV_MARKER = '\x01';
const COMMAND_PAIR = '\x02';
/** Marker byte (index + 3) of each key every ledger event has; fixed forever: it is the file format. */
const KEYS = ['actor', 'causationId', 'commandId', 'correlationId', 'occurredAt', 'recordedAt', 'schemaVersion'];
const KEY_MARKER = new Map(KEYS.map((k, i) => [k, String.fromCharCode(3 + i)]));
const EXPANSION = KEYS.map((k) => `"${k}":`);
const FIRST_KEY = 3;
const LAST_KEY = 3 + KEYS.length - 1;
const SIMPLE_TOKEN = /^"[^"\\]*"$/;

// The same as canonical-json.ts: members sorted by UTF-16 code units (RFC 8785 §3.2.3), which `<` compares.
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The metadata as a row keeps it: the shortened canonical text, and `hash` as 32 bytes when it is a hex SHA-256. */
export interface StoredMetadata {
  text: string;
  hash: Buffer | null;
}

/**
 * Encodes an event's metadata. `previousHash` is the hash the reader will derive for this event's `prevHash` (the
 * previous event of the stream's, or the genesis hash for revision 0; undefined when there is none to derive): the
 * member is left out only when it equals it. Metadata with no canonical form is kept as JSON.stringify writes it
 * (with its `hash`), exactly as given; it then hashes the slow way.
 */
export function encodeMetadata(
  metadata: Record<string, unknown> | null | undefined,
  previousHash: string | undefined,
): StoredMetadata {
  const value = metadata ?? {};
  const hex = value.hash;
  const hash = isHashHex(hex) ? Buffer.from(hex, 'hex') : null;
  try {
    return { text: shortCanonical(value, hash !== null, previousHash), hash };
  } catch (e) {
    if (!(e instanceof CanonicalizationError)) throw e;
    return { text: JSON.stringify(value), hash: null };
  }
}

function shortCanonical(
  value: Record<string, unknown>,
  hashInColumn: boolean,
  previousHash: string | undefined,
): string {
  if (Array.isArray(value) || typeof value !== 'object') return canonicalize(value);
  const keys = Object.keys(value).sort(byCodeUnits);
  const commandToken = typeof value.commandId === 'string' ? canonicalize(value.commandId) : undefined;
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = value[key];
    if (item === undefined || (key === 'hash' && hashInColumn)) continue;
    if (!first) out += ',';
    first = false;
    if (key === 'prevHash' && previousHash !== undefined && item === previousHash) {
      out += PREV_MARKER;
      continue;
    }
    let member: string;
    try {
      member = canonicalize(item);
    } catch (e) {
      CanonicalizationError.within(e, `.${key}`);
    }
    // The pair only when correlationId is the very next member and the token has no escapes (so a reader finds its
    // end at the next quote).
    if (
      key === 'commandId' &&
      commandToken !== undefined &&
      SIMPLE_TOKEN.test(commandToken) &&
      value.correlationId === value.commandId &&
      nextDefinedKey(value, keys, i) === 'correlationId'
    ) {
      out += COMMAND_PAIR + member;
      i = keys.indexOf('correlationId', i);
      continue;
    }
    out += (KEY_MARKER.get(key) ?? canonicalize(key) + ':') + member;
  }
  return out + '}';
}

function nextDefinedKey(value: Record<string, unknown>, keys: string[], i: number): string | undefined {
  for (let j = i + 1; j < keys.length; j++) {
    const key = keys[j];
    if (value[key] === undefined || key === 'hash') continue;
    return key;
  }
  return undefined;
}

/** A stored metadata text that is not in this format (edited by hand, cut short): it has no JSON reading. */
export class MalformedStoredMetadata extends Error {
  constructor(detail: string) {
    super(`stored metadata is not in the store's format: ${detail}`);
    this.name = 'MalformedStoredMetadata';
  }
}

/**
 * The canonical metadata text (without `hash`) back from its stored form, `prevHash` as given: the text the chain
 * hash covers, and what a reader parses. A text without markers comes back as it is. Throws
 * {@link MalformedStoredMetadata} when a command pair has no closing quote.
 */
export function expandMetadata(text: string, prevHash: string): string {
  let out = '';
  let from = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > LAST_KEY) continue;
    if (c >= FIRST_KEY) {
      out += text.slice(from, i) + EXPANSION[c - FIRST_KEY];
      from = i + 1;
    } else if (c === 1) {
      out += text.slice(from, i) + '"prevHash":"' + prevHash + '"';
      from = i + 1;
    } else if (c === 2) {
      const end = text.charCodeAt(i + 1) === 34 ? text.indexOf('"', i + 2) : -1;
      if (end < 0) throw new MalformedStoredMetadata('a command id without its closing quote');
      const token = text.slice(i + 1, end + 1);
      out += text.slice(from, i) + '"commandId":' + token + ',"correlationId":' + token;
      from = end + 1;
      i = end;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** True when the stored text leaves `prevHash` to be derived (the reader must find the previous event's hash). */
export const derivesPrevHash = (text: string): boolean => text.includes(PREV_MARKER);

/**
 * The metadata object a reader gets: the expanded text parsed (members in canonical order), `hash` last. The same
 * object as format 1 returned for the same event.
 */
export function metadataOf(text: string, hash: Uint8Array | string | null, prevHash: string): Record<string, unknown> {
  const metadata =
    readFlatMetadata(text, prevHash) ?? (JSON.parse(expandMetadata(text, prevHash)) as Record<string, unknown>);
  if (hash !== null) metadata.hash = hashOf(hash);
  return metadata;
}

/** True when `s[from, to)` can sit between JSON quotes as it is: no quote, no backslash, no control character. */
const isPlain = (s: string, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92 || c < 32) return false;
  }
  return true;
};

/**
 * The object `JSON.parse(expandMetadata(text, prevHash))` gives, read straight from the stored text, or undefined
 * when the text is anything but the flat shape every ledger event's metadata has: members that are markers or plain
 * keys, values that are strings without escapes, `null`, `true`, `false` or integers of at most 15 digits. Anything
 * else (a nested value, an escape, whitespace, a malformed text) is left to the JSON path, which decides: this only
 * ever answers where every piece it read is valid JSON, so its answer is the parse's, members in the same order.
 *
 * By hand because no parser reads format 2's marker bytes: expanding the text to canonical JSON and parsing that was
 * a sixth of a rebuild's main thread (a concatenated string flattened, then parsed; issue 16), this is a third of it.
 */
export function readFlatMetadata(text: string, prevHash: string): Record<string, unknown> | undefined {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 123 || text.charCodeAt(n - 1) !== 125) return undefined;
  const out: Record<string, unknown> = {};
  if (n === 2) return out;
  for (let i = 1; ;) {
    const c = text.charCodeAt(i);
    // The member's key when a value follows it (the two marker members carry theirs).
    let key: string | undefined;
    if (c >= FIRST_KEY && c <= LAST_KEY) {
      key = KEYS[c - FIRST_KEY];
      i++;
    } else if (c === 1) {
      if (!isPlain(prevHash, 0, prevHash.length)) return undefined;
      out.prevHash = prevHash;
      key = undefined;
      i++;
    } else if (c === 2) {
      // The command pair: a string token that ends at the next quote (expandMetadata reads it so).
      if (text.charCodeAt(i + 1) !== 34) return undefined;
      const end = text.indexOf('"', i + 2);
      if (end < 0 || !isPlain(text, i + 2, end)) return undefined;
      // Two statements: `a = b = v` would define correlationId first.
      const id = text.slice(i + 2, end);
      out.commandId = id;
      out.correlationId = id;
      key = undefined;
      i = end + 1;
    } else if (c === 34) {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || !isPlain(text, i + 1, end) || text.charCodeAt(end + 1) !== 58) return undefined;
      key = text.slice(i + 1, end);
      // JSON.parse defines `__proto__` as an own member; an assignment would set the prototype instead.
      if (key === '__proto__') return undefined;
      i = end + 2;
    } else return undefined;
    if (key !== undefined) {
      const v = text.charCodeAt(i);
      if (v === 34) {
        const end = text.indexOf('"', i + 1);
        if (end < 0 || !isPlain(text, i + 1, end)) return undefined;
        out[key] = text.slice(i + 1, end);
        i = end + 1;
      } else if (v === 110 && text.startsWith('null', i)) {
        out[key] = null;
        i += 4;
      } else if (v === 116 && text.startsWith('true', i)) {
        out[key] = true;
        i += 4;
      } else if (v === 102 && text.startsWith('false', i)) {
        out[key] = false;
        i += 5;
      } else {
        // An integer: -?(0|[1-9][0-9]*), exact in a double at 15 digits.
        const from = i;
        if (text.charCodeAt(i) === 45) i++;
        const first = text.charCodeAt(i);
        if (first === 48) i++;
        else if (first >= 49 && first <= 57) {
          i++;
          while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
        } else return undefined;
        if (i - from > 15) return undefined;
        out[key] = Number(text.slice(from, i));
      }
    }
    const next = text.charCodeAt(i);
    if (next === 44) i++;
    else return next === 125 && i === n - 1 ? out : undefined;
  }
}

/**
 * The `prevHash` a reader derives: the genesis hash at revision 0, else the hash of the stream's previous stored event
 * — `previous` is that row's hash column, or its metadata text when the column is NULL (a row another tool wrote with
 * the hash in the text: the chain's link is still that event's hash). Empty when there is none.
 */
export const derivedPrevHash = (revision: number, previous: Uint8Array | string | null | undefined): string => {
  if (revision === 0) return GENESIS_HASH;
  if (previous === null || previous === undefined) return '';
  if (typeof previous !== 'string') return hexOf(previous);
  if (isHashHex(previous)) return previous;
  try {
    const hash = (JSON.parse(expandMetadata(previous, '')) as { hash?: unknown } | null)?.hash;
    return typeof hash === 'string' ? hash : '';
  } catch {
    return '';
  }
};

/** An event as a format-2 row keeps it, its numbers resolved: what {@link storedEventHash} hashes. */
export interface StoredEvent {
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  /** The stored data text (canonical JSON, as written). */
  data: string;
  /** The stored metadata text (shortened canonical JSON without `hash`). */
  metadata: string;
  /** The hash column: 32 bytes, or NULL; or as hex (what a reader makes of it: hashOf). */
  hash: Uint8Array | string | null;
}

/**
 * The fast path of verification: the chain hash recomputed from an event's stored text without parsing it. The hashed
 * text is assembled from the stored `data` and the expanded stored `metadata` (`prevHash` put back as the
 * previous event's hash, which is what the chain link requires), exactly as eventHash writes it; when
 * `sha256(prevHash ‖ that text)` equals the hash column, the event is sound and that hash is returned (hex).
 * Otherwise (a text not as the writer writes it — a foreign or edited row — or a wrong link) undefined: the caller
 * parses and checks the event the slow way, which decides.
 *
 * Why a match proves what the slow path would. A match means (SHA-256 being collision resistant) that the assembled
 * text T = `prevHash ‖ {"data":D,"eventId":E,"metadata":H,"revision":R,"streamId":S,"type":Y}` (D the stored data,
 * H the expanded metadata, E, S, Y JSON string tokens of the columns, R the revision's digits) is the text that was
 * sealed, C = `p ‖ {"data":Dc,"eventId":Ec,"metadata":Mc,"revision":…}` with Dc, Mc canonical — and p = prevHash,
 * both prefixes being 64 hex digits. What is left to rule out is the same bytes cut at other places (another event
 * id, data and metadata that are not the sealed ones: parallel-verify.spec.ts builds one). The cuts are where the
 * separators are: if D ended before Dc does, C's own `,"eventId":` after Dc would lie inside H (it cannot lie in a
 * JSON string token, whose quotes are escaped, nor in the fixed separators and digits after H, and that sequence
 * cannot overlap itself); if D ended after, it would lie inside D. Neither holds, since the text is declined when D
 * or H contains `,"eventId":` — so D = Dc, then E = Ec (a string token ends at its first unescaped quote). Likewise
 * C's top-level `,"revision":` lies inside H unless H = Mc, and the text is declined when H contains `,"revision":`;
 * the digits, S and Y follow. So the bytes a reader parses (D, and H: a reader expands the same text with the same
 * previous hash) are the bytes that were hashed, and the slow path would recompute the same hash and accept the event
 * too. Data that holds an `eventId` member after its first, or metadata that holds `eventId` or `revision` members,
 * just takes the slow path.
 */
export function storedEventHash(prevHash: string, e: StoredEvent): string | undefined {
  const { data, metadata, hash } = e;
  // The hash column as hex: its 32 bytes, or the hex a reader (hashOf) would make of them.
  const stored = typeof hash === 'string' ? hash : hash instanceof Uint8Array && hash.length === 32 ? hexOf(hash) : '';
  if (stored.length !== 64 || typeof data !== 'string' || typeof metadata !== 'string') return undefined;
  if (typeof e.eventId !== 'string' || typeof e.streamId !== 'string' || typeof e.type !== 'string') return undefined;
  if (!Number.isSafeInteger(e.revision)) return undefined;
  // JSON.stringify, not canonicalize, for the three strings: where they differ (a lone surrogate) the text cannot
  // match a sealed canonical text, and the slow path decides.
  return storedTextHash(
    prevHash,
    data,
    JSON.stringify(e.eventId),
    metadata,
    e.revision,
    ',"streamId":' + JSON.stringify(e.streamId) + ',"type":' + JSON.stringify(e.type) + '}',
    stored,
  );
}

/**
 * {@link storedEventHash} from the pieces of its text, for a walk that has them at hand (the verify worker: the id's
 * token from the bytes SQLite spelled out, `back` made once per stream and type): the same text, the same checks,
 * so the same proof. `eventIdToken` is the event id's JSON string token, `back` is `,"streamId":S,"type":Y}` (S, Y
 * the tokens of the names), `stored` the hash column as hex. The event's hash when
 * `sha256(prevHash ‖ {"data":data,"eventId":token,"metadata":expand(metadata),"revision":R ‖ back)` is `stored`,
 * else undefined.
 */
export function storedTextHash(
  prevHash: string,
  data: string,
  eventIdToken: string,
  metadata: string,
  revision: number,
  back: string,
  stored: string,
): string | undefined {
  const text = storedHashedText(prevHash, data, eventIdToken, metadata, revision, back);
  if (text === undefined) return undefined;
  // The digest (equal to `stored`), not `stored`: a caller's slice of a longer string would keep that string alive.
  const digest = sha256Hex(text);
  return digest === stored ? digest : undefined;
}

/**
 * The text {@link storedTextHash} hashes, `prevHash ‖ {"data":data,"eventId":token,"metadata":expand(metadata),
 * "revision":R ‖ back`, or undefined where its cut points would be ambiguous (declined: the slow path decides): for a
 * caller that hashes many such texts in one call (the verify worker, a page at a time).
 */
export function storedHashedText(
  prevHash: string,
  data: string,
  eventIdToken: string,
  metadata: string,
  revision: number,
  back: string,
): string | undefined {
  let head: string;
  try {
    head = expandMetadata(metadata, prevHash);
  } catch {
    return undefined;
  }
  // The cut points must be unambiguous (see above): declined, not refused — the slow path decides.
  if (data.includes(',"eventId":') || head.includes(',"eventId":') || head.includes(',"revision":')) return undefined;
  return (
    prevHash +
    '{"data":' +
    data +
    ',"eventId":' +
    eventIdToken +
    ',"metadata":' +
    head +
    ',"revision":' +
    String(revision) +
    back
  );
}
