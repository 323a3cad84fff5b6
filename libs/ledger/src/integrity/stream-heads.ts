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
import { sha256Bytes, sha256Into } from './event-hash';
import { EMPTY_ROOT, HASH_BYTES } from './merkle/hashing';
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
  `{"hash":${hashMember(h.hash)},"revision":${h.revision}${streamIdTail(h.streamId)}`;

// JSON.stringify's escaping is RFC 8785's; for a chain hash (64 hex digits) it only adds the quotes, and it costs less
// than testing for hex first.
const hashMember = (hash: string): string => JSON.stringify(hash);
/** The last member and the closing brace: constant per stream, so the tree computes it once per stream. */
const streamIdTail = (streamId: string): string => `,"streamId":${JSON.stringify(streamId)}}`;

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

/** A stream's entry: its head, its leaf index once placed, and whether its leaf is stale. */
interface Entry {
  readonly streamId: string;
  revision: number;
  hash: string;
  /** Its place among the streams, sorted (-1 until the next flush places a new stream). */
  index: number;
  /** Set by an append, cleared when the leaf is rehashed. */
  dirty: boolean;
  /** {@link streamIdTail} of the stream. */
  readonly tail: string;
}

const SLOT = HASH_BYTES;

/**
 * The stream-heads tree over a set of heads, in memory. `set`/`advance` record that a stream advanced; `root` and
 * `prove` bring the tree up to date first, touching only what changed since.
 *
 * Layout: level l is one flat Buffer of 32-byte slots, slot j holding the perfect subtree of 2^l leaves starting at
 * leaf j·2^l (complete ones only; the RFC 9162 root folds the ragged right edge from them). A flush merges the
 * streams created since the last one in a single pass (sorted once, not inserted one at a time), rehashes only the
 * dirty leaves, and recomputes bottom-up only the nodes above a dirty leaf, plus every node right of the first
 * inserted stream (its leaves moved: a sorted tree cannot avoid that shift). Hashing goes through the one-shot
 * `crypto.hash` into the slots themselves: no Hash object and no Buffer per node.
 */
export class StreamHeadsTree {
  private readonly heads = new Map<string, Entry>();
  /** The placed streams in sorted order: `entries[i].index === i`, `levels[0]` slot i is its leaf. */
  private entries: Entry[] = [];
  private levels: Buffer[] = [Buffer.alloc(0)];
  private readonly dirtyList: Entry[] = [];
  private readonly added: Entry[] = [];
  /** Per-slot "changed" marks of the level being recomputed (reused between flushes). */
  private marks = new Uint8Array(0);
  /**
   * 0x01 ‖ left ‖ right, the input of every interior node (hashing is synchronous: one buffer is enough), placed at
   * byte 3 of its memory so that the two children start 4-byte aligned: they are copied in as 16 words
   * ({@link nodeWords}), several times cheaper for 64 bytes than a Buffer.copy call.
   */
  private readonly nodeMemory = new ArrayBuffer(4 + 2 * SLOT);
  private readonly nodeInput = Buffer.from(this.nodeMemory, 3, 1 + 2 * SLOT).fill(0x01, 0, 1);
  private readonly nodeWords = new Uint32Array(this.nodeMemory, 4, (2 * SLOT) / 4);
  private cachedRoot: string | undefined = EMPTY_ROOT;
  private readonly counted = { leaves: 0, nodes: 0 };

  /** SHA-256 computations so far, leaves and interior nodes (the bench compares them with bare hashing). */
  get hashed(): { leaves: number; nodes: number } {
    return { ...this.counted };
  }

  /** Number of streams. */
  get size(): number {
    return this.heads.size;
  }

  /** The head of a stream, or undefined. */
  head(streamId: string): StreamHead | undefined {
    const e = this.heads.get(streamId);
    return e ? { streamId, revision: e.revision, hash: e.hash } : undefined;
  }

  /** Records a stream's new head (its event `revision` with chain hash `hash`). */
  set(streamId: string, revision: number, hash: string): void {
    const e = this.heads.get(streamId);
    if (e) {
      e.revision = revision;
      e.hash = hash;
      this.touch(e);
    } else this.create(streamId, revision, hash);
  }

  /** Records the next event of a stream (revision = previous + 1, or 0 for a new stream). */
  advance(streamId: string, hash: string): void {
    const e = this.heads.get(streamId);
    if (e) {
      e.revision += 1;
      e.hash = hash;
      this.touch(e);
    } else this.create(streamId, 0, hash);
  }

  /** Root of the tree (EMPTY_ROOT with no streams), hex. */
  root(): string {
    if (this.cachedRoot === undefined) {
      this.flush();
      const n = this.entries.length;
      this.cachedRoot = n === 0 ? EMPTY_ROOT : rangeHash(this.subtree, 0, n).toString('hex');
    }
    return this.cachedRoot;
  }

  /** The head of `streamId` with its audit path against {@link root}, or null for an unknown stream. */
  prove(streamId: string): StreamHeadProof | null {
    const e = this.heads.get(streamId);
    if (!e) return null;
    const rootHash = this.root();
    const n = this.entries.length;
    return {
      head: { streamId, revision: e.revision, hash: e.hash },
      leafIndex: e.index,
      streamCount: n,
      leafHash: this.subtree(e.index, 1).toString('hex'),
      proof: auditPath(this.subtree, e.index, n).map((b) => b.toString('hex')),
      rootHash,
    };
  }

  /** Every head, sorted by streamId. */
  all(): StreamHead[] {
    this.flush();
    return this.entries.map((e) => ({ streamId: e.streamId, revision: e.revision, hash: e.hash }));
  }

  private readonly subtree: PerfectSubtree = (start, size) => {
    const level = Math.round(Math.log2(size));
    const at = (start / size) * SLOT;
    return this.levels[level].subarray(at, at + SLOT);
  };

  private touch(e: Entry): void {
    if (!e.dirty) {
      e.dirty = true;
      this.dirtyList.push(e);
    }
    this.cachedRoot = undefined;
  }

  private create(streamId: string, revision: number, hash: string): void {
    const e: Entry = { streamId, revision, hash, index: -1, dirty: true, tail: streamIdTail(streamId) };
    this.heads.set(streamId, e);
    this.added.push(e);
    this.dirtyList.push(e);
    this.cachedRoot = undefined;
  }

  /** A level buffer holding at least `count` slots, keeping the first `keep` of `old`. */
  private static grow(old: Buffer, count: number, keep: number): Buffer {
    if (old.length >= count * SLOT) return old;
    // Doubling keeps the copies amortized O(1) per slot.
    // Its own ArrayBuffer (never the pool's), so its words are aligned for wordsOf.
    const next = Buffer.from(new ArrayBuffer(Math.max(count, 2 * (old.length / SLOT), 16) * SLOT));
    old.copy(next, 0, 0, keep * SLOT);
    return next;
  }

  /** Brings the leaves and the perfect subtrees up to date with the heads set since the last flush. */
  private flush(): void {
    if (this.dirtyList.length === 0) return;
    const oldN = this.entries.length;
    // From `shiftFrom` on, leaves moved (streams were inserted before them): every node there is recomputed.
    let shiftFrom = oldN;
    if (this.added.length > 0) shiftFrom = this.merge();
    const n = this.entries.length;
    const leaves = this.levels[0];
    if (this.marks.length < n) this.marks = new Uint8Array(Math.max(n, 2 * this.marks.length));
    const marks = this.marks;
    for (const e of this.dirtyList) {
      e.dirty = false;
      // streamHeadJson with the stream's tail cached. U+0000 encodes as the single byte 0x00 in UTF-8: the leaf
      // input is one string, hashed as UTF-8.
      sha256Into(`\u0000{"hash":${hashMember(e.hash)},"revision":${e.revision}${e.tail}`, leaves, e.index * SLOT);
      if (e.index < shiftFrom) marks[e.index] = 1;
    }
    this.counted.leaves += this.dirtyList.length;
    this.dirtyList.length = 0;
    const input = this.nodeInput;
    const words = this.nodeWords;
    let hashedNodes = 0;
    let from = shiftFrom;
    for (let level = 1; 2 ** level <= n; level++) {
      const below = this.levels[level - 1];
      const count = Math.floor(n / 2 ** level);
      from = Math.floor(from / 2);
      const keep = Math.min(from, count);
      const nodes = (this.levels[level] = StreamHeadsTree.grow(this.levels[level] ?? Buffer.alloc(0), count, keep));
      const belowWords = new Uint32Array(below.buffer, below.byteOffset, below.length / 4);
      // Left of `from`: only the parents of changed slots; marks are rewritten in place (slot j reads 2j and 2j+1,
      // both >= j, before j is written).
      for (let j = 0; j < keep; j++) {
        if ((marks[2 * j] | marks[2 * j + 1]) === 0) {
          marks[j] = 0;
          continue;
        }
        marks[j] = 1;
        for (let w = 0, b = 16 * j; w < 16; w++) words[w] = belowWords[b + w];
        sha256Into(input, nodes, j * SLOT);
        hashedNodes++;
      }
      for (let j = keep; j < count; j++) {
        for (let w = 0, b = 16 * j; w < 16; w++) words[w] = belowWords[b + w];
        sha256Into(input, nodes, j * SLOT);
      }
      hashedNodes += Math.max(0, count - keep);
    }
    this.counted.nodes += hashedNodes;
    marks.fill(0, 0, Math.min(n, shiftFrom));
    this.levels.length = Math.max(1, Math.floor(Math.log2(Math.max(1, n))) + 1);
  }

  /**
   * Merges the streams created since the last flush into the sorted order in one pass and moves the leaf slots of
   * the streams right of each insertion; returns the index of the first inserted stream.
   */
  private merge(): number {
    const added = this.added.sort((a, b) => byId(a.streamId, b.streamId));
    const old = this.entries;
    const oldN = old.length;
    const n = oldN + added.length;
    const merged = new Array<Entry>(n);
    const leaves = (this.levels[0] = StreamHeadsTree.grow(this.levels[0], n, oldN));
    // Right to left, so that each run of old slots moves right (by the number of streams inserted before it) into
    // space no unmoved slot still occupies.
    let i = oldN - 1;
    let k = n - 1;
    for (let a = added.length - 1; a >= 0; a--) {
      const id = added[a].streamId;
      const runEnd = i;
      while (i >= 0 && old[i].streamId > id) {
        merged[k] = old[i];
        old[i].index = k--;
        i--;
      }
      if (runEnd > i) leaves.copyWithin((k + 1) * SLOT, (i + 1) * SLOT, (runEnd + 1) * SLOT);
      merged[k] = added[a];
      added[a].index = k--;
    }
    for (; i >= 0; i--) merged[i] = old[i];
    this.entries = merged;
    const first = added[0].index;
    added.length = 0;
    return first;
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
