import { EMPTY_ROOT, HASH_BYTES, checkLeafBytes, checkSize, hashChildren, hashLeafBytes, hexToHash } from './hashing';
import { auditPath, consistencyPath, rangeHash, type PerfectSubtree } from './proof-building';
import { HashArray, MemoryLeafStore, type LeafStore } from './leaf-store';
import { MerkleFrontier } from './frontier';
import { defaultSha256Batch, type Sha256Batch } from '../batch-hash';

export interface MerkleLogOptions {
  /**
   * Perfect subtrees of 2^level leaves are cached from this level up (default 4: 1/8 of a hash per leaf, i.e. about
   * 4 bytes of memory per leaf); smaller ones are recomputed from the leaf store when a proof needs them
   * (at most 2^level - 1 hashes each).
   */
  cacheFromLevel?: number;
  /** Told of each cached subtree as it completes (level >= cacheFromLevel), so a read model can persist it. */
  onCachedNode?: (level: number, index: number, hash: Buffer) => void;
  /** What {@link MerkleLog.appendLeaves} hashes a level of nodes with (default: the native addon when built). */
  hasher?: Sha256Batch;
}

/**
 * What {@link MerkleLog.restore} resumes from instead of replaying every leaf: the size, and for each cached level
 * (`cacheFromLevel` and up) its completed nodes in order — exactly `floor(size / 2^level)` of them.
 */
export interface MerkleLogState {
  size: number;
  /** nodes(level) for level >= cacheFromLevel: the level's nodes as concatenated 32-byte hashes. */
  levels: ReadonlyMap<number, Buffer>;
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
  private readonly hasher: Sha256Batch;

  constructor(
    private readonly leaves: LeafStore = new MemoryLeafStore(),
    options: MerkleLogOptions = {},
    state?: MerkleLogState,
  ) {
    this.cacheFromLevel = Math.max(1, options.cacheFromLevel ?? 4);
    this.hasher = options.hasher ?? defaultSha256Batch;
    const onCachedNode = options.onCachedNode;
    const onNode = (level: number, index: number, hash: Buffer) => {
      if (level < this.cacheFromLevel) return;
      const nodes = (this.cache[level] ??= new HashArray());
      // Nodes complete in order along each level, so the index is always the next slot.
      if (nodes.length !== index) throw new Error(`merkle cache out of step at level ${level}`);
      nodes.push(hash);
      // The frontier's `hash` lives only during this call: the listener gets the cache's own copy, which stays.
      onCachedNode?.(level, index, nodes.get(index));
    };
    if (!state) {
      this.frontier = new MerkleFrontier(onNode, this.cacheFromLevel);
      const stored = leaves.size();
      for (let i = 0; i < stored; i++) this.frontier.appendLeaf(leaves.get(i));
      return;
    }
    if (leaves.size() < state.size)
      throw new RangeError(`the leaf store holds ${leaves.size()} leaves, the state ${state.size}`);
    for (let level = this.cacheFromLevel; 2 ** level <= state.size; level++) {
      const bytes = state.levels.get(level);
      const count = Math.floor(state.size / 2 ** level);
      if (!bytes || bytes.length !== count * HASH_BYTES)
        throw new RangeError(`merkle state at size ${state.size} lacks level ${level}'s ${count} nodes`);
      const nodes = (this.cache[level] = new HashArray());
      for (let i = 0; i < count; i++) nodes.push(bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
    }
    // The right edge from the cache (and, below the cached levels, from at most 2^cacheFromLevel - 1 leaves).
    this.frontier = MerkleFrontier.restore(
      state.size,
      (level, index) => this.subtree(index * 2 ** level, 2 ** level),
      onNode,
      this.cacheFromLevel,
    );
  }

  /**
   * A log resumed from a persisted {@link MerkleLogState} over a leaf store holding at least its leaves: no leaf
   * before the state's size is read (but the few a proof below the cached levels needs), so a start costs the cached
   * nodes (about 1/8 of a hash per leaf), not a pass over every leaf.
   */
  static restore(leaves: LeafStore, state: MerkleLogState, options: MerkleLogOptions = {}): MerkleLog {
    return new MerkleLog(leaves, options, state);
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

  /** Appends a leaf hash (32 bytes, already `sha256(0x00 ‖ event hash)`) and returns its leaf index. */
  appendLeaf(leaf: Buffer): number {
    const index = this.frontier.size;
    // The memory store and the frontier copy the bytes; another store may keep the Buffer it is given.
    this.leaves.append(this.leaves instanceof MemoryLeafStore ? leaf : Buffer.from(leaf));
    this.frontier.appendLeaf(leaf);
    return index;
  }

  /**
   * Appends `count` leaf hashes laid end to end in `leaves` (32 bytes each, `sha256(0x00 ‖ event hash)`): the same
   * log as `count` calls of {@link appendLeaf}, its nodes hashed a level at a time (MerkleFrontier.appendLeaves);
   * `onCachedNode` hears of the cached nodes level by level. Returns the first one's leaf index.
   */
  appendLeaves(leaves: Uint8Array, count: number): number {
    const index = this.frontier.size;
    checkLeafBytes(leaves, count);
    if (this.leaves instanceof MemoryLeafStore) this.leaves.appendMany(leaves, count);
    else
      for (let i = 0; i < count; i++)
        this.leaves.append(Buffer.from(leaves.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
    this.frontier.appendLeaves(leaves, count, this.hasher);
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

  /**
   * Inclusion proofs of many leaves in one tree size (an export: every event of an item and its copies). The
   * uncached subtrees they share — above all the right edge of a tree whose size is not a power of two, on every
   * path — are hashed once for the batch rather than once per proof. `leafAt` may serve leaves the caller read in
   * bulk (they must be the log's own).
   */
  inclusionProofs(
    indices: readonly number[],
    size: number = this.size,
    leafAt: (index: number) => Buffer = (index) => this.leaves.get(index),
  ): string[][] {
    checkSize('size', size, 1, this.size);
    const memo = new Map<string, Buffer>();
    const subtree: PerfectSubtree = (start, n) => {
      if (n > 1 && Math.round(Math.log2(n)) >= this.cacheFromLevel) return this.subtree(start, n);
      const key = `${start}/${n}`;
      let hash = memo.get(key);
      if (!hash) {
        hash = n === 1 ? leafAt(start) : hashChildren(subtree(start, n / 2), subtree(start + n / 2, n / 2));
        memo.set(key, hash);
      }
      return hash;
    };
    return indices.map((index) => {
      checkSize('index', index, 0, size - 1);
      return auditPath(subtree, index, size).map((b) => b.toString('hex'));
    });
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
    if (level >= this.cacheFromLevel) return this.cache[level].get(start / size);
    const half = size / 2;
    return hashChildren(this.subtree(start, half), this.subtree(start + half, half));
  };
}
