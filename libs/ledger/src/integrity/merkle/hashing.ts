/**
 * RFC 9162 §2.1 hashing: leaf `sha256(0x00 ‖ hash)`, node `sha256(0x01 ‖ left ‖ right)`, the empty root. Hashes in
 * the API are lowercase hex strings; the helpers below work on 32-byte Buffers for speed.
 */
import { isHashHex, sha256Bytes, sha256Hex } from '../event-hash';

export const HASH_BYTES = 32;

/** Root of the empty tree: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_ROOT = sha256Hex(Buffer.alloc(0));

// Scratch buffers for the prefixed inputs: hashing is synchronous, so one of each is enough.
const leafInput = Buffer.alloc(1 + HASH_BYTES);
leafInput[0] = 0x00;
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;

export function hashLeafBytes(eventHash: Buffer): Buffer {
  eventHash.copy(leafInput, 1, 0, HASH_BYTES);
  return sha256Bytes(leafInput);
}

export function hashChildren(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeInput, 1, 0, HASH_BYTES);
  right.copy(nodeInput, 1 + HASH_BYTES, 0, HASH_BYTES);
  return sha256Bytes(nodeInput);
}

export function hexToHash(hex: string, what: string): Buffer {
  if (!isHashHex(hex)) throw new TypeError(`${what} must be 64 lowercase hex characters`);
  return Buffer.from(hex, 'hex');
}

/** RFC 9162 leaf hash of an event: `sha256(0x00 ‖ eventHashBytes)`, hex. */
export function leafHash(eventHashHex: string): string {
  return hashLeafBytes(hexToHash(eventHashHex, 'event hash')).toString('hex');
}

/** The same leaf hash as 32 bytes (what a leaf store keeps), without a round trip through hex. */
export function leafHashBytes(eventHashHex: string): Buffer {
  return hashLeafBytes(hexToHash(eventHashHex, 'event hash'));
}

/** RFC 9162 interior node hash: `sha256(0x01 ‖ left ‖ right)`, hex. */
export function nodeHash(leftHex: string, rightHex: string): string {
  return hashChildren(hexToHash(leftHex, 'left'), hexToHash(rightHex, 'right')).toString('hex');
}

/** Throws a RangeError unless `count` leaf hashes (32 bytes each, end to end) fit in `leaves`. */
export function checkLeafBytes(leaves: Uint8Array, count: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || count * HASH_BYTES > leaves.length)
    throw new RangeError(`${count} leaf hashes are not in ${leaves.length} bytes`);
}

export function checkSize(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

export const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
