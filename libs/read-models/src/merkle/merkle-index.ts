import type Database from 'better-sqlite3';
import {
  MerkleLog,
  hashLeafBytes,
  type RecordedEvent,
  StreamHeadsTree,
  type LeafStore,
  type MerkleLogState,
  type StreamHead,
  type StreamHeadProof,
} from '@app/ledger';
import type { Db } from '../db/read-model-db';
import { ensureMerkleLeavesTable, eventKey, eventsFoundByStore, streamNumberOf } from './merkle-leaves.projection';

/** One leaf of the log as the read model stores it (hashes in hex). */
export interface MerkleLeaf {
  leafIndex: number;
  position: number;
  streamId: string;
  eventHash: string;
  leafHash: string;
}

/** A leaf found by its event's id. */
export interface MerkleLeafRow extends MerkleLeaf {
  eventId: string;
}

interface Row {
  idx: number;
  position: number;
  stream_id: string;
  event_hash: Buffer;
}

const toLeaf = (r: Row): MerkleLeaf => ({
  leafIndex: r.idx,
  position: r.position,
  streamId: r.stream_id,
  eventHash: r.event_hash.toString('hex'),
  leafHash: hashLeafBytes(r.event_hash).toString('hex'),
});

/**
 * What the index persists of its own state, beside the leaves, so a start resumes instead of rehashing every leaf
 * (issue 16: 4 s at 1M events) and regrouping every leaf by stream for the stream heads (1–2 s):
 * - `merkle_nodes`: the tree's cached perfect subtrees (16 leaves and up: about 1/8 of a row per leaf);
 * - `merkle_heads`: each stream's head (revision, chain hash) at the persisted size, by its `merkle_streams` number;
 * - `merkle_state`: that size and its last leaf, which must still be the table's leaf there for the rest to be used.
 * All three are a cache of `merkle_leaves` written in one transaction; anything that does not add up is dropped and
 * the tree is recomputed from the leaves, as before.
 */
export const MERKLE_STATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS merkle_heads (stream_no INTEGER PRIMARY KEY, revision INTEGER NOT NULL, event_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS merkle_state (id INTEGER PRIMARY KEY CHECK (id = 0), size INTEGER NOT NULL, last_leaf BLOB);`;

/** The tables of that state: a cache the index writes when it syncs, not a projection (a rebuild need not match them row for row). */
export const MERKLE_STATE_TABLES = ['merkle_nodes', 'merkle_heads', 'merkle_state'] as const;

/** Subtrees of 2^4 leaves and up are cached and persisted; smaller ones are hashed from at most 15 leaves. */
const CACHE_FROM_LEVEL = 4;

/** `a` grown (doubled, at least 1,024) to hold index `i`, its values kept: the arrays kept by stream number. */
const covering = (a: Int32Array, i: number): Int32Array<ArrayBuffer> => {
  const grown = new Int32Array(Math.max(i + 1, 2 * a.length, 1024));
  grown.set(a);
  return grown;
};

/** The RFC 9162 leaf of a stored row, or undefined for no row (a row whose hash is not 32 bytes is damage). */
const leafFrom = (r: { event_hash: Buffer } | undefined): Buffer | undefined => {
  if (!r) return undefined;
  if (!Buffer.isBuffer(r.event_hash) || r.event_hash.length !== 32)
    throw new Error(`merkle_leaves holds an event hash that is not 32 bytes`);
  return hashLeafBytes(r.event_hash);
};

/**
 * A {@link LeafStore} over the committed rows of `merkle_leaves`: a leaf is read from SQLite when a proof below the
 * cached levels needs it (at most 15 per subtree), never all at start and never kept in memory. `append` (called by
 * {@link MerkleLog.appendLeaf}) only counts: the leaf is in its row already.
 */
class CommittedLeafStore implements LeafStore {
  constructor(
    private readonly leafAt: Database.Statement,
    private count = 0,
  ) {}
  size(): number {
    return this.count;
  }
  get(index: number): Buffer {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count)
      throw new RangeError(`leaf ${index} out of range [0, ${this.count})`);
    const leaf = leafFrom(this.leafAt.get(index) as { event_hash: Buffer } | undefined);
    if (!leaf) throw new Error(`merkle_leaves lacks leaf ${index}`);
    return leaf;
  }
  append(): void {
    this.count++;
  }
}

/**
 * The global Merkle log over the read model's `merkle_leaves` table: roots and RFC 9162 proofs at any size up to
 * what is committed. The in-memory tree only ever follows COMMITTED rows: it is advanced lazily, before each read,
 * from rows past its size, outside any transaction (better-sqlite3 is synchronous and the projection runner commits
 * a whole batch in one call, so no read from outside can observe a half-applied batch). Should a read happen inside
 * a batch that then rolls back, or a rebuild clear and replay the table, the next sync finds that its last leaf is
 * no longer the stored one and starts again from what is persisted (or from the table): the cache is never left
 * ahead of what is committed.
 *
 * Memory: the cached nodes (about 4 bytes per leaf) and, once a checkpoint or proof asks for them, the stream heads;
 * the leaves themselves stay in SQLite.
 */
export class MerkleIndex {
  private leaves!: CommittedLeafStore;
  private log!: MerkleLog;
  /** The table's last leaf at the log's size (to notice a rollback or a rebuild under us). */
  private lastLeaf: Buffer | undefined;
  private initialized = false;
  /** The stream heads at the log's size (contract §4.1), loaded from `merkle_heads` when first asked for. */
  private heads: StreamHeadsTree | undefined;
  /**
   * The stream heads at the last earlier size asked for (an export proves every copy's head against one checkpoint,
   * usually older than the log: one grouped scan of the table for all of them, not one per stream). A tree at a size
   * within the log never changes, so it is dropped only when the log starts again.
   */
  private headsAt: { size: number; tree: StreamHeadsTree } | undefined;
  /** What the log learned since the persisted state, written at the next sync outside a transaction. */
  private pendingNodes: [number, number, Buffer][] = [];
  /**
   * The same for the stream heads, by stream number (`merkle_streams`): new leaves per stream and its last hash, and
   * the numbers touched in order. Arrays by number, not a Map by id: a leaf costs no lookup by id here.
   */
  private pendingCount = new Int32Array(0);
  /** Ids of the streams numbered `from` on, read for one sync ({@link streamIdOf}). */
  private newIds: { from: number; list: string[] } | undefined;
  /** The heads tree's number of each `merkle_streams` number, plus one (0: not in the tree yet). */
  private treeNo = new Int32Array(0);
  private pendingHash: Buffer[] = [];
  private pendingList: number[] = [];
  private readonly stmts;
  /** An event's leaf by its id: through `merkle_events`, or the store's position and the leaf there. */
  private readonly byEventId: (eventId: string) => Row | undefined;

  /**
   * `positionOf` is the store's lookup of an event's position by its id (`EventStore.positionOf`), which a file
   * whose events are found through the store needs for {@link leafOf}; a file with `merkle_events` does not use it.
   */
  constructor(
    private readonly db: Db,
    positionOf?: (eventId: string) => number | undefined,
  ) {
    ensureMerkleLeavesTable(db);
    db.exec(MERKLE_STATE_SCHEMA);
    this.stmts = {
      after: db.prepare(`SELECT idx, stream_no, event_hash FROM merkle_leaves WHERE idx >= ? ORDER BY idx`),
      streamIdsFrom: db.prepare(`SELECT stream_id FROM merkle_streams WHERE stream_no >= ? ORDER BY stream_no`).pluck(),
      // Each stream's last leaf below a size: SQLite takes the bare columns from the row of MAX(idx).
      headsBelow: db.prepare(
        `SELECT s.stream_id, g.revision, g.event_hash FROM (SELECT stream_no, MAX(idx) AS idx, COUNT(*) - 1 AS revision,
         event_hash FROM merkle_leaves WHERE idx < ? GROUP BY stream_no) g JOIN merkle_streams s ON s.stream_no = g.stream_no`,
      ),
      leafAt: db.prepare(`SELECT event_hash FROM merkle_leaves WHERE idx = ?`),
      leafRange: db.prepare(`SELECT idx, event_hash FROM merkle_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`),
      positionAt: db.prepare<[number], number>(`SELECT position FROM merkle_leaves WHERE idx = ?`).pluck(),
      // The leaf at a position when positions are dense from the first leaf's: one statement for the usual case.
      byDensePosition: db.prepare(
        `SELECT l.idx, l.position, s.stream_id, l.event_hash FROM merkle_leaves l
         JOIN merkle_streams s ON s.stream_no = l.stream_no
         WHERE l.idx = @position - (SELECT position FROM merkle_leaves WHERE idx = 0) AND l.position = @position`,
      ),
      lastIdx: db.prepare<[], number | null>(`SELECT MAX(idx) FROM merkle_leaves`).pluck(),
      byIndex: db.prepare(
        `SELECT l.idx, l.position, s.stream_id, l.event_hash FROM merkle_leaves l
         JOIN merkle_streams s ON s.stream_no = l.stream_no WHERE l.idx = ?`,
      ),
      nonCheckpointSince: db.prepare(`SELECT COUNT(*) AS n FROM merkle_leaves WHERE idx >= ? AND stream_no <> ?`),
      state: db.prepare(`SELECT size, last_leaf FROM merkle_state WHERE id = 0`),
      nodes: db.prepare(`SELECT level, idx, hash FROM merkle_nodes WHERE level >= ? ORDER BY level, idx`),
      allHeads: db.prepare(
        `SELECT h.stream_no, s.stream_id, h.revision, h.event_hash FROM merkle_heads h
         JOIN merkle_streams s ON s.stream_no = h.stream_no ORDER BY h.stream_no`,
      ),
      putNode: db.prepare(`INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)`),
      putHead: db.prepare(
        `INSERT INTO merkle_heads (stream_no, revision, event_hash) VALUES (?, ? - 1, ?)
         ON CONFLICT (stream_no) DO UPDATE SET revision = revision + excluded.revision + 1, event_hash = excluded.event_hash`,
      ),
      putState: db.prepare(`INSERT OR REPLACE INTO merkle_state (id, size, last_leaf) VALUES (0, ?, ?)`),
    };
    if (!eventsFoundByStore(db)) {
      const byEvent = db.prepare<[Buffer | string], Row>(
        `SELECT l.idx, l.position, s.stream_id, l.event_hash FROM merkle_events e JOIN merkle_leaves l ON l.idx = e.idx
         JOIN merkle_streams s ON s.stream_no = l.stream_no WHERE e.event_id = ?`,
      );
      this.byEventId = (eventId) => byEvent.get(eventKey(eventId));
    } else if (!positionOf)
      this.byEventId = () => {
        throw new Error(`this read-model file finds events through the store: the Merkle index needs its positionOf`);
      };
    else
      this.byEventId = (eventId) => {
        const position = positionOf(eventId);
        if (position === undefined) return undefined;
        const dense = this.stmts.byDensePosition.get({ position }) as Row | undefined;
        if (dense) return dense;
        const idx = this.leafIndexAt(position);
        return idx === undefined ? undefined : (this.stmts.byIndex.get(idx) as Row | undefined);
      };
  }

  /**
   * The index of the leaf at a store position, or undefined when the log has none there (not projected yet). A leaf's
   * position rises with its index, so a binary search finds it in ~20 row reads at a million leaves. Asked only when
   * the guess that positions are dense from the first leaf's (`byDensePosition`: the embedded store numbers them 1,
   * 2, 3…, and only an event whose leaf failed, or a store's rollback, breaks that) found no leaf there.
   */
  private leafIndexAt(position: number): number | undefined {
    const { positionAt, lastIdx } = this.stmts;
    let lo = 0;
    let hi = lastIdx.get() ?? -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = positionAt.get(mid);
      if (at === undefined) throw new Error(`merkle_leaves has a gap at leaf ${mid}`);
      if (at === position) return mid;
      if (at < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** A fresh log at `size` leaves: resumed from `state`, or empty. */
  private startLog(size: number, state?: MerkleLogState): void {
    this.leaves = new CommittedLeafStore(this.stmts.leafAt, size);
    const options = {
      cacheFromLevel: CACHE_FROM_LEVEL,
      onCachedNode: (level: number, index: number, hash: Buffer) => this.pendingNodes.push([level, index, hash]),
    };
    this.log = state ? MerkleLog.restore(this.leaves, state, options) : new MerkleLog(this.leaves, options);
    this.pendingNodes = [];
    this.clearPendingHeads();
    this.heads = undefined;
    this.headsAt = undefined;
    this.initialized = true;
  }

  /**
   * Resumes from the persisted state when it still describes the table (its last leaf is the table's leaf there and
   * every cached level holds its nodes); otherwise drops it and starts from an empty tree, to be replayed.
   */
  private resume(): void {
    const state = this.stmts.state.get() as { size: number; last_leaf: Buffer | null } | undefined;
    if (state && state.size > 0 && state.last_leaf) {
      const stored = this.leafAtRow(state.size - 1);
      if (stored?.equals(state.last_leaf)) {
        const chunks = new Map<number, Buffer[]>();
        let ok = true;
        for (const r of this.stmts.nodes.iterate(CACHE_FROM_LEVEL) as IterableIterator<{
          level: number;
          idx: number;
          hash: Buffer;
        }>) {
          const list = chunks.get(r.level) ?? [];
          if (r.idx !== list.length) ok = false;
          list.push(r.hash);
          chunks.set(r.level, list);
        }
        const levels = new Map<number, Buffer>();
        for (const [level, list] of chunks) levels.set(level, Buffer.concat(list));
        if (ok) {
          try {
            this.startLog(state.size, { size: state.size, levels });
            this.lastLeaf = state.last_leaf;
            return;
          } catch {
            // The levels do not add up to the size: fall through and recompute from the leaves.
          }
        }
      }
    }
    this.db.transaction(() => {
      for (const t of MERKLE_STATE_TABLES) this.db.exec(`DELETE FROM ${t}`);
    })();
    this.startLog(0);
    this.lastLeaf = undefined;
  }

  /** Brings the in-memory tree up to the committed table; returns the number of leaves. */
  sync(): number {
    if (!this.initialized) this.resume();
    if (this.log.size > 0) {
      const last = this.leafAtRow(this.log.size - 1);
      // Cleared or replaced by a rebuild, or a batch read from inside rolled back: start again from what is persisted.
      if (!last || !this.lastLeaf || !last.equals(this.lastLeaf)) this.resume();
    }
    for (const row of this.stmts.after.iterate(this.log.size) as IterableIterator<
      Pick<Row, 'idx' | 'event_hash'> & { stream_no: number }
    >) {
      if (row.idx !== this.log.size)
        throw new Error(`merkle_leaves has a gap: leaf ${row.idx} where ${this.log.size} was expected`);
      const leaf = leafFrom(row)!;
      this.log.appendLeaf(leaf);
      this.lastLeaf = leaf;
      this.advanceHead(row.stream_no, row.event_hash);
    }
    this.newIds = undefined;
    this.persist();
    return this.log.size;
  }

  /**
   * Appends the leaves of `events` without reading their rows back: for a rebuild, which has just committed exactly
   * these events through the merkle-leaves projection into an otherwise untouched file, and would otherwise read
   * every row a second time for the first sync (13 % of a rebuild's CPU, issue 16). The caller vouches that the
   * table's rows past the log's size are these events in order (a page with a projection failure is synced from the
   * table instead); should that be wrong, the next sync finds its last leaf is not the table's and starts again.
   */
  appendCommitted(events: readonly RecordedEvent[]): void {
    if (!this.initialized) this.resume();
    for (const event of events) {
      const eventHash = Buffer.from(event.metadata.hash, 'hex');
      const leaf = hashLeafBytes(eventHash);
      this.log.appendLeaf(leaf);
      this.lastLeaf = leaf;
      // The projection numbered the stream when it wrote this leaf: its cache answers (the rebuild's one lookup by id).
      const no = streamNumberOf(this.db, event.streamId);
      if (no === undefined) throw new Error(`merkle_streams lacks ${event.streamId}, whose leaf was just committed`);
      this.advanceHead(no, eventHash, event.streamId);
    }
  }

  /**
   * A leaf of stream number `no` (revisions are dense from 0 within a stream and leaves follow the global order, so
   * a stream's next leaf is its next revision; verify checks the revisions against the store): the heads tree, when
   * loaded, moves on by number (its streams are numbered in the same first-seen order as `merkle_streams`, so number
   * `no` is its own stream `no`), and the pending heads by number. `streamId` is looked up only for a new stream.
   */
  private advanceHead(no: number, eventHash: Buffer, streamId?: string): void {
    if (this.heads) this.advanceTree(this.heads, no, eventHash, streamId);
    if (no >= this.pendingCount.length) this.pendingCount = covering(this.pendingCount, no);
    if (this.pendingCount[no]++ === 0) this.pendingList.push(no);
    this.pendingHash[no] = eventHash;
  }

  /** The tree copies the 32 bytes and writes their hex itself at the next root: no hex string per leaf here. */
  private advanceTree(heads: StreamHeadsTree, no: number, eventHash: Buffer, streamId?: string): void {
    const known = this.treeNo[no];
    if (known > 0) heads.advanceNumbered(known - 1, eventHash);
    else this.firstInTree(heads, no, eventHash, streamId);
  }

  /**
   * A stream number the tree has not been told of: its id found once (the caller's, or `merkle_streams`), the tree's
   * number for it recorded. Numbers are first-seen order in both, so the map is the identity on a table the
   * projection wrote; it is kept rather than assumed so that a table with other numbers (rows deleted by hand, a file
   * written by another version) gives the same roots, never a wrong one.
   */
  private firstInTree(heads: StreamHeadsTree, no: number, hash: string | Buffer, streamId?: string): void {
    const id = streamId ?? this.streamIdOf(no);
    if (id === undefined) throw new Error(`merkle_streams lacks stream ${no}, which merkle_leaves names`);
    const tno = heads.numberOf(id) ?? heads.size;
    heads.advanceNumbered(tno, hash, id);
    this.mapToTree(no, tno);
  }

  /**
   * The id of stream number `no`. The numbers new to the tree in one sync are the table's last ones, in order (a
   * checkpoint's sync meets a minute's new streams, ~6,000): they are read in one range query, not one each.
   */
  private streamIdOf(no: number): string | undefined {
    let ids = this.newIds;
    if (!ids || no < ids.from || no >= ids.from + ids.list.length) {
      ids = { from: no, list: this.stmts.streamIdsFrom.all(no) as string[] };
      if (ids.list.length === 0) return undefined;
      this.newIds = ids;
    }
    return ids.list[no - ids.from];
  }

  private mapToTree(no: number, tno: number): void {
    if (no >= this.treeNo.length) this.treeNo = covering(this.treeNo, no);
    this.treeNo[no] = tno + 1;
  }

  private clearPendingHeads(): void {
    for (const no of this.pendingList) {
      this.pendingCount[no] = 0;
      this.pendingHash[no] = undefined as unknown as Buffer;
    }
    this.pendingList = [];
  }

  /**
   * Writes what the log learned since the persisted state, in one transaction. Not inside someone else's
   * transaction (a read from inside a projection batch): that batch may still roll back, so it waits for the next sync.
   */
  private persist(): void {
    if (this.db.inTransaction || (this.pendingNodes.length === 0 && this.pendingList.length === 0)) return;
    const { putNode, putHead, putState } = this.stmts;
    this.db.transaction(() => {
      for (const [level, idx, hash] of this.pendingNodes) putNode.run(level, idx, hash);
      // `revision` carries the count of new leaves: a new stream starts at count - 1, a known one moves by count.
      for (const no of this.pendingList) putHead.run(no, this.pendingCount[no], this.pendingHash[no]);
      putState.run(this.log.size, this.lastLeaf ?? null);
    })();
    this.pendingNodes = [];
    this.clearPendingHeads();
  }

  /** The current stream heads, loaded from `merkle_heads` (persisted at the log's size by the last sync). */
  private currentHeads(): StreamHeadsTree {
    this.sync();
    if (!this.heads) {
      const tree = new StreamHeadsTree();
      // In number order: the tree numbers its streams as it first sees them, so its stream n is `merkle_streams`' n.
      this.treeNo = new Int32Array(0);
      for (const r of this.stmts.allHeads.iterate() as IterableIterator<{
        stream_no: number;
        stream_id: string;
        revision: number;
        event_hash: Buffer;
      }>) {
        tree.set(r.stream_id, r.revision, r.event_hash);
        this.mapToTree(r.stream_no, tree.numberOf(r.stream_id)!);
      }
      this.heads = tree;
      // Leaves synced but not yet persisted (a sync from inside a transaction) move their streams on, one revision a
      // leaf (only the last one's hash is the head's), new streams in number order.
      for (const no of [...this.pendingList].sort((a, b) => a - b)) {
        const hash = this.pendingHash[no];
        for (let k = this.pendingCount[no]; k > 0; k--) this.advanceTree(tree, no, hash);
      }
    }
    return this.heads;
  }

  /** Leaves committed so far. */
  get size(): number {
    return this.sync();
  }

  root(size?: number): string {
    this.sync();
    return this.log.root(size);
  }

  inclusionProof(leafIndex: number, treeSize: number): string[] {
    this.sync();
    return this.log.inclusionProof(leafIndex, treeSize);
  }

  /** Inclusion proofs of many leaves against one tree size, the subtrees they share hashed once (an export). */
  inclusionProofs(leafIndices: readonly number[], treeSize: number): string[][] {
    this.sync();
    // A path hashes the uncached subtrees beside its leaf and at the tree's right edge from at most 16 leaves each:
    // those blocks are read in one query apiece, not a leaf at a time.
    const block = 1 << CACHE_FROM_LEVEL;
    const starts = new Set<number>([Math.floor((treeSize - 1) / block) * block]);
    for (const i of leafIndices) starts.add(Math.floor(i / block) * block);
    const leaves = new Map<number, Buffer>();
    for (const start of starts)
      for (const r of this.stmts.leafRange.iterate(start, Math.min(start + block, treeSize)) as IterableIterator<{
        idx: number;
        event_hash: Buffer;
      }>)
        leaves.set(r.idx, leafFrom(r)!);
    return this.log.inclusionProofs(leafIndices, treeSize, (i) => leaves.get(i) ?? this.leaves.get(i));
  }

  consistencyProof(oldSize: number, newSize: number): string[] {
    this.sync();
    return this.log.consistencyProof(oldSize, newSize);
  }

  /** Root of the stream-heads tree at `size` leaves (default: all committed), hex. */
  streamsRoot(size?: number): string {
    const n = this.sync();
    if (size === undefined || size === n) return this.currentHeads().root();
    return this.streamHeadsTreeAt(size).root();
  }

  /** A stream's head and its proof against the stream-heads root at `size` (default: all); null if unknown there. */
  streamHeadProof(streamId: string, size?: number): StreamHeadProof | null {
    const n = this.sync();
    if (size === undefined || size === n) return this.currentHeads().prove(streamId);
    return this.streamHeadsTreeAt(size).prove(streamId);
  }

  /** Every stream's head at `size` leaves, sorted by streamId. */
  streamHeadsAt(size?: number): StreamHead[] {
    const n = this.sync();
    if (size === undefined || size === n) return this.currentHeads().all();
    return this.streamHeadsTreeAt(size).all();
  }

  /**
   * The stream heads at an earlier size, rebuilt from the table (one grouped scan): only proofs against an older
   * checkpoint need it; the current tree is maintained incrementally.
   */
  private streamHeadsTreeAt(size: number): StreamHeadsTree {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.log.size)
      throw new RangeError(`size must be an integer in [0, ${this.log.size}], got ${size}`);
    if (this.headsAt?.size === size) return this.headsAt.tree;
    const tree = new StreamHeadsTree();
    for (const r of this.stmts.headsBelow.iterate(size) as IterableIterator<{
      stream_id: string;
      revision: number;
      event_hash: Buffer;
    }>)
      tree.set(r.stream_id, r.revision, r.event_hash);
    this.headsAt = { size, tree };
    return tree;
  }

  /** The leaf of an event, or null when the event is not (yet) in the log. */
  leafOf(eventId: string): MerkleLeafRow | null {
    const r = this.byEventId(eventId);
    return r ? { ...toLeaf(r), eventId } : null;
  }

  leafAt(leafIndex: number): MerkleLeaf | null {
    const r = this.stmts.byIndex.get(leafIndex) as Row | undefined;
    return r ? toLeaf(r) : null;
  }

  /** The leaf hash at `index` from its row, or undefined when there is no such row. */
  private leafAtRow(index: number): Buffer | undefined {
    return leafFrom(this.stmts.leafAt.get(index) as { event_hash: Buffer } | undefined);
  }

  /** How many leaves from `fromIndex` on belong to streams other than `streamId` (e.g. other than the checkpoints). */
  countOutsideStream(fromIndex: number, streamId: string): number {
    // A stream the log has not seen has no number: every leaf counts (-1 is no stream's number).
    const no = streamNumberOf(this.db, streamId) ?? -1;
    return (this.stmts.nonCheckpointSince.get(fromIndex, no) as { n: number }).n;
  }
}
