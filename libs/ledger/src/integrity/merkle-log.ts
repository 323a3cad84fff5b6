/**
 * The global Merkle log (RFC 9162 §2.1) over the events' chain hashes in global order. Leaf i is
 * `sha256(0x00 ‖ hash_i)` where `hash_i` is the 32 raw bytes of the i-th event's `metadata.hash`; an interior node
 * is `sha256(0x01 ‖ left ‖ right)`. Hashes in the API are lowercase hex strings.
 */
import { isHashHex, sha256Bytes, sha256Hex } from './event-hash';

const HASH_BYTES = 32;

/** Root of the empty tree: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_ROOT = sha256Hex(Buffer.alloc(0));

// Scratch buffers for the prefixed inputs: hashing is synchronous, so one of each is enough.
const leafInput = Buffer.alloc(1 + HASH_BYTES);
leafInput[0] = 0x00;
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;

function hashLeafBytes(eventHash: Buffer): Buffer {
  eventHash.copy(leafInput, 1, 0, HASH_BYTES);
  return sha256Bytes(leafInput);
}

/** @internal sha256(0x01 ‖ left ‖ right) of two 32-byte hashes (shared with the stream-heads tree). */
export function hashChildren(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeInput, 1, 0, HASH_BYTES);
  right.copy(nodeInput, 1 + HASH_BYTES, 0, HASH_BYTES);
  return sha256Bytes(nodeInput);
}

function hexToHash(hex: string, what: string): Buffer {
  if (!isHashHex(hex)) throw new TypeError(`${what} must be 64 lowercase hex characters`);
  return Buffer.from(hex, 'hex');
}

/** RFC 9162 leaf hash of an event: `sha256(0x00 ‖ eventHashBytes)`, hex. */
export function leafHash(eventHashHex: string): string {
  return hashLeafBytes(hexToHash(eventHashHex, 'event hash')).toString('hex');
}

/** RFC 9162 interior node hash: `sha256(0x01 ‖ left ‖ right)`, hex. */
export function nodeHash(leftHex: string, rightHex: string): string {
  return hashChildren(hexToHash(leftHex, 'left'), hexToHash(rightHex, 'right')).toString('hex');
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * Hash of the perfect subtree of `size` leaves (a power of two) starting at leaf `start` (a multiple of `size`).
 * Every subtree the RFC 9162 recursion visits on a prefix of the log has this shape.
 */
export type PerfectSubtree = (start: number, size: number) => Buffer;

/** MTH(D[start:end]) for end > start, from perfect pieces (largest first), folded right to left. */
export function rangeHash(subtree: PerfectSubtree, start: number, end: number): Buffer {
  const pieces: Buffer[] = [];
  let n = end - start;
  while (!isPowerOfTwo(n)) {
    const k = splitPoint(n);
    pieces.push(subtree(start, k));
    start += k;
    n -= k;
  }
  let acc = subtree(start, n);
  for (let i = pieces.length - 1; i >= 0; i--) acc = hashChildren(pieces[i], acc);
  return acc;
}

/** PATH(m, D[0:n]) of RFC 9162 §2.1.3.1, iteratively: siblings collected top-down, returned bottom-up. */
export function auditPath(subtree: PerfectSubtree, m: number, n: number): Buffer[] {
  const siblings: Buffer[] = [];
  let start = 0;
  let end = n;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      siblings.push(rangeHash(subtree, start + k, end));
      end = start + k;
    } else {
      siblings.push(subtree(start, k));
      m -= k;
      start += k;
    }
  }
  return siblings.reverse();
}

/** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) of RFC 9162 §2.1.4.1, iteratively. */
function consistencyPath(subtree: PerfectSubtree, m: number, n: number): Buffer[] {
  const siblings: Buffer[] = [];
  let start = 0;
  let end = n;
  let complete = true; // the RFC's b: the subtree so far is the old tree itself, whose root the verifier has
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      siblings.push(rangeHash(subtree, start + k, end));
      end = start + k;
    } else {
      siblings.push(subtree(start, k));
      m -= k;
      start += k;
      complete = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}; this subtree is perfect (it lies wholly inside the old tree).
  const proof = complete ? [] : [rangeHash(subtree, start, end)];
  for (let i = siblings.length - 1; i >= 0; i--) proof.push(siblings[i]);
  return proof;
}

function checkSize(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** A perfect-subtree function over an in-memory array of leaf hashes (no caching: for the pure functions). */
function arraySubtree(leaves: readonly Buffer[]): PerfectSubtree {
  const walk: PerfectSubtree = (start, size) =>
    size === 1 ? leaves[start] : hashChildren(walk(start, size / 2), walk(start + size / 2, size / 2));
  return walk;
}

const toLeafBuffers = (leafHashes: readonly string[], n: number): Buffer[] => {
  const out: Buffer[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = hexToHash(leafHashes[i], `leaf ${i}`);
  return out;
};

/** MTH of the first `n` leaf hashes (default: all of them), hex. `n = 0` gives {@link EMPTY_ROOT}. */
export function merkleRoot(leafHashes: readonly string[], n: number = leafHashes.length): string {
  checkSize('n', n, 0, leafHashes.length);
  if (n === 0) return EMPTY_ROOT;
  return rangeHash(arraySubtree(toLeafBuffers(leafHashes, n)), 0, n).toString('hex');
}

/** RFC 9162 §2.1.3.1 inclusion proof (audit path) of leaf `index` in the tree of the first `treeSize` leaves. */
export function inclusionProof(index: number, treeSize: number, leafHashes: readonly string[]): string[] {
  checkSize('treeSize', treeSize, 1, leafHashes.length);
  checkSize('index', index, 0, treeSize - 1);
  return auditPath(arraySubtree(toLeafBuffers(leafHashes, treeSize)), index, treeSize).map((b) => b.toString('hex'));
}

/** RFC 9162 §2.1.4.1 consistency proof between the trees of the first `oldSize` and `newSize` leaves. */
export function consistencyProof(oldSize: number, newSize: number, leafHashes: readonly string[]): string[] {
  checkSize('newSize', newSize, 0, leafHashes.length);
  checkSize('oldSize', oldSize, 0, newSize);
  // Every tree extends the empty one and itself: nothing to prove (RFC 9162 defines PROOF only for 0 < m < n).
  if (oldSize === 0 || oldSize === newSize) return [];
  return consistencyPath(arraySubtree(toLeafBuffers(leafHashes, newSize)), oldSize, newSize).map((b) =>
    b.toString('hex'),
  );
}

const lsb = (x: number): boolean => x % 2 === 1;

function decodeAll(hexes: readonly string[]): Buffer[] | undefined {
  const out: Buffer[] = [];
  for (const h of hexes) {
    if (!isHashHex(h)) return undefined;
    out.push(Buffer.from(h, 'hex'));
  }
  return out;
}

/**
 * RFC 9162 §2.1.3.2: true when `proof` shows that `leafHashHex` (a leaf hash, not an event hash) is leaf `index`
 * of the tree of `treeSize` leaves whose root is `rootHashHex`. Never throws on malformed input; returns false.
 */
export function verifyInclusion(
  leafHashHex: string,
  index: number,
  treeSize: number,
  proof: readonly string[],
  rootHashHex: string,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  if (!isHashHex(leafHashHex) || !isHashHex(rootHashHex)) return false;
  const path = decodeAll(proof);
  if (!path) return false;
  // Floats, not 32-bit ints: shifting with >> would break for trees above 2^31 leaves.
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHashHex, 'hex');
  for (const p of path) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString('hex') === rootHashHex;
}

/**
 * RFC 9162 §2.1.4.2: true when `proof` shows that the tree of `newSize` leaves with root `newRootHex` extends the
 * tree of `oldSize` leaves with root `oldRootHex` (appends only: nothing in the old tree was changed, removed or
 * reordered). Equal sizes need an empty proof and equal roots. Never throws on malformed input; returns false.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRootHex: string,
  newRootHex: string,
  proof: readonly string[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize)
    return false;
  if (!isHashHex(oldRootHex) || !isHashHex(newRootHex)) return false;
  if (oldSize === 0) return proof.length === 0 && oldRootHex === EMPTY_ROOT;
  if (oldSize === newSize) return proof.length === 0 && oldRootHex === newRootHex;
  const decoded = decodeAll(proof);
  if (!decoded || decoded.length === 0) return false;
  // Step 2: when the old tree is a perfect (power-of-two) tree, its root is the first node of the path.
  const path = isPowerOfTwo(oldSize) ? [Buffer.from(oldRootHex, 'hex'), ...decoded] : decoded;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (lsb(fn)) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = path[0];
  let sr: Buffer = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.toString('hex') === oldRootHex && sr.toString('hex') === newRootHex;
}

/**
 * Where a {@link MerkleLog} keeps its leaf hashes (32-byte Buffers, in leaf order). In memory by default; a
 * read model can persist them (e.g. a SQLite table) so the log survives restarts without a full replay.
 */
export interface LeafStore {
  size(): number;
  /** The leaf hash at `index` (0 <= index < size()). The log does not keep or mutate the returned Buffer. */
  get(index: number): Buffer;
  append(leaf: Buffer): void;
}

const CHUNK_ENTRIES = 8192; // 256 KiB chunks: no big copies when growing, no per-entry Buffer objects

/** A growable array of 32-byte hashes stored in fixed-size chunks. */
class HashArray {
  private readonly chunks: Buffer[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  get(index: number): Buffer {
    const chunk = this.chunks[Math.floor(index / CHUNK_ENTRIES)];
    const offset = (index % CHUNK_ENTRIES) * HASH_BYTES;
    return chunk.subarray(offset, offset + HASH_BYTES);
  }

  push(hash: Buffer): void {
    const slot = this.count % CHUNK_ENTRIES;
    if (slot === 0) this.chunks.push(Buffer.allocUnsafe(CHUNK_ENTRIES * HASH_BYTES));
    hash.copy(this.chunks[this.chunks.length - 1], slot * HASH_BYTES, 0, HASH_BYTES);
    this.count += 1;
  }
}

/** The default {@link LeafStore}: leaves in memory (32 bytes each, chunked). */
export class MemoryLeafStore implements LeafStore {
  private readonly leaves = new HashArray();

  size(): number {
    return this.leaves.length;
  }

  get(index: number): Buffer {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.leaves.length) {
      throw new RangeError(`leaf ${index} out of range [0, ${this.leaves.length})`);
    }
    return this.leaves.get(index);
  }

  append(leaf: Buffer): void {
    if (leaf.length !== HASH_BYTES) throw new TypeError(`a leaf hash is ${HASH_BYTES} bytes, got ${leaf.length}`);
    this.leaves.push(leaf);
  }
}

/**
 * The right edge of a growing tree (RFC 9162 "compact range"): one perfect subtree root per set bit of the size,
 * so appending and computing the current root are O(log n) and need no access to earlier leaves. Used by the
 * verifier to recompute the root while it streams the log.
 */
export class MerkleFrontier {
  // frontier[level] is the root of the perfect 2^level-leaf subtree at the right edge, when bit `level` of size is set.
  private readonly frontier: (Buffer | undefined)[] = [];
  private count = 0;
  private cachedRoot: string | undefined = EMPTY_ROOT;

  /**
   * @param onNode called with each completed perfect subtree (level >= 1, index among that level's nodes).
   */
  constructor(private readonly onNode?: (level: number, index: number, hash: Buffer) => void) {}

  get size(): number {
    return this.count;
  }

  /** Appends an event hash (hex) as the next leaf. */
  appendEventHash(eventHashHex: string): Buffer {
    const leaf = hashLeafBytes(hexToHash(eventHashHex, 'event hash'));
    this.appendLeaf(leaf);
    return leaf;
  }

  /** Appends a leaf hash (32 bytes). */
  appendLeaf(leaf: Buffer): void {
    let carry = leaf;
    let level = 0;
    let n = this.count;
    // Binary-counter carry: each set low bit is a finished left sibling that now merges with the new right side.
    while (n % 2 === 1) {
      carry = hashChildren(this.frontier[level] as Buffer, carry);
      this.frontier[level] = undefined;
      level += 1;
      n = Math.floor(n / 2);
      this.onNode?.(level, Math.floor((this.count + 1) / 2 ** level) - 1, carry);
    }
    this.frontier[level] = carry;
    this.count += 1;
    this.cachedRoot = undefined;
  }

  /** Root of the whole tree so far, hex ({@link EMPTY_ROOT} when empty). */
  root(): string {
    if (this.cachedRoot === undefined) {
      let acc: Buffer | undefined;
      // Lower levels are further right: fold them first, each higher subtree becomes the left child.
      for (const node of this.frontier) {
        if (node) acc = acc ? hashChildren(node, acc) : node;
      }
      this.cachedRoot = acc ? acc.toString('hex') : EMPTY_ROOT;
    }
    return this.cachedRoot;
  }
}

export interface MerkleLogOptions {
  /**
   * Perfect subtrees of 2^level leaves are cached from this level up (default 4: 1/8 of a hash per leaf, i.e. about
   * 4 bytes of memory per leaf); smaller ones are recomputed from the leaf store when a proof needs them
   * (at most 2^level - 1 hashes each).
   */
  cacheFromLevel?: number;
}

/**
 * A growing RFC 9162 Merkle log over event hashes in global order: O(log n) append and current root, cached
 * subtree hashes for fast proofs at any earlier size. Construct it over a persisted {@link LeafStore} to resume:
 * the cache and the frontier are rebuilt from the stored leaves (one pass, about 1 µs per leaf).
 */
export class MerkleLog {
  private readonly frontier: MerkleFrontier;
  private readonly cache: HashArray[] = []; // cache[level] for level >= cacheFromLevel
  private readonly cacheFromLevel: number;

  constructor(
    private readonly leaves: LeafStore = new MemoryLeafStore(),
    options: MerkleLogOptions = {},
  ) {
    this.cacheFromLevel = Math.max(1, options.cacheFromLevel ?? 4);
    this.frontier = new MerkleFrontier((level, index, hash) => {
      if (level < this.cacheFromLevel) return;
      const nodes = (this.cache[level] ??= new HashArray());
      // Nodes complete in order along each level, so the index is always the next slot.
      if (nodes.length !== index) throw new Error(`merkle cache out of step at level ${level}`);
      nodes.push(hash);
    });
    const stored = leaves.size();
    for (let i = 0; i < stored; i++) this.frontier.appendLeaf(leaves.get(i));
  }

  /** Number of leaves. */
  get size(): number {
    return this.frontier.size;
  }

  /** Appends an event's chain hash (hex) as the next leaf and returns its leaf index. */
  append(eventHashHex: string): number {
    const index = this.frontier.size;
    const leaf = hashLeafBytes(hexToHash(eventHashHex, 'event hash'));
    this.leaves.append(leaf);
    this.frontier.appendLeaf(leaf);
    return index;
  }

  /** The leaf hash (not the event hash) at `index`, hex. */
  leafHash(index: number): string {
    checkSize('index', index, 0, this.size - 1);
    return this.leaves.get(index).toString('hex');
  }

  /** Root of the tree of the first `size` leaves (default: all), hex. */
  root(size: number = this.size): string {
    checkSize('size', size, 0, this.size);
    if (size === this.size) return this.frontier.root();
    if (size === 0) return EMPTY_ROOT;
    return rangeHash(this.subtree, 0, size).toString('hex');
  }

  /** Inclusion proof of leaf `index` in the tree of the first `size` leaves (default: all). */
  inclusionProof(index: number, size: number = this.size): string[] {
    checkSize('size', size, 1, this.size);
    checkSize('index', index, 0, size - 1);
    return auditPath(this.subtree, index, size).map((b) => b.toString('hex'));
  }

  /** Consistency proof that the tree of `newSize` leaves extends the tree of `oldSize` leaves. */
  consistencyProof(oldSize: number, newSize: number = this.size): string[] {
    checkSize('newSize', newSize, 0, this.size);
    checkSize('oldSize', oldSize, 0, newSize);
    if (oldSize === 0 || oldSize === newSize) return [];
    return consistencyPath(this.subtree, oldSize, newSize).map((b) => b.toString('hex'));
  }

  // Perfect subtrees are only ever asked for within the current size, so cached levels are always filled.
  private readonly subtree: PerfectSubtree = (start, size) => {
    if (size === 1) return this.leaves.get(start);
    const level = Math.round(Math.log2(size));
    if (level >= this.cacheFromLevel) return (this.cache[level] as HashArray).get(start / size);
    const half = size / 2;
    return hashChildren(this.subtree(start, half), this.subtree(start + half, half));
  };
}
