import { sha256Into } from '../event-hash';
import { defaultSha256Batch, type Sha256Batch } from '../batch-hash';
import { EMPTY_ROOT, HASH_BYTES, checkLeafBytes, hashChildren, hashLeafBytes, hexToHash } from './hashing';

/** Levels of the right edge: enough for any safe-integer size (2^53). */
const MAX_LEVELS = 54;
/** `level`'s marks for a call with keep = 0 (every node hashed): never read. */
const NO_MARKS = new Uint8Array(0);

/**
 * The right edge of a growing tree (RFC 9162 "compact range"): one perfect subtree root per set bit of the size,
 * so appending and computing the current root are O(log n) and need no access to earlier leaves. Used by the
 * verifier to recompute the root while it streams the log.
 */
export class MerkleFrontier {
  // Slot `level` (32 bytes at level·32) is the root of the perfect 2^level-leaf subtree at the right edge, valid when
  // bit `level` of the size is set. Flat, and hashed into in place: no Buffer per node on the path of every append.
  private readonly nodes = Buffer.alloc(MAX_LEVELS * HASH_BYTES);
  /** 0x01 ‖ left ‖ right; the carry is hashed into the right half (hashing is synchronous: one buffer is enough). */
  private readonly input = Buffer.alloc(1 + 2 * HASH_BYTES, 0x01);
  private count = 0;
  private cachedRoot: string | undefined = EMPTY_ROOT;
  /** appendLeaves' two levels in turn (each with a node's room in front for the left sibling), grown as needed. */
  private scratch: [Buffer, Buffer] | undefined;

  /**
   * @param onNode called with each completed perfect subtree (level >= nodesFrom, index among that level's nodes);
   *   `hash` is valid only during the call (copy it to keep it).
   * @param nodesFrom the lowest level onNode is told of (default 1: every interior node).
   */
  constructor(
    private readonly onNode?: (level: number, index: number, hash: Buffer) => void,
    private readonly nodesFrom = 1,
  ) {}

  /**
   * A frontier at `size` leaves from the nodes on its right edge, without the leaves before it: `nodeAt(level, index)`
   * is asked for the perfect 2^level-leaf subtree number `index` of each set bit of `size` (log2(size) nodes at most).
   */
  static restore(
    size: number,
    nodeAt: (level: number, index: number) => Buffer,
    onNode?: (level: number, index: number, hash: Buffer) => void,
    nodesFrom = 1,
  ): MerkleFrontier {
    const f = new MerkleFrontier(onNode, nodesFrom);
    for (let level = 0; 2 ** level <= size; level++) {
      const count = Math.floor(size / 2 ** level);
      if (count % 2 === 1) nodeAt(level, count - 1).copy(f.nodes, level * HASH_BYTES, 0, HASH_BYTES);
    }
    f.count = size;
    f.cachedRoot = undefined;
    return f;
  }

  get size(): number {
    return this.count;
  }

  /** Appends an event hash (hex) as the next leaf. */
  appendEventHash(eventHashHex: string): Buffer {
    const leaf = hashLeafBytes(hexToHash(eventHashHex, 'event hash'));
    this.appendLeaf(leaf);
    return leaf;
  }

  /** Appends a leaf hash (32 bytes; copied, the caller may reuse it). */
  appendLeaf(leaf: Buffer): void {
    const nodes = this.nodes;
    let n = this.count;
    if (n % 2 === 0) leaf.copy(nodes, 0, 0, HASH_BYTES);
    else {
      const input = this.input;
      leaf.copy(input, 1 + HASH_BYTES, 0, HASH_BYTES);
      let level = 0;
      // Binary-counter carry: each set low bit is a finished left sibling that now merges with the new right side.
      while (n % 2 === 1) {
        nodes.copy(input, 1, level * HASH_BYTES, (level + 1) * HASH_BYTES);
        // The digest is computed before it is written: hashing the input into its own right half is safe.
        sha256Into(input, input, 1 + HASH_BYTES);
        level += 1;
        n = Math.floor(n / 2);
        if (level >= this.nodesFrom)
          this.onNode?.(level, Math.floor((this.count + 1) / 2 ** level) - 1, input.subarray(1 + HASH_BYTES));
      }
      input.copy(nodes, level * HASH_BYTES, 1 + HASH_BYTES);
    }
    this.count += 1;
    this.cachedRoot = undefined;
  }

  /**
   * Appends `count` leaf hashes (32 bytes each, in order, from the start of `leaves`) at once: the same tree, the same
   * nodes told to onNode, as `count` calls of {@link appendLeaf} (per level in order of index, a level after the one
   * below it, not interleaved), hashed a level at a time through `hasher` — one call per level of the nodes the
   * leaves complete (about `count` nodes in all) instead of a `crypto.hash` call per node, whose set-up is most of
   * its cost (batch-hash.ts).
   *
   * A level's nodes are the pairs of a run: the new nodes of the level below, after the left sibling waiting on the
   * right edge when the first of them is a right child (bit `level` of the size set). A run of odd length leaves its
   * last node on the right edge.
   */
  appendLeaves(leaves: Uint8Array, count: number, hasher: Sha256Batch = defaultSha256Batch): void {
    checkLeafBytes(leaves, count);
    if (count === 0) return;
    const nodes = this.nodes;
    let [from, to] = this.scratchFor(count);
    // The index (on its level) of the run's first new node, and how many new nodes the run has.
    let start = this.count;
    let fresh = count;
    let left = start % 2;
    if (left) nodes.copy(from, 0, 0, HASH_BYTES);
    from.set(leaves.subarray(0, count * HASH_BYTES), left * HASH_BYTES);
    let run = from.subarray(0, (left + fresh) * HASH_BYTES);
    for (let level = 0; fresh > 0; level++) {
      const length = left + fresh;
      const pairs = Math.floor(length / 2);
      if (length % 2 === 1) run.copy(nodes, level * HASH_BYTES, (length - 1) * HASH_BYTES, length * HASH_BYTES);
      if (pairs === 0) break;
      // The level above is written after a node's room, where its own left sibling goes when it has one.
      const above = to.subarray(HASH_BYTES, HASH_BYTES + pairs * HASH_BYTES);
      hasher.level(run, above, NO_MARKS, 0, pairs);
      start = Math.floor(start / 2);
      if (level + 1 >= this.nodesFrom && this.onNode)
        for (let j = 0; j < pairs; j++)
          this.onNode(level + 1, start + j, above.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES));
      left = start % 2;
      fresh = pairs;
      if (left) nodes.copy(to, 0, (level + 1) * HASH_BYTES, (level + 2) * HASH_BYTES);
      run = to.subarray(left ? 0 : HASH_BYTES, HASH_BYTES + pairs * HASH_BYTES);
      [from, to] = [to, from];
    }
    this.count += count;
    this.cachedRoot = undefined;
  }

  /** Two buffers of their own memory (4-byte aligned, as the node:crypto hasher needs) for runs of count + 1 nodes. */
  private scratchFor(count: number): [Buffer, Buffer] {
    const bytes = (count + 2) * HASH_BYTES;
    if (!this.scratch || this.scratch[0].length < bytes) this.scratch = [Buffer.alloc(bytes), Buffer.alloc(bytes)];
    return this.scratch;
  }

  /** Root of the whole tree so far, hex ({@link EMPTY_ROOT} when empty). */
  root(): string {
    if (this.cachedRoot === undefined) {
      let acc: Buffer | undefined;
      // Lower levels are further right: fold them first, each higher subtree becomes the left child.
      for (let level = 0, n = this.count; n > 0; level++, n = Math.floor(n / 2)) {
        if (n % 2 === 0) continue;
        const node = this.nodes.subarray(level * HASH_BYTES, (level + 1) * HASH_BYTES);
        acc = acc ? hashChildren(node, acc) : node;
      }
      this.cachedRoot = acc ? acc.toString('hex') : EMPTY_ROOT;
    }
    return this.cachedRoot;
  }
}
