import {
  MemoryLeafStore,
  MerkleLog,
  StreamHeadsTree,
  type LeafStore,
  type StreamHead,
  type StreamHeadProof,
} from '@app/ledger';
import type { Db } from '../db/read-model-db';
import { ensureMerkleLeavesTable } from './merkle-leaves.projection';

/** One leaf of the log as the read model stores it. */
export interface MerkleLeafRow {
  leafIndex: number;
  position: number;
  eventId: string;
  streamId: string;
  eventHash: string;
  leafHash: string;
}

interface Row {
  idx: number;
  position: number;
  event_id: string;
  stream_id: string;
  event_hash: string;
  leaf: Buffer;
}

const toLeafRow = (r: Row): MerkleLeafRow => ({
  leafIndex: r.idx,
  position: r.position,
  eventId: r.event_id,
  streamId: r.stream_id,
  eventHash: r.event_hash,
  leafHash: r.leaf.toString('hex'),
});

/**
 * A {@link LeafStore} mirroring the committed rows of `merkle_leaves`: leaves are read from SQLite once and kept in
 * memory (32 bytes each), and `append` (called by {@link MerkleLog.append}) only extends the mirror. The table is
 * written by the projection, never here.
 */
class CommittedLeafStore implements LeafStore {
  private readonly memory = new MemoryLeafStore();
  size(): number {
    return this.memory.size();
  }
  get(index: number): Buffer {
    return this.memory.get(index);
  }
  append(leaf: Buffer): void {
    this.memory.append(leaf);
  }
}

/**
 * The global Merkle log over the read model's `merkle_leaves` table: roots and RFC 9162 proofs at any size up to
 * what is committed. The in-memory tree only ever follows COMMITTED rows: it is advanced lazily, before each read,
 * from rows past its size, outside any transaction (better-sqlite3 is synchronous and the projection runner commits
 * a whole batch in one call, so no read from outside can observe a half-applied batch). Should a read happen inside
 * a batch that then rolls back, or a rebuild clear and replay the table, the next sync finds that its last leaf is
 * no longer the stored one and rebuilds the tree from the table: the cache is never left ahead of what is committed.
 */
export class MerkleIndex {
  private leaves = new CommittedLeafStore();
  private log = new MerkleLog(this.leaves);
  /** The stream heads at the log's size, maintained from the same rows (contract §4.1). */
  private heads = new StreamHeadsTree();
  private readonly stmts;

  constructor(private readonly db: Db) {
    ensureMerkleLeavesTable(db);
    this.stmts = {
      after: db.prepare(`SELECT idx, stream_id, event_hash, leaf FROM merkle_leaves WHERE idx >= ? ORDER BY idx`),
      // Each stream's last leaf below a size: SQLite takes the bare columns from the row of MAX(idx).
      headsBelow: db.prepare(
        `SELECT stream_id, MAX(idx) AS idx, COUNT(*) - 1 AS revision, event_hash FROM merkle_leaves WHERE idx < ? GROUP BY stream_id`,
      ),
      leafAt: db.prepare(`SELECT leaf FROM merkle_leaves WHERE idx = ?`),
      byEvent: db.prepare(`SELECT * FROM merkle_leaves WHERE event_id = ?`),
      byIndex: db.prepare(`SELECT * FROM merkle_leaves WHERE idx = ?`),
      nonCheckpointSince: db.prepare(`SELECT COUNT(*) AS n FROM merkle_leaves WHERE idx >= ? AND stream_id <> ?`),
    };
  }

  /** Brings the in-memory tree up to the committed table; returns the number of leaves. */
  sync(): number {
    const size = this.log.size;
    if (size > 0) {
      const last = this.stmts.leafAt.get(size - 1) as { leaf: Buffer } | undefined;
      // Cleared or replaced by a rebuild: start again from the table.
      if (!last || !last.leaf.equals(this.leaves.get(size - 1))) {
        this.leaves = new CommittedLeafStore();
        this.log = new MerkleLog(this.leaves);
        this.heads = new StreamHeadsTree();
      }
    }
    for (const row of this.stmts.after.iterate(this.log.size) as IterableIterator<
      Pick<Row, 'idx' | 'stream_id' | 'event_hash' | 'leaf'>
    >) {
      if (row.idx !== this.log.size)
        throw new Error(`merkle_leaves has a gap: leaf ${row.idx} where ${this.log.size} was expected`);
      this.log.append(row.event_hash);
      // Revisions are dense from 0 within a stream and leaves follow the global order, so a stream's next leaf is
      // its next revision (verify checks the revisions against the store).
      this.heads.advance(row.stream_id, row.event_hash);
      // The stored leaf must be the leaf of the stored event hash; anything else is a corrupted read model.
      if (!row.leaf.equals(this.leaves.get(row.idx)))
        throw new Error(`merkle_leaves row ${row.idx} does not match its event hash`);
    }
    return this.log.size;
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

  consistencyProof(oldSize: number, newSize: number): string[] {
    this.sync();
    return this.log.consistencyProof(oldSize, newSize);
  }

  /** Root of the stream-heads tree at `size` leaves (default: all committed), hex. */
  streamsRoot(size?: number): string {
    const n = this.sync();
    if (size === undefined || size === n) return this.heads.root();
    return this.streamHeadsTreeAt(size).root();
  }

  /** A stream's head and its proof against the stream-heads root at `size` (default: all); null if unknown there. */
  streamHeadProof(streamId: string, size?: number): StreamHeadProof | null {
    const n = this.sync();
    if (size === undefined || size === n) return this.heads.prove(streamId);
    return this.streamHeadsTreeAt(size).prove(streamId);
  }

  /** Every stream's head at `size` leaves, sorted by streamId. */
  streamHeadsAt(size?: number): StreamHead[] {
    const n = this.sync();
    if (size === undefined || size === n) return this.heads.all();
    return this.streamHeadsTreeAt(size).all();
  }

  /**
   * The stream heads at an earlier size, rebuilt from the table (one grouped scan): only proofs against an older
   * checkpoint need it; the current tree is maintained incrementally.
   */
  private streamHeadsTreeAt(size: number): StreamHeadsTree {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.log.size)
      throw new RangeError(`size must be an integer in [0, ${this.log.size}], got ${size}`);
    const tree = new StreamHeadsTree();
    for (const r of this.stmts.headsBelow.iterate(size) as IterableIterator<{
      stream_id: string;
      revision: number;
      event_hash: string;
    }>)
      tree.set(r.stream_id, r.revision, r.event_hash);
    return tree;
  }

  /** The leaf of an event, or null when the event is not (yet) in the log. */
  leafOf(eventId: string): MerkleLeafRow | null {
    const r = this.stmts.byEvent.get(eventId) as Row | undefined;
    return r ? toLeafRow(r) : null;
  }

  leafAt(leafIndex: number): MerkleLeafRow | null {
    const r = this.stmts.byIndex.get(leafIndex) as Row | undefined;
    return r ? toLeafRow(r) : null;
  }

  /** How many leaves from `fromIndex` on belong to streams other than `streamId` (e.g. other than the checkpoints). */
  countOutsideStream(fromIndex: number, streamId: string): number {
    return (this.stmts.nonCheckpointSince.get(fromIndex, streamId) as { n: number }).n;
  }
}
