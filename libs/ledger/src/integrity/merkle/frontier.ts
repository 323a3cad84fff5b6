import { EMPTY_ROOT, hashChildren, hashLeafBytes, hexToHash } from './hashing';

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

  /**
   * A frontier at `size` leaves from the nodes on its right edge, without the leaves before it: `nodeAt(level, index)`
   * is asked for the perfect 2^level-leaf subtree number `index` of each set bit of `size` (log2(size) nodes at most).
   */
  static restore(
    size: number,
    nodeAt: (level: number, index: number) => Buffer,
    onNode?: (level: number, index: number, hash: Buffer) => void,
  ): MerkleFrontier {
    const f = new MerkleFrontier(onNode);
    for (let level = 0; 2 ** level <= size; level++) {
      const count = Math.floor(size / 2 ** level);
      if (count % 2 === 1) f.frontier[level] = nodeAt(level, count - 1);
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
