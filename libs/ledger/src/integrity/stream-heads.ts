/**
 * The stream-heads tree (contract §4.1): an RFC 9162 Merkle tree with one leaf per stream, sorted by streamId (UTF-16
 * code unit order, as JavaScript compares strings and RFC 8785 sorts keys), leaf = sha256(0x00 ‖ canonical JSON of
 * {streamId, revision, hash}) where `hash` is the chain hash of the stream's last event. Its root is the `streams`
 * extension line of every checkpoint, so a checkpoint commits to where every stream ended at that size and a bundle
 * can prove that none of its streams was cut short.
 *
 * {@link StreamHeadsTree} maintains it incrementally: an append only marks its stream dirty; at the next root only
 * the dirty leaves are rehashed, and only the interior nodes above them — plus, when new streams were inserted, the
 * nodes right of the first insertion, whose leaves moved (a sorted tree cannot avoid that shift). Nothing is
 * recomputed from scratch per checkpoint.
 */
import { sha256Bytes } from './event-hash';
import { EMPTY_ROOT, hashChildren } from './merkle/hashing';
import { auditPath, rangeHash, type PerfectSubtree } from './merkle/proof-building';
import { verifyInclusion } from './merkle/proof-verification';
import { canonicalize } from './canonical-json';

/** A stream's head: its last revision and the chain hash of that event (lowercase hex). */
export interface StreamHead {
  streamId: string;
  revision: number;
  hash: string;
}

/**
 * The canonical JSON (RFC 8785) of a head: members sorted (hash < revision < streamId); JSON.stringify's string
 * escaping is the one RFC 8785 prescribes. Written out so the hot path builds no object; the spec test holds it to
 * `canonicalize`.
 */
export const streamHeadJson = (h: StreamHead): string =>
  // A chain hash is 64 lowercase hex digits, which JSON writes as they are; anything else goes through stringify.
  `{"hash":${HEX64.test(h.hash) ? `"${h.hash}"` : JSON.stringify(h.hash)},"revision":${h.revision},"streamId":${JSON.stringify(h.streamId)}}`;

const HEX64 = /^[0-9a-f]{64}$/;

/** The leaf of a head: sha256(0x00 ‖ UTF-8 canonical JSON), 32 bytes. */
export const streamHeadLeaf = (h: StreamHead): Buffer =>
  // U+0000 encodes as the single byte 0x00 in UTF-8: one buffer, no concatenation.
  sha256Bytes(Buffer.from('\u0000' + streamHeadJson(h), 'utf8'));

/** Hex leaf of a head. */
export const streamHeadLeafHex = (h: StreamHead): string => streamHeadLeaf(h).toString('hex');

/** The literal definition, for tests and independent checks: canonicalize() of the object. */
export const streamHeadJsonReference = (h: StreamHead): string =>
  canonicalize({ streamId: h.streamId, revision: h.revision, hash: h.hash });

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A stream head with its proof against a stream-heads root. */
export interface StreamHeadProof {
  head: StreamHead;
  /** Index of the stream's leaf (its place among the streams, sorted). */
  leafIndex: number;
  /** Number of streams (leaves) in the tree. */
  streamCount: number;
  leafHash: string;
  /** RFC 9162 audit path, bottom-up, hex. */
  proof: string[];
  rootHash: string;
}

/** True when `p` proves `p.head` is leaf `p.leafIndex` of the stream-heads tree with root `rootHash`. */
export const verifyStreamHeadProof = (p: StreamHeadProof, rootHash: string): boolean => {
  if (!p || typeof p !== 'object' || !p.head || typeof p.head !== 'object') return false;
  if (typeof p.head.streamId !== 'string' || !Number.isSafeInteger(p.head.revision) || typeof p.head.hash !== 'string')
    return false;
  const leaf = streamHeadLeafHex(p.head);
  if (p.leafHash !== leaf) return false;
  return Array.isArray(p.proof) && verifyInclusion(leaf, p.leafIndex, p.streamCount, p.proof, rootHash);
};

/**
 * The stream-heads tree over a set of heads, in memory. `apply` records that a stream advanced; `root` and `prove`
 * bring the tree up to date first, touching only what changed since.
 */
export class StreamHeadsTree {
  /** Each stream's head and its leaf index (kept current by flush: only the shifted part is renumbered). */
  private readonly heads = new Map<string, { revision: number; hash: string; index: number }>();
  /** Stream ids in sorted order; `levels[0][i]` is the leaf of `ids[i]`. */
  private ids: string[] = [];
  /** levels[l][j]: hash of the perfect subtree of 2^l leaves starting at leaf j·2^l (only complete ones). */
  private levels: Buffer[][] = [[]];
  private readonly dirty = new Set<string>();
  private readonly added: string[] = [];
  private cachedRoot: string | undefined = EMPTY_ROOT;

  /** Number of streams. */
  get size(): number {
    return this.heads.size;
  }

  /** The head of a stream, or undefined. */
  head(streamId: string): StreamHead | undefined {
    const h = this.heads.get(streamId);
    return h ? { streamId, revision: h.revision, hash: h.hash } : undefined;
  }

  /** Records a stream's new head (its event `revision` with chain hash `hash`). */
  set(streamId: string, revision: number, hash: string): void {
    const h = this.heads.get(streamId);
    if (h) {
      h.revision = revision;
      h.hash = hash;
    } else {
      this.heads.set(streamId, { revision, hash, index: -1 });
      this.added.push(streamId);
    }
    this.dirty.add(streamId);
    this.cachedRoot = undefined;
  }

  /** Records the next event of a stream (revision = previous + 1, or 0 for a new stream). */
  advance(streamId: string, hash: string): void {
    const h = this.heads.get(streamId);
    this.set(streamId, h ? h.revision + 1 : 0, hash);
  }

  /** Root of the tree (EMPTY_ROOT with no streams), hex. */
  root(): string {
    if (this.cachedRoot === undefined) {
      this.flush();
      const n = this.ids.length;
      this.cachedRoot = n === 0 ? EMPTY_ROOT : rangeHash(this.subtree, 0, n).toString('hex');
    }
    return this.cachedRoot;
  }

  /** The head of `streamId` with its audit path against {@link root}, or null for an unknown stream. */
  prove(streamId: string): StreamHeadProof | null {
    const h = this.heads.get(streamId);
    if (!h) return null;
    const rootHash = this.root();
    const index = this.indexOf(streamId);
    const head = { streamId, revision: h.revision, hash: h.hash };
    return {
      head,
      leafIndex: index,
      streamCount: this.ids.length,
      leafHash: this.levels[0][index].toString('hex'),
      proof: auditPath(this.subtree, index, this.ids.length).map((b) => b.toString('hex')),
      rootHash,
    };
  }

  /** Every head, sorted by streamId. */
  all(): StreamHead[] {
    this.flush();
    return this.ids.map((id) => this.head(id) as StreamHead);
  }

  private readonly subtree: PerfectSubtree = (start, size) => this.levels[Math.round(Math.log2(size))][start / size];

  private indexOf(streamId: string): number {
    const known = this.heads.get(streamId)?.index ?? -1;
    if (known >= 0 && this.ids[known] === streamId) return known;
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = byId(this.ids[mid], streamId);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`stream ${streamId} is not in the stream-heads tree`);
  }

  /** Brings the leaves and the perfect subtrees up to date with the heads set since the last flush. */
  private flush(): void {
    if (this.dirty.size === 0) return;
    const oldLeaves = this.levels[0];
    // From `shiftFrom` on, leaves moved (streams were inserted before them): every node there is recomputed.
    let shiftFrom = Infinity;
    if (this.added.length > 0) {
      this.added.sort(byId);
      const merged: string[] = new Array(this.ids.length + this.added.length);
      const leaves: Buffer[] = new Array(merged.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < this.ids.length || j < this.added.length) {
        if (j >= this.added.length || (i < this.ids.length && this.ids[i] < this.added[j])) {
          leaves[k] = oldLeaves[i];
          merged[k++] = this.ids[i++];
        } else {
          if (shiftFrom === Infinity) shiftFrom = k;
          merged[k++] = this.added[j++];
        }
      }
      this.ids = merged;
      this.levels[0] = leaves;
      this.added.length = 0;
      for (let x = shiftFrom; x < merged.length; x++) (this.heads.get(merged[x]) as { index: number }).index = x;
    }
    const leaves = this.levels[0];
    // Rehash the changed leaves; remember the indices left of the shift (right of it, everything is redone anyway).
    let points: number[] = [];
    for (const id of this.dirty) {
      const h = this.heads.get(id) as { revision: number; hash: string; index: number };
      const index = h.index >= 0 && this.ids[h.index] === id ? h.index : this.indexOf(id);
      leaves[index] = streamHeadLeaf({ streamId: id, revision: h.revision, hash: h.hash });
      if (index < shiftFrom) points.push(index);
    }
    this.dirty.clear();
    let from = Math.min(shiftFrom, oldLeaves.length);
    const n = leaves.length;
    for (let level = 1; 2 ** level <= n; level++) {
      const below = this.levels[level - 1];
      const nodes = (this.levels[level] ??= []);
      const count = Math.floor(n / 2 ** level);
      nodes.length = Math.min(nodes.length, count);
      from = Math.floor(from / 2);
      const next: number[] = [];
      let last = -1;
      points.sort((a, b) => a - b);
      for (const p of points) {
        const parent = p >> 1;
        if (parent === last || parent >= from || parent >= count) continue;
        nodes[parent] = hashChildren(below[2 * parent], below[2 * parent + 1]);
        next.push(parent);
        last = parent;
      }
      for (let j = from; j < count; j++) nodes[j] = hashChildren(below[2 * j], below[2 * j + 1]);
      points = next;
    }
    this.levels.length = Math.max(1, Math.floor(Math.log2(Math.max(1, n))) + 1);
  }
}

/** The stream-heads tree of a set of heads, computed from scratch (the peer of the incremental tree). */
export const streamHeadsRoot = (heads: Iterable<StreamHead>): string => {
  const tree = new StreamHeadsTree();
  for (const h of heads) tree.set(h.streamId, h.revision, h.hash);
  return tree.root();
};

/** A proof of one stream's head among `heads`, computed from scratch; null when the stream is not among them. */
export const proveStreamHead = (heads: Iterable<StreamHead>, streamId: string): StreamHeadProof | null => {
  const tree = new StreamHeadsTree();
  for (const h of heads) tree.set(h.streamId, h.revision, h.hash);
  return tree.prove(streamId);
};
