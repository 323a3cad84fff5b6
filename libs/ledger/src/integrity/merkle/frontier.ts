import { sha256Into } from '../event-hash';
import { EMPTY_ROOT, HASH_BYTES, hashChildren, hashLeafBytes, hexToHash } from './hashing';

/** Levels of the right edge: enough for any safe-integer size (2^53). */
const MAX_LEVELS = 54;

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

  /**
   * @param onNode called with each completed perfect subtree (level >= 1, index among that level's nodes); `hash` is
   *   valid only during the call (copy it to keep it).
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
        this.onNode?.(level, Math.floor((this.count + 1) / 2 ** level) - 1, input.subarray(1 + HASH_BYTES));
      }
      input.copy(nodes, level * HASH_BYTES, 1 + HASH_BYTES);
    }
    this.count += 1;
    this.cachedRoot = undefined;
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
