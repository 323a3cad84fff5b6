/**
 * Verifying RFC 9162 proofs (§2.1.3.2 inclusion, §2.1.4.2 consistency). This file and ./hashing are all an offline
 * verifier needs: no tree, no leaf store.
 */
import { isHashHex } from '../event-hash';
import { EMPTY_ROOT, hashChildren, isPowerOfTwo } from './hashing';

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
