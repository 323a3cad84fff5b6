import { EMPTY_ROOT, checkSize, hashChildren, hashLeafBytes, hexToHash } from './hashing';
import { auditPath, consistencyPath, rangeHash, type PerfectSubtree } from './proof-building';
import { HashArray, MemoryLeafStore, type LeafStore } from './leaf-store';
import { MerkleFrontier } from './frontier';

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
    if (level >= this.cacheFromLevel) return this.cache[level].get(start / size);
    const half = size / 2;
    return hashChildren(this.subtree(start, half), this.subtree(start + half, half));
  };
}
