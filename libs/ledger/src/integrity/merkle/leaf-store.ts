import { HASH_BYTES, checkLeafBytes } from './hashing';

/**
 * Where a {@link MerkleLog} keeps its leaf hashes (32-byte Buffers, in leaf order). In memory by default; a
 * read model can persist them (e.g. a SQLite table) so the log survives restarts without a full replay.
 */
export interface LeafStore {
  size(): number;
  /** The leaf hash at `index` (0 <= index < size()). The log does not keep or mutate the returned Buffer. */
  get(index: number): Buffer;
  append(leaf: Buffer): void;
}

const CHUNK_ENTRIES = 8192; // 256 KiB chunks: no big copies when growing, no per-entry Buffer objects

/** A growable array of 32-byte hashes stored in fixed-size chunks. */
export class HashArray {
  private readonly chunks: Buffer[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  get(index: number): Buffer {
    const chunk = this.chunks[Math.floor(index / CHUNK_ENTRIES)];
    const offset = (index % CHUNK_ENTRIES) * HASH_BYTES;
    return chunk.subarray(offset, offset + HASH_BYTES);
  }

  push(hash: Buffer): void {
    const slot = this.count % CHUNK_ENTRIES;
    if (slot === 0) this.chunks.push(Buffer.allocUnsafe(CHUNK_ENTRIES * HASH_BYTES));
    hash.copy(this.chunks[this.chunks.length - 1], slot * HASH_BYTES, 0, HASH_BYTES);
    this.count += 1;
  }

  /** Pushes `count` hashes laid end to end in `hashes`: a copy per chunk, not per hash. */
  pushMany(hashes: Uint8Array, count: number): void {
    for (let done = 0; done < count;) {
      const slot = this.count % CHUNK_ENTRIES;
      if (slot === 0) this.chunks.push(Buffer.allocUnsafe(CHUNK_ENTRIES * HASH_BYTES));
      const n = Math.min(count - done, CHUNK_ENTRIES - slot);
      this.chunks[this.chunks.length - 1].set(
        hashes.subarray(done * HASH_BYTES, (done + n) * HASH_BYTES),
        slot * HASH_BYTES,
      );
      this.count += n;
      done += n;
    }
  }
}

/** The default {@link LeafStore}: leaves in memory (32 bytes each, chunked). */
export class MemoryLeafStore implements LeafStore {
  private readonly leaves = new HashArray();

  size(): number {
    return this.leaves.length;
  }

  get(index: number): Buffer {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.leaves.length) {
      throw new RangeError(`leaf ${index} out of range [0, ${this.leaves.length})`);
    }
    return this.leaves.get(index);
  }

  append(leaf: Buffer): void {
    if (leaf.length !== HASH_BYTES) throw new TypeError(`a leaf hash is ${HASH_BYTES} bytes, got ${leaf.length}`);
    this.leaves.push(leaf);
  }

  /** Appends `count` leaf hashes laid end to end in `leaves` (copied). */
  appendMany(leaves: Uint8Array, count: number): void {
    checkLeafBytes(leaves, count);
    this.leaves.pushMany(leaves, count);
  }
}
