/**
 * SHA-256 of many small inputs per call: the hashing of the stream-heads tree (contract §4.1), which rehashes tens of
 * thousands of 65-byte RFC 9162 nodes and ~150-byte leaves at every checkpoint.
 *
 * Two implementations with one contract (the spec holds them to each other and to node:crypto byte for byte):
 * - `native`: the workspace addon `@custody-ledger/sha256-batch` (packages/sha256-batch), built by `npm ci` with
 *   node-gyp like better-sqlite3; it calls the OpenSSL inside Node for a whole level or a whole chunk of leaves per
 *   call (~140 ns a node against ~400 ns a `crypto.hash` call, whose cost is its per-call set-up, not the hashing);
 * - `node:crypto`: the same loops in JavaScript over the one-shot `crypto.hash`, used when the addon is not built
 *   (a machine without a compiler, a bundler that drops .node files) or when a caller asks for it.
 * Which one a process uses changes only the speed, never a byte of a root or a proof.
 */
import { sha256Into } from './event-hash';

/** SHA-256 of many inputs per call (see {@link nativeSha256Batch} and {@link nodeCryptoSha256Batch}). */
export interface Sha256Batch {
  /** `native` (the addon) or `node:crypto`. */
  readonly name: 'native' | 'node:crypto';
  /**
   * RFC 9162 interior nodes of one level: node j = SHA-256(0x01 ‖ below[64j, 64j + 64)) into out[32j, 32j + 32).
   * Nodes j < keep are hashed only when `marks[2j]` or `marks[2j + 1]` is set, and `marks[j]` becomes whether node j
   * was (one marks array serves every level, rewritten in place); every node from keep to count is hashed. Returns
   * how many nodes were hashed.
   */
  level(below: Buffer, out: Buffer, marks: Uint8Array, keep: number, count: number): number;
  /**
   * SHA-256 of `count` ranges of `input` (range i is input[ranges[2i], ranges[2i + 1])), range i's digest written to
   * out[offsets[i], offsets[i] + 32).
   */
  many(input: Buffer, ranges: Int32Array, count: number, out: Buffer, offsets: Int32Array): void;
}

/**
 * The JavaScript implementation over `crypto.hash`. A node's two children are copied into one reused input as 16
 * 32-bit words (several times cheaper for 64 bytes than a Buffer.copy call), which needs `below` 4-byte aligned:
 * a Buffer of its own ArrayBuffer, as the tree's levels are.
 */
const nodeCrypto = (): Sha256Batch => {
  // 0x01 ‖ left ‖ right at byte 3 of its memory, so that the children start 4-byte aligned.
  const memory = new ArrayBuffer(4 + 64);
  const input = Buffer.from(memory, 3, 65).fill(0x01, 0, 1);
  const words = new Uint32Array(memory, 4, 16);
  const hashNode = (belowWords: Uint32Array, j: number, out: Buffer): void => {
    for (let w = 0, b = 16 * j; w < 16; w++) words[w] = belowWords[b + w];
    sha256Into(input, out, 32 * j);
  };
  return {
    name: 'node:crypto',
    level(below, out, marks, keep, count) {
      if (below.byteOffset % 4 !== 0) throw new RangeError('level: below must start 4-byte aligned');
      checkLevel(below, out, marks, keep, count);
      const belowWords = new Uint32Array(below.buffer, below.byteOffset, Math.floor(below.length / 4));
      let hashed = 0;
      for (let j = 0; j < keep; j++) {
        if ((marks[2 * j] | marks[2 * j + 1]) === 0) {
          marks[j] = 0;
          continue;
        }
        marks[j] = 1;
        hashNode(belowWords, j, out);
        hashed++;
      }
      for (let j = keep; j < count; j++) hashNode(belowWords, j, out);
      return hashed + (count - keep);
    },
    many(input, ranges, count, out, offsets) {
      checkMany(input, ranges, count, out, offsets);
      for (let i = 0; i < count; i++) sha256Into(input.subarray(ranges[2 * i], ranges[2 * i + 1]), out, offsets[i]);
    },
  };
};

/** The addon's own checks, so that both implementations refuse the same calls before writing anything. */
const checkLevel = (below: Buffer, out: Buffer, marks: Uint8Array, keep: number, count: number): void => {
  if (!Number.isInteger(keep) || !Number.isInteger(count) || keep < 0 || keep > count)
    throw new RangeError('level: keep or count out of the arrays’ range');
  if (count * 64 > below.length || count * 32 > out.length || keep * 2 > marks.length)
    throw new RangeError('level: keep or count out of the arrays’ range');
};

const checkMany = (input: Buffer, ranges: Int32Array, count: number, out: Buffer, offsets: Int32Array): void => {
  if (!Number.isInteger(count) || count < 0 || 2 * count > ranges.length || count > offsets.length)
    throw new RangeError('many: count beyond ranges or offsets');
  for (let i = 0; i < count; i++) {
    const from = ranges[2 * i];
    const to = ranges[2 * i + 1];
    if (from < 0 || to < from || to > input.length || offsets[i] < 0 || offsets[i] + 32 > out.length)
      throw new RangeError('many: a range or an offset out of bounds');
  }
};

/** The node:crypto implementation (always available). */
export const nodeCryptoSha256Batch: Sha256Batch = nodeCrypto();

interface Addon {
  level(below: Uint8Array, out: Uint8Array, marks: Uint8Array, keep: number, count: number): number;
  many(input: Uint8Array, ranges: Int32Array, count: number, out: Uint8Array, offsets: Int32Array): void;
}

const loadAddon = (): Addon | undefined => {
  try {
    // A runtime require (not an import): the addon is optional, and an import of a missing build would fail the
    // whole library's load instead of falling back.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@custody-ledger/sha256-batch') as Addon;
  } catch {
    return undefined;
  }
};

const addon = loadAddon();

/**
 * One of the addon's functions by name, or undefined when the addon is not built or its build has no such function
 * (a build from before it had one): for the ledger's other native paths (row-walk.ts), which fall back likewise.
 */
export const addonFunction = <F>(name: string): F | undefined => {
  const f = (addon as unknown as Record<string, unknown> | undefined)?.[name];
  return typeof f === 'function' ? (f as F) : undefined;
};

/** The addon's implementation, or undefined when it is not built or cannot be loaded here. */
export const nativeSha256Batch: Sha256Batch | undefined = addon && {
  name: 'native',
  level: (below, out, marks, keep, count) => addon.level(below, out, marks, keep, count),
  many: (input, ranges, count, out, offsets) => addon.many(input, ranges, count, out, offsets),
};

/** What the ledger uses unless told otherwise: the addon when it loads, else node:crypto. */
export const defaultSha256Batch: Sha256Batch = nativeSha256Batch ?? nodeCryptoSha256Batch;
