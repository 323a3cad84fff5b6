/**
 * Hashing primitives shared by the hash chain, the Merkle log and the verifier (kept apart so that those
 * modules do not import each other in a cycle).
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import { CanonicalizationError, canonicalize, canonicalizeWithout } from './canonical-json';

/** `prevHash` of the first event of every stream: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a lowercase hex SHA-256 digest (64 characters). */
export const isHashHex = (value: unknown): value is string => typeof value === 'string' && HEX64.test(value);

// crypto.hash (Node >= 20.12) skips the Hash object; for the small inputs hashed here it is several times faster.
// Its 'buffer' output is slow on Node 20, so digests come back as 'binary' (latin1) strings and are turned into Buffers here.
const hasOneShot = typeof oneShotHash === 'function';
// crypto.hash takes every Buffer encoding; @types/node lists only 'binary' of the two names for latin1.
const LATIN1 = 'latin1' as 'binary';

/** Lowercase hex SHA-256 of a string (UTF-8) or bytes. */
export const sha256Hex: (input: string | Buffer) => string = hasOneShot
  ? (input) => oneShotHash('sha256', input, 'hex')
  : (input) => createHash('sha256').update(input).digest('hex');

/** SHA-256 of bytes, as a 32-byte Buffer. */
export const sha256Bytes: (input: Buffer) => Buffer = hasOneShot
  ? (input) => Buffer.from(oneShotHash('sha256', input, LATIN1), 'latin1')
  : (input) => createHash('sha256').update(input).digest();

/** Buffer's latin1Write: on every Node Buffer (what write(…, 'latin1') calls), not in @types/node. */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number, length: number): number };

/**
 * SHA-256 of a string (UTF-8) or bytes, written as 32 bytes into `out` at `offset`: no Buffer is allocated per hash,
 * which is what tree code hashing tens of thousands of nodes per root needs (the digest comes back as a latin1
 * string and is copied in place).
 */
export const sha256Into: (input: string | Buffer, out: Buffer, offset: number) => void = hasOneShot
  ? (input, out, offset) => {
      // 'latin1' (not its alias 'binary', which crypto.hash normalizes per call) and Buffer's own latin1Write (not
      // write(), which looks the encoding up per call): ~10% off each of the tree's hashes, measured.
      (out as Latin1Writable).latin1Write(oneShotHash('sha256', input, LATIN1), offset, 32);
    }
  : (input, out, offset) => {
      createHash('sha256').update(input).digest().copy(out, offset);
    };

/** The fields of an event that its hash covers. Positions are the store's and are not hashed. */
export interface HashedFields {
  streamId: string;
  revision: number;
  eventId: string;
  type: string;
  data: unknown;
  /** The event's metadata including `prevHash`; a `hash` member, if present, is ignored. */
  metadata: Record<string, unknown>;
}

/**
 * The chain hash of one event: lowercase hex `sha256(UTF-8(prevHash ‖ canonicalize({streamId, revision, eventId,
 * type, data, metadata})))`, where `metadata` includes `prevHash` and excludes `hash` (see docs/integrity.md).
 * Throws a CanonicalizationError when the event holds something that is not plain JSON data.
 */
export function eventHash(prevHash: string, fields: HashedFields): string {
  return hashOfTexts(prevHash, fields, dataTextOf(fields.data), metadataTextOf(fields.metadata));
}

/**
 * {@link eventHash} for an event being sealed now: the canonical text of its `data` is remembered beside the object,
 * so the store's {@link storedDataText} writes it without canonicalizing the data a second time. (The SQLite store's
 * format 2 encodes metadata its own way, so the metadata's text is not kept: nothing would take it.)
 */
export function sealedEventHash(prevHash: string, fields: HashedFields): string {
  const dataText = dataTextOf(fields.data);
  const metadataText = metadataTextOf(fields.metadata);
  const hash = hashOfTexts(prevHash, fields, dataText, metadataText);
  if (dataText !== undefined && typeof fields.data === 'object' && fields.data !== null)
    rememberText(fields.data, dataText);
  return hash;
}

/**
 * The canonical text of the data `sealedEventHash` hashed lately, by identity.
 * Sealed data is not mutated afterwards (sealEvents' contract), so the text stays the object's. Two generations of
 * a bounded Map rather than a WeakMap (an entry costs ~1 µs of the collector's time per event, more than the
 * canonicalization it saves) or an LRU (deleting a Map's oldest keys one by one leaves holes its iterator walks):
 * the store writes an event right after it is sealed, so the last few thousand are what it asks for, and an entry is
 * dropped when the store takes its text (nothing is kept alive longer than the sealed event waiting for its append).
 */
const SEALED_TEXTS_KEPT = 8_192;
let sealedTexts = new Map<object, string>();
let olderTexts = new Map<object, string>();

const rememberText = (value: object, text: string): void => {
  if (sealedTexts.size >= SEALED_TEXTS_KEPT) {
    olderTexts = sealedTexts;
    sealedTexts = new Map();
  }
  sealedTexts.set(value, text);
};

/** The text remembered for `value`, forgotten as it is handed out: the store asks once per event it writes. */
const takeText = (value: object): string | undefined => {
  const text = sealedTexts.get(value);
  if (text !== undefined) {
    sealedTexts.delete(value);
    return text;
  }
  const older = olderTexts.get(value);
  if (older !== undefined) olderTexts.delete(value);
  return older;
};

const dataTextOf = (data: unknown): string | undefined => {
  if (data === undefined) return undefined;
  try {
    return canonicalize(data);
  } catch (e) {
    CanonicalizationError.within(e, '.data');
  }
};

const metadataTextOf = (metadata: Record<string, unknown> | undefined): string | undefined => {
  if (metadata === undefined) return undefined;
  try {
    return canonicalizeWithout(metadata, 'hash');
  } catch (e) {
    CanonicalizationError.within(e, '.metadata');
  }
};

function hashOfTexts(
  prevHash: string,
  fields: HashedFields,
  dataText: string | undefined,
  metadataText: string | undefined,
): string {
  // Members in RFC 8785 order (data < eventId < metadata < revision < streamId < type), written out by hand so
  // that no wrapper object is built and metadata's `hash` is skipped without copying; the spec test holds this
  // to the literal definition above.
  // An undefined member is omitted, exactly as canonicalize (and a JSON round trip) would omit it.
  let body = '{';
  if (dataText !== undefined) body += '"data":' + dataText + ',';
  body += '"eventId":' + canonicalize(fields.eventId);
  if (metadataText !== undefined) body += ',"metadata":' + metadataText;
  body += ',"revision":' + canonicalize(fields.revision);
  body += ',"streamId":' + canonicalize(fields.streamId);
  body += ',"type":' + canonicalize(fields.type) + '}';
  // prevHash is ASCII, so the UTF-8 encoding of the concatenation is prevHash's 64 octets followed by the
  // canonical JSON's UTF-8 octets: one string, one encode, one hash.
  return sha256Hex(prevHash + body);
}

/**
 * The text a store keeps for an event's `data`: its canonical JSON (RFC 8785), the very text its hash covers, so that
 * `verify` can hash the stored text without parsing it (store/sqlite.row-codec.ts storedEventHash). Data with no canonical form (which
 * a sealed event cannot hold) is kept as JSON.stringify writes it, as before.
 */
export function storedDataText(data: unknown): string {
  if (typeof data === 'object' && data !== null) {
    const sealed = takeText(data);
    if (sealed !== undefined) return sealed;
  }
  try {
    return canonicalize(data ?? null);
  } catch {
    return JSON.stringify(data ?? null);
  }
}
