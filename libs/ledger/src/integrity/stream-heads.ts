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
import { type Sha256Batch, defaultSha256Batch } from './batch-hash';
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

/**
 * 0 for the UTF-16 code units of lowercase hex digits, 1 for every other: a chain hash is checked with 64 table reads
 * (a third of what /^[0-9a-f]{64}$/ costs, measured) before its characters are written as bytes.
 */
const NOT_HEX = new Uint8Array(0x10000).fill(1);
for (const c of '0123456789abcdef') NOT_HEX[c.charCodeAt(0)] = 0;

/** True for 64 lowercase hex digits: a JSON string member that needs no escaping and whose UTF-8 is its characters. */
const isHex64 = (s: string): boolean => {
  if (s.length !== 64) return false;
  let bad = 0;
  for (let i = 0; i < 64; i++) bad |= NOT_HEX[s.charCodeAt(i)];
  return bad === 0;
};

/**
 * `HEX_PAIR[b]`: the two lowercase hex digits of byte b as one little-endian 16-bit word (the first digit in the low
 * byte), so that a 32-byte chain hash is written as its 64 hex characters with 32 table reads and 32 16-bit stores.
 * Node has no "hex into this buffer at this offset" for bytes (toString('hex') makes a string, which the leaf would
 * then copy in again); this table is the one that does it without the string.
 */
const HEX_PAIR = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, '0');
  HEX_PAIR[b] = digits.charCodeAt(0) | (digits.charCodeAt(1) << 8);
}

/** Buffer's own latin1Write and utf8Write (what write(…, encoding) calls after looking the encoding up): not in @types/node. */
type RawWritable = Buffer & {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
};

/** Bytes a leaf input may take in a {@link LeafBatch} slot: 87 fixed, up to 10 digits, the tail. */
const LEAF_STRIDE = 256;
/** Leaf inputs per call of the hasher: 128 KiB of slots, which stay in the core's cache between the writes and the call. */
const LEAF_CHUNK = 512;

/**
 * The leaf inputs of a flush, `0x00 ‖ {"hash":"<64 hex>","revision":<digits>,"streamId":…}`, assembled as bytes in
 * fixed slots of one reused buffer and hashed a chunk at a time by the tree's {@link Sha256Batch} (one call per 512
 * leaves, not one per leaf): the hot path of a root writes each changed head's hash, revision and cached tail into
 * their places instead of building and encoding a string per leaf (a template string with JSON.stringify cost ~2.5×
 * the hash itself, measured); the constant bytes of every slot are written once. Only heads whose hash is 64
 * lowercase hex digits (every chain hash) or 32 bytes, whose revision is a non-negative 31-bit integer and whose input
 * fits a slot take this path: their canonical text is then of this fixed shape, with no escaping beyond the tail's,
 * which JSON.stringify did once per stream. Anything else is hashed at once from the string. The spec holds both
 * paths to `canonicalize`.
 */
class LeafBatch {
  /** Slot k is bytes [k · 256, k · 256 + 256): 0–9 `0x00{"hash":"`, 10–73 the hash, 74–86 `","revision":`, then the rest. */
  private readonly buf: RawWritable;
  /** {@link buf}'s 16-bit words: a slot's 64 hash digits are 32 words from byte 10 (slots start at even bytes). */
  private readonly pairs: Uint16Array;
  private readonly ranges = new Int32Array(2 * LEAF_CHUNK);
  private readonly offsets = new Int32Array(LEAF_CHUNK);
  private count = 0;
  private out: Buffer = Buffer.alloc(0);

  constructor(private readonly hasher: Sha256Batch) {
    // Its own ArrayBuffer (never the pool's), so that its 16-bit words are aligned.
    const memory = new ArrayBuffer(LEAF_STRIDE * LEAF_CHUNK);
    this.buf = Buffer.from(memory) as RawWritable;
    this.pairs = new Uint16Array(memory);
    for (let k = 0; k < LEAF_CHUNK; k++) {
      this.buf.latin1Write('\u0000{"hash":"', k * LEAF_STRIDE, 10);
      this.buf.latin1Write('","revision":', k * LEAF_STRIDE + 74, 13);
    }
  }

  /** Starts the leaves of a flush, whose digests go to `out` (the tree's leaf level). */
  begin(out: Buffer): void {
    this.out = out;
    this.count = 0;
  }

  /** Hashes the leaves still in the buffer: after it every leaf given since {@link begin} is in `out`. */
  finish(): void {
    if (this.count > 0) this.hasher.many(this.buf, this.ranges, this.count, this.out, this.offsets);
    this.count = 0;
  }

  /**
   * The leaf of the head (`hash` as hex, revision `r`, the stream's `tail` of `tailBytes` UTF-8 bytes), its digest to
   * go to `out` at `offset`.
   */
  leaf(hash: string, r: number, tail: string, tailBytes: number, offset: number): void {
    if (LeafBatch.fits(r, tailBytes) && isHex64(hash)) {
      this.buf.latin1Write(hash, this.count * LEAF_STRIDE + 10, 64);
      this.rest(r, tail, tailBytes, offset);
    } else sha256Into(`\u0000{"hash":${hashMember(hash)},"revision":${r}${tail}`, this.out, offset);
  }

  /** The same for a head whose hash is the 32 bytes of `bytes` at `at` (written here as hex, with {@link HEX_PAIR}). */
  leafOfBytes(bytes: Buffer, at: number, r: number, tail: string, tailBytes: number, offset: number): void {
    if (LeafBatch.fits(r, tailBytes)) {
      const pairs = this.pairs;
      const w = (this.count * LEAF_STRIDE + 10) / 2;
      for (let i = 0; i < HASH_BYTES; i++) pairs[w + i] = HEX_PAIR[bytes[at + i]];
      this.rest(r, tail, tailBytes, offset);
    } else this.leaf(bytes.toString('hex', at, at + HASH_BYTES), r, tail, tailBytes, offset);
  }

  /** A revision of the fixed shape (a non-negative 31-bit integer: at most 10 digits) and an input that fits a slot. */
  private static fits(r: number, tailBytes: number): boolean {
    return r >= 0 && r <= 0x7fffffff && (r | 0) === r && 97 + tailBytes <= LEAF_STRIDE;
  }

  /** Writes the revision's digits and the tail into the current slot and queues it, hashing a full chunk. */
  private rest(r: number, tail: string, tailBytes: number, offset: number): void {
    const buf = this.buf;
    const base = this.count * LEAF_STRIDE;
    let digits = 1;
    for (let p = 10; p <= r && digits < 10; p *= 10) digits++;
    for (let i = base + 86 + digits, v = r; i >= base + 87; i--, v = (v / 10) | 0) buf[i] = 48 + (v % 10);
    // An ASCII tail (the usual stream id) is its own UTF-8: latin1Write is the cheaper of the two writes.
    if (tailBytes === tail.length) buf.latin1Write(tail, base + 87 + digits, tailBytes);
    else buf.utf8Write(tail, base + 87 + digits, tailBytes);
    const c = this.count;
    this.ranges[2 * c] = base;
    this.ranges[2 * c + 1] = base + 87 + digits + tailBytes;
    this.offsets[c] = offset;
    if (++this.count === LEAF_CHUNK) this.finish();
  }
}

const SLOT = HASH_BYTES;

/**
 * A stream's record in {@link StreamHeadsTree}'s `rec`, four numbers by stream number: its revision, the flush epoch
 * of its first append since (it is stale while that is the current epoch), its slot and its tail's UTF-8 length. One
 * record is one half of a cache line: an append and a leaf each reach one line for them, not one per array.
 */
const REC = 4;
const REVISION = 0;
const EPOCH = 1;
const SLOT_OF = 2;
const TAIL_BYTES = 3;

/** An Int32Array holding at least `count` items, keeping the first `keep` of `old` (doubling: amortized O(1)). */
const growInts = (old: Int32Array<ArrayBuffer>, count: number, keep: number): Int32Array<ArrayBuffer> => {
  if (old.length >= count) return old;
  const next = new Int32Array(Math.max(count, 2 * old.length, 16));
  next.set(old.subarray(0, keep));
  return next;
};

/**
 * The stream-heads tree over a set of heads, in memory. `set`/`advance` record that a stream advanced; `root` and
 * `prove` bring the tree up to date first, touching only what changed since.
 *
 * Layout: level l is one flat Buffer of 32-byte slots, slot j holding the perfect subtree of 2^l leaves starting at
 * leaf j·2^l (complete ones only; the RFC 9162 root folds the ragged right edge from them). Slot numbers live in
 * numbers (in each stream's record by stream number, `order` by slot), not in objects, so that placing new streams
 * moves numbers in two dense arrays rather than writing into every entry right of an insertion. A flush places the streams
 * created since the last one (each found by binary search among the placed ids, then all moved in a single
 * right-to-left pass), rehashes only the dirty leaves, and recomputes bottom-up only the nodes above a dirty leaf,
 * plus every node right of the first inserted stream (its leaves moved: a sorted tree cannot avoid that shift).
 * Hashing goes through a {@link Sha256Batch} (the native addon when it is built, else node:crypto) into the slots
 * themselves, a level or a chunk of leaves per call: no Hash object and no Buffer per node.
 */
export class StreamHeadsTree {
  /**
   * Every stream by its number, in order of creation (the streams not yet placed are the newest: numbers from
   * {@link placed} on). The heads live in arrays by number rather than in an object per stream: an append reads the
   * Map and writes one record and one array slot, not a scattered object.
   */
  private readonly sids = new Map<string, number>();
  private readonly ids: string[] = [];
  /**
   * Each stream's last chain hash as hex when the caller gave hex (or bytes of another length); undefined when it
   * gave the 32 bytes, which are then in {@link hashBytes}: copied there (not the caller's Buffer kept: 100k retained
   * Buffers, each with its own ArrayBuffer, cost the GC more than the hex string saved, measured) and written as hex
   * once per flush by the leaf.
   */
  private readonly hashes: (string | undefined)[] = [];
  /** 32 bytes per stream by number: the hashes given as bytes. */
  private hashBytes = Buffer.alloc(16 * HASH_BYTES);
  /** Each stream's record ({@link REC} numbers: revision, epoch, slot, tail length). */
  private rec = new Float64Array(REC * 16);
  /** Flushes so far, plus one: a record whose epoch equals it is stale (records start at 0: none is). */
  private epoch = 1;
  /** {@link streamIdTail} of each stream. */
  private readonly tails: string[] = [];
  /** The stale streams' numbers, in order of their first append since the last flush. */
  private dirtyList = new Int32Array(16);
  private dirtyCount = 0;
  /** Streams placed in the sorted order (numbers below it). */
  private placed = 0;
  /** Stream number in each slot: `rec[REC · order[i] + SLOT_OF] === i`, `levels[0]` slot i is its leaf. */
  private order = new Int32Array(16);
  /** Stream id in each slot (sorted), for the binary searches that place new streams. */
  private readonly sortedIds: string[] = [];
  private levels: Buffer[] = [Buffer.alloc(0)];
  /** Per-slot "changed" marks of the level being recomputed (reused between flushes). */
  private marks = new Uint8Array(0);
  private cachedRoot: string | undefined = EMPTY_ROOT;
  private readonly counted = { leaves: 0, nodes: 0 };
  private readonly hasher: Sha256Batch;
  private readonly leafBatch: LeafBatch;

  /** `hasher`: how the tree hashes (by default the native addon when it loads, else node:crypto: same bytes). */
  constructor(options: { hasher?: Sha256Batch } = {}) {
    this.hasher = options.hasher ?? defaultSha256Batch;
    this.leafBatch = new LeafBatch(this.hasher);
  }

  /** The hasher in use (`native` or `node:crypto`). */
  get hasherName(): Sha256Batch['name'] {
    return this.hasher.name;
  }

  /** SHA-256 computations so far, leaves and interior nodes (the bench compares them with bare hashing). */
  get hashed(): { leaves: number; nodes: number } {
    return { ...this.counted };
  }

  /** Number of streams. */
  get size(): number {
    return this.ids.length;
  }

  /** The head of a stream, or undefined. */
  head(streamId: string): StreamHead | undefined {
    const sid = this.sids.get(streamId);
    return sid === undefined
      ? undefined
      : { streamId, revision: this.rec[REC * sid + REVISION], hash: this.hexOf(sid) };
  }

  /**
   * Records a stream's new head (its event `revision` with chain hash `hash`: hex, or the 32 bytes, which the tree
   * copies).
   */
  set(streamId: string, revision: number, hash: string | Buffer): void {
    const sid = this.sids.get(streamId);
    if (sid === undefined) return this.create(streamId, revision, hash);
    const at = REC * sid;
    this.rec[at + REVISION] = revision;
    this.keep(sid, hash);
    if (this.rec[at + EPOCH] !== this.epoch) this.touch(sid);
  }

  /** Records the next event of a stream (revision = previous + 1, or 0 for a new stream). */
  advance(streamId: string, hash: string): void {
    const sid = this.sids.get(streamId);
    if (sid === undefined) return this.create(streamId, 0, hash);
    this.next(sid, hash);
  }

  /**
   * Records the next event of stream number `no` (revision = previous + 1, or 0 for a new stream), for a caller that
   * numbers its streams densely from 0 in the order they were first seen, as the tree does: stream `no` is then the
   * tree's own stream `no`, and no lookup by id is made. `streamId` is read only when `no` is new (`no === size`); a
   * number beyond that would break the correspondence and throws. `hash` is hex or the 32 bytes, as in {@link set}.
   */
  advanceNumbered(no: number, hash: string | Buffer, streamId?: string): void {
    const n = this.ids.length;
    if (no < n && no >= 0) return this.next(no, hash);
    if (no !== n || streamId === undefined)
      throw new RangeError(`stream number ${no} is not one of the ${n} streams, nor the next with its id`);
    if (this.sids.has(streamId))
      throw new RangeError(`stream ${streamId} already has number ${this.sids.get(streamId)}`);
    this.create(streamId, 0, hash);
  }

  /** The number of a stream (its place in the order the streams were first seen), or undefined. */
  numberOf(streamId: string): number | undefined {
    return this.sids.get(streamId);
  }

  /** Root of the tree (EMPTY_ROOT with no streams), hex. */
  root(): string {
    if (this.cachedRoot === undefined) {
      this.flush();
      const n = this.sortedIds.length;
      this.cachedRoot = n === 0 ? EMPTY_ROOT : rangeHash(this.subtree, 0, n).toString('hex');
    }
    return this.cachedRoot;
  }

  /** The head of `streamId` with its audit path against {@link root}, or null for an unknown stream. */
  prove(streamId: string): StreamHeadProof | null {
    const sid = this.sids.get(streamId);
    if (sid === undefined) return null;
    const rootHash = this.root();
    const n = this.sortedIds.length;
    const index = this.rec[REC * sid + SLOT_OF];
    return {
      head: { streamId, revision: this.rec[REC * sid + REVISION], hash: this.hexOf(sid) },
      leafIndex: index,
      streamCount: n,
      leafHash: this.subtree(index, 1).toString('hex'),
      proof: auditPath(this.subtree, index, n).map((b) => b.toString('hex')),
      rootHash,
    };
  }

  /** Every head, sorted by streamId. */
  all(): StreamHead[] {
    this.flush();
    const out = new Array<StreamHead>(this.sortedIds.length);
    for (let i = 0; i < out.length; i++) {
      const sid = this.order[i];
      out[i] = { streamId: this.ids[sid], revision: this.rec[REC * sid + REVISION], hash: this.hexOf(sid) };
    }
    return out;
  }

  private readonly subtree: PerfectSubtree = (start, size) => {
    const level = Math.round(Math.log2(size));
    const at = (start / size) * SLOT;
    return this.levels[level].subarray(at, at + SLOT);
  };

  /** The next event of known stream `sid`, with chain hash `hash` (by id or by number alike). */
  private next(sid: number, hash: string | Buffer): void {
    const rec = this.rec;
    const at = REC * sid;
    rec[at + REVISION] += 1;
    this.keep(sid, hash);
    // Only the first event of a stream since the last root marks it: the leaf is hashed once, from its last head.
    if (rec[at + EPOCH] !== this.epoch) this.touch(sid);
  }

  /** Records `hash` as stream `sid`'s: 32 bytes into {@link hashBytes}, anything else as hex. */
  private keep(sid: number, hash: string | Buffer): void {
    if (typeof hash === 'string') this.hashes[sid] = hash;
    else if (hash.length === HASH_BYTES) {
      // TypedArray set (a memmove in V8) costs a fifth of a 32-byte loop in JavaScript, measured (~35 against 170 ns).
      this.hashBytes.set(hash, sid * HASH_BYTES);
      this.hashes[sid] = undefined;
    } else this.hashes[sid] = hash.toString('hex');
  }

  /** Stream `sid`'s last chain hash, hex. */
  private hexOf(sid: number): string {
    const at = sid * HASH_BYTES;
    return this.hashes[sid] ?? this.hashBytes.toString('hex', at, at + HASH_BYTES);
  }

  private touch(sid: number): void {
    this.rec[REC * sid + EPOCH] = this.epoch;
    if (this.dirtyCount === this.dirtyList.length)
      this.dirtyList = growInts(this.dirtyList, this.dirtyCount + 1, this.dirtyCount);
    this.dirtyList[this.dirtyCount++] = sid;
    this.cachedRoot = undefined;
  }

  private create(streamId: string, revision: number, hash: string | Buffer): void {
    const sid = this.ids.length;
    if (REC * sid === this.rec.length) {
      const rec = new Float64Array(2 * this.rec.length);
      rec.set(this.rec);
      this.rec = rec;
      const bytes = Buffer.alloc((rec.length / REC) * HASH_BYTES);
      this.hashBytes.copy(bytes);
      this.hashBytes = bytes;
    }
    const tail = streamIdTail(streamId);
    this.sids.set(streamId, sid);
    this.ids.push(streamId);
    this.hashes.push(undefined);
    this.keep(sid, hash);
    this.tails.push(tail);
    this.rec[REC * sid + REVISION] = revision;
    this.rec[REC * sid + TAIL_BYTES] = Buffer.byteLength(tail);
    this.touch(sid);
  }

  /** A level buffer holding at least `count` slots, keeping the first `keep` of `old`. */
  private static grow(old: Buffer, count: number, keep: number): Buffer {
    if (old.length >= count * SLOT) return old;
    // Doubling keeps the copies amortized O(1) per slot.
    // Its own ArrayBuffer (never the pool's), so that its words are aligned (the node:crypto hasher reads them as such).
    const next = Buffer.from(new ArrayBuffer(Math.max(count, 2 * (old.length / SLOT), 16) * SLOT));
    old.copy(next, 0, 0, keep * SLOT);
    return next;
  }

  /** Brings the leaves and the perfect subtrees up to date with the heads set since the last flush. */
  private flush(): void {
    if (this.dirtyCount === 0) return;
    const oldN = this.sortedIds.length;
    // From `shiftFrom` on, leaves moved (streams were inserted before them): every node there is recomputed.
    let shiftFrom = oldN;
    if (this.placed < this.ids.length) shiftFrom = this.place();
    const n = this.sortedIds.length;
    const leaves = this.levels[0];
    if (this.marks.length < n) this.marks = new Uint8Array(Math.max(n, 2 * this.marks.length));
    const { marks, rec, leafBatch, dirtyList, hashes, hashBytes, tails } = this;
    // By stream number: the arrays indexed by it, and the tails (allocated in that order), are then read in address
    // order rather than in order of first append (a native sort of the integers costs less than the misses it saves).
    dirtyList.subarray(0, this.dirtyCount).sort();
    leafBatch.begin(leaves);
    for (let d = 0; d < this.dirtyCount; d++) {
      const sid = dirtyList[d];
      const at = REC * sid;
      const slot = rec[at + SLOT_OF];
      const hex = hashes[sid];
      if (hex === undefined)
        leafBatch.leafOfBytes(hashBytes, sid * SLOT, rec[at + REVISION], tails[sid], rec[at + TAIL_BYTES], slot * SLOT);
      else leafBatch.leaf(hex, rec[at + REVISION], tails[sid], rec[at + TAIL_BYTES], slot * SLOT);
      if (slot < shiftFrom) marks[slot] = 1;
    }
    leafBatch.finish();
    this.counted.leaves += this.dirtyCount;
    this.dirtyCount = 0;
    this.epoch++;
    let hashedNodes = 0;
    let from = shiftFrom;
    for (let level = 1; 2 ** level <= n; level++) {
      const count = Math.floor(n / 2 ** level);
      from = Math.floor(from / 2);
      const keep = Math.min(from, count);
      const nodes = (this.levels[level] = StreamHeadsTree.grow(this.levels[level] ?? Buffer.alloc(0), count, keep));
      // Left of `from`: only the parents of changed slots (marks rewritten in place); from there on every node.
      hashedNodes += this.hasher.level(this.levels[level - 1], nodes, marks, keep, count);
    }
    this.counted.nodes += hashedNodes;
    marks.fill(0, 0, Math.min(n, shiftFrom));
    this.levels.length = Math.max(1, Math.floor(Math.log2(Math.max(1, n))) + 1);
  }

  /**
   * Places the streams created since the last flush among the sorted ones and moves the slots right of each
   * insertion; returns the slot of the first inserted stream. Each new id's place is found by binary search among
   * the placed ids (ids are unique), so a minute with few new streams compares few strings; the new ones are then
   * ordered by place (and by id among those that share one) and everything right of the first is moved in one
   * right-to-left pass over the two slot arrays and the leaves.
   */
  private place(): number {
    const sorted = this.sortedIds;
    const oldN = sorted.length;
    const first = this.placed;
    const a = this.ids.length - first;
    // Each new stream's place (how many placed ids are smaller), as `place · a + i` so that one native numeric sort
    // orders them by place; those sharing a place are then ordered by id.
    const keys = new Float64Array(a);
    for (let i = 0; i < a; i++) {
      const id = this.ids[first + i];
      let lo = 0;
      let hi = oldN;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid] < id) lo = mid + 1;
        else hi = mid;
      }
      keys[i] = lo * a + i;
    }
    keys.sort();
    const added = new Int32Array(a);
    const at = new Int32Array(a);
    for (let i = 0; i < a; i++) {
      const key = keys[i];
      added[i] = first + (key % a);
      at[i] = Math.floor(key / a);
    }
    for (let i = 0; i < a;) {
      let j = i + 1;
      while (j < a && at[j] === at[i]) j++;
      if (j - i > 1) added.subarray(i, j).sort((x, y) => byId(this.ids[x], this.ids[y]));
      i = j;
    }
    const n = oldN + added.length;
    const leaves = (this.levels[0] = StreamHeadsTree.grow(this.levels[0], n, oldN));
    const order = (this.order = growInts(this.order, n, oldN));
    const rec = this.rec;
    sorted.length = n;
    // Right to left, so that each run of old slots moves right (by the number of streams inserted before it) into
    // space no unmoved slot still occupies.
    let i = oldN - 1;
    let k = n - 1;
    for (let q = a - 1; q >= 0; q--) {
      const sid = added[q];
      const p = at[q];
      if (i >= p) {
        const shift = k - i;
        leaves.copyWithin((p + shift) * SLOT, p * SLOT, (i + 1) * SLOT);
        for (let j = i; j >= p; j--) {
          const moved = order[j];
          order[j + shift] = moved;
          rec[REC * moved + SLOT_OF] = j + shift;
          sorted[j + shift] = sorted[j];
        }
        k -= i - p + 1;
        i = p - 1;
      }
      order[k] = sid;
      rec[REC * sid + SLOT_OF] = k;
      sorted[k] = this.ids[sid];
      k--;
    }
    this.placed = this.ids.length;
    return rec[REC * added[0] + SLOT_OF];
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
