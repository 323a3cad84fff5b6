/**
 * Building RFC 9162 proofs and roots: the tree-hash recursion of §2.1.1 over perfect subtrees, audit paths
 * (§2.1.3.1) and consistency proofs (§2.1.4.1), iteratively. The pure functions work on an array of leaf hashes;
 * {@link MerkleLog} plugs its cached subtrees into the same recursion.
 */
import { EMPTY_ROOT, checkSize, hashChildren, hexToHash, isPowerOfTwo } from './hashing';

/** Largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

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
export function consistencyPath(subtree: PerfectSubtree, m: number, n: number): Buffer[] {
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

/** A perfect-subtree function over an in-memory array of leaf hashes (no caching: for the pure functions). */
function arraySubtree(leaves: readonly Buffer[]): PerfectSubtree {
  const walk: PerfectSubtree = (start, size) =>
    size === 1 ? leaves[start] : hashChildren(walk(start, size / 2), walk(start + size / 2, size / 2));
  return walk;
}

const toLeafBuffers = (leafHashes: readonly string[], n: number): Buffer[] => {
  const out = new Array<Buffer>(n);
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
