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

/** Lowercase hex SHA-256 of a string (UTF-8) or bytes. */
export const sha256Hex: (input: string | Buffer) => string = hasOneShot
  ? (input) => oneShotHash('sha256', input, 'hex')
  : (input) => createHash('sha256').update(input).digest('hex');

/** SHA-256 of bytes, as a 32-byte Buffer. */
export const sha256Bytes: (input: Buffer) => Buffer = hasOneShot
  ? (input) => Buffer.from(oneShotHash('sha256', input, 'binary'), 'latin1')
  : (input) => createHash('sha256').update(input).digest();

/**
 * SHA-256 of a string (UTF-8) or bytes, written as 32 bytes into `out` at `offset`: no Buffer is allocated per hash,
 * which is what tree code hashing tens of thousands of nodes per root needs (the digest comes back as a latin1
 * string and is copied in place).
 */
export const sha256Into: (input: string | Buffer, out: Buffer, offset: number) => void = hasOneShot
  ? (input, out, offset) => {
      out.write(oneShotHash('sha256', input, 'binary'), offset, 32, 'latin1');
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
  // Members in RFC 8785 order (data < eventId < metadata < revision < streamId < type), written out by hand so
  // that no wrapper object is built and metadata's `hash` is skipped without copying; the spec test holds this
  // to the literal definition above.
  // An undefined member is omitted, exactly as canonicalize (and a JSON round trip) would omit it.
  let body = '{';
  if (fields.data !== undefined) {
    try {
      body += '"data":' + canonicalize(fields.data) + ',';
    } catch (e) {
      CanonicalizationError.within(e, '.data');
    }
  }
  body += '"eventId":' + canonicalize(fields.eventId);
  if (fields.metadata !== undefined) {
    try {
      body += ',"metadata":' + canonicalizeWithout(fields.metadata, 'hash');
    } catch (e) {
      CanonicalizationError.within(e, '.metadata');
    }
  }
  body += ',"revision":' + canonicalize(fields.revision);
  body += ',"streamId":' + canonicalize(fields.streamId);
  body += ',"type":' + canonicalize(fields.type) + '}';
  // prevHash is ASCII, so the UTF-8 encoding of the concatenation is prevHash's 64 octets followed by the
  // canonical JSON's UTF-8 octets: one string, one encode, one hash.
  return sha256Hex(prevHash + body);
}
