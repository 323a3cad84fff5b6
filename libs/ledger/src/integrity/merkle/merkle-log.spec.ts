import { createHash } from 'node:crypto';
import {
  EMPTY_ROOT,
  MemoryLeafStore,
  MerkleFrontier,
  MerkleLog,
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '.';
import { nativeSha256Batch, nodeCryptoSha256Batch } from '../batch-hash';

/*
 * An independent reference written straight from RFC 9162 §2.1: recursive, naive, sharing no code with the
 * library (its own hashing, its own split, its own PATH and PROOF).
 */
const ref = {
  sha: (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest(),
  leaf: (eventHash: Buffer) => ref.sha(Buffer.from([0]), eventHash),
  node: (l: Buffer, r: Buffer) => ref.sha(Buffer.from([1]), l, r),
  k: (n: number) => {
    let k = 1;
    while (k << 1 < n) k <<= 1;
    return k;
  },
  mth(d: Buffer[]): Buffer {
    if (d.length === 0) return ref.sha();
    if (d.length === 1) return d[0];
    const k = ref.k(d.length);
    return ref.node(ref.mth(d.slice(0, k)), ref.mth(d.slice(k)));
  },
  path(m: number, d: Buffer[]): Buffer[] {
    if (d.length <= 1) return [];
    const k = ref.k(d.length);
    return m < k
      ? [...ref.path(m, d.slice(0, k)), ref.mth(d.slice(k))]
      : [...ref.path(m - k, d.slice(k)), ref.mth(d.slice(0, k))];
  },
  subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
    if (m === d.length) return b ? [] : [ref.mth(d)];
    const k = ref.k(d.length);
    return m <= k
      ? [...ref.subproof(m, d.slice(0, k), b), ref.mth(d.slice(k))]
      : [...ref.subproof(m - k, d.slice(k), false), ref.mth(d.slice(0, k))];
  },
  proof: (m: number, d: Buffer[]) => ref.subproof(m, d, true),
};

const hex = (b: Buffer) => b.toString('hex');
const eventHashOf = (i: number) => createHash('sha256').update(`event ${i}`).digest();
const EVENT_HASHES = Array.from({ length: 64 }, (_, i) => eventHashOf(i));
const REF_LEAVES = EVENT_HASHES.map(ref.leaf);
const LEAVES = REF_LEAVES.map(hex);

/** Every variant of a hex hash with one byte changed (its low bit flipped). */
function byteVariants(h: string): string[] {
  const bytes = Buffer.from(h, 'hex');
  return Array.from(bytes.keys(), (pos) => {
    const changed = Buffer.from(bytes);
    changed[pos] ^= 0x01;
    return hex(changed);
  });
}

describe('hashing of leaves and nodes', () => {
  it('prefixes leaves with 0x00 and nodes with 0x01', () => {
    expect(leafHash(hex(EVENT_HASHES[0]))).toBe(hex(ref.leaf(EVENT_HASHES[0])));
    expect(nodeHash(LEAVES[0], LEAVES[1])).toBe(hex(ref.node(REF_LEAVES[0], REF_LEAVES[1])));
  });

  it('gives the empty tree the hash of the empty string', () => {
    expect(EMPTY_ROOT).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(merkleRoot([])).toBe(EMPTY_ROOT);
  });

  it('refuses an event hash that is not 64 lowercase hex characters', () => {
    expect(() => leafHash('AB'.repeat(32))).toThrow(TypeError);
    expect(() => leafHash('ab')).toThrow(TypeError);
  });
});

describe('merkleRoot for every tree size 1..64', () => {
  it('equals the reference MTH', () => {
    for (let n = 1; n <= 64; n++) expect([n, merkleRoot(LEAVES, n)]).toEqual([n, hex(ref.mth(REF_LEAVES.slice(0, n)))]);
  });
});

describe('inclusion proofs for every tree size 1..64 and every index', () => {
  it('equal the reference PATH and verify against the reference root', () => {
    for (let n = 1; n <= 64; n++) {
      const root = hex(ref.mth(REF_LEAVES.slice(0, n)));
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, LEAVES);
        expect(proof).toEqual(ref.path(i, REF_LEAVES.slice(0, n)).map(hex));
        expect(verifyInclusion(LEAVES[i], i, n, proof, root)).toBe(true);
      }
    }
  });

  it('fail when any byte of the proof, the leaf or the root changes, or the index does', () => {
    // Collected rather than asserted one by one: half a million expect() calls would dominate the run time.
    const accepted: string[] = [];
    let tried = 0;
    const mustReject = (what: string, ok: boolean) => {
      tried++;
      if (ok) accepted.push(what);
    };
    for (let n = 1; n <= 64; n++) {
      const root = hex(ref.mth(REF_LEAVES.slice(0, n)));
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, LEAVES);
        const at = `n=${n} i=${i}`;
        for (let e = 0; e < proof.length; e++) {
          for (const changed of byteVariants(proof[e])) {
            mustReject(
              `${at} proof[${e}]`,
              verifyInclusion(
                LEAVES[i],
                i,
                n,
                proof.map((p, x) => (x === e ? changed : p)),
                root,
              ),
            );
          }
        }
        for (const changed of byteVariants(LEAVES[i]))
          mustReject(`${at} leaf`, verifyInclusion(changed, i, n, proof, root));
        for (const changed of byteVariants(root))
          mustReject(`${at} root`, verifyInclusion(LEAVES[i], i, n, proof, changed));
        for (let j = 0; j < n + 2; j++)
          if (j !== i) mustReject(`${at} index ${j}`, verifyInclusion(LEAVES[i], j, n, proof, root));
        // A proof cut short or padded does not verify either.
        if (proof.length > 0) mustReject(`${at} short`, verifyInclusion(LEAVES[i], i, n, proof.slice(0, -1), root));
        mustReject(`${at} long`, verifyInclusion(LEAVES[i], i, n, [...proof, LEAVES[0]], root));
      }
    }
    expect(accepted).toEqual([]);
    // Guards against a loop that silently ran over nothing.
    expect(tried).toBeGreaterThan(100_000);
  });

  it('reject malformed input instead of throwing', () => {
    const proof = inclusionProof(3, 8, LEAVES);
    const root = merkleRoot(LEAVES, 8);
    expect(verifyInclusion(LEAVES[3], 3, 8, proof, root)).toBe(true);
    expect(verifyInclusion(LEAVES[3], -1, 8, proof, root)).toBe(false);
    expect(verifyInclusion(LEAVES[3], 8, 8, proof, root)).toBe(false);
    expect(verifyInclusion(LEAVES[3], 3.5, 8, proof, root)).toBe(false);
    expect(verifyInclusion(LEAVES[3], 3, 8, [...proof.slice(0, 2), 'zz'], root)).toBe(false);
    expect(verifyInclusion(LEAVES[3].toUpperCase(), 3, 8, proof, root)).toBe(false);
  });
});

describe('consistency proofs for every 1 <= m <= n <= 64', () => {
  it('equal the reference PROOF and verify against the reference roots', () => {
    for (let n = 1; n <= 64; n++) {
      const newRoot = hex(ref.mth(REF_LEAVES.slice(0, n)));
      for (let m = 1; m <= n; m++) {
        const oldRoot = hex(ref.mth(REF_LEAVES.slice(0, m)));
        const proof = consistencyProof(m, n, LEAVES);
        expect([m, n, proof]).toEqual([m, n, m === n ? [] : ref.proof(m, REF_LEAVES.slice(0, n)).map(hex)]);
        expect([m, n, verifyConsistency(m, n, oldRoot, newRoot, proof)]).toEqual([m, n, true]);
      }
    }
  });

  it('fail when any byte of the proof or of either root changes, or a size does', () => {
    const accepted: string[] = [];
    let tried = 0;
    const mustReject = (what: string, ok: boolean) => {
      tried++;
      if (ok) accepted.push(what);
    };
    for (let n = 1; n <= 64; n++) {
      const newRoot = hex(ref.mth(REF_LEAVES.slice(0, n)));
      for (let m = 1; m <= n; m++) {
        const oldRoot = hex(ref.mth(REF_LEAVES.slice(0, m)));
        const proof = consistencyProof(m, n, LEAVES);
        const at = `m=${m} n=${n}`;
        for (let e = 0; e < proof.length; e++) {
          for (const changed of byteVariants(proof[e])) {
            mustReject(
              `${at} proof[${e}]`,
              verifyConsistency(
                m,
                n,
                oldRoot,
                newRoot,
                proof.map((p, x) => (x === e ? changed : p)),
              ),
            );
          }
        }
        for (const changed of byteVariants(oldRoot))
          mustReject(`${at} old root`, verifyConsistency(m, n, changed, newRoot, proof));
        for (const changed of byteVariants(newRoot))
          mustReject(`${at} new root`, verifyConsistency(m, n, oldRoot, changed, proof));
        if (m > 1) mustReject(`${at} m-1`, verifyConsistency(m - 1, n, oldRoot, newRoot, proof));
        if (m < n) mustReject(`${at} m+1`, verifyConsistency(m + 1, n, oldRoot, newRoot, proof));
        if (proof.length > 0) mustReject(`${at} short`, verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1)));
        mustReject(`${at} long`, verifyConsistency(m, n, oldRoot, newRoot, [...proof, LEAVES[0]]));
      }
    }
    expect(accepted).toEqual([]);
    expect(tried).toBeGreaterThan(100_000);
  });

  it('fail for a new tree that rewrote an old leaf', () => {
    const forged = [...REF_LEAVES.slice(0, 40)];
    forged[5] = ref.leaf(eventHashOf(999));
    const forgedLeaves = forged.map(hex);
    const oldRoot = merkleRoot(LEAVES, 20);
    const proof = consistencyProof(20, 40, forgedLeaves);
    expect(verifyConsistency(20, 40, oldRoot, merkleRoot(forgedLeaves, 40), proof)).toBe(false);
  });

  it('treat the empty tree and equal sizes as the RFC leaves them', () => {
    const root = merkleRoot(LEAVES, 9);
    expect(consistencyProof(0, 9, LEAVES)).toEqual([]);
    expect(verifyConsistency(0, 9, EMPTY_ROOT, root, [])).toBe(true);
    expect(verifyConsistency(9, 9, root, root, [])).toBe(true);
    expect(verifyConsistency(9, 9, root, merkleRoot(LEAVES, 10), [])).toBe(false);
    expect(verifyConsistency(10, 9, root, root, [])).toBe(false);
  });
});

describe('MerkleLog growing to 64 leaves', () => {
  it.each([1, 2, 4, 30])('agrees with the pure functions at every size (cache from level %i)', (cacheFromLevel) => {
    const log = new MerkleLog(new MemoryLeafStore(), { cacheFromLevel });
    for (let n = 1; n <= 64; n++) {
      expect(log.append(hex(EVENT_HASHES[n - 1]))).toBe(n - 1);
      expect(log.size).toBe(n);
      expect(log.leafHash(n - 1)).toBe(LEAVES[n - 1]);
      expect(log.root()).toBe(merkleRoot(LEAVES, n));
    }
    for (let n = 1; n <= 64; n++) {
      expect(log.root(n)).toBe(merkleRoot(LEAVES, n));
      for (let i = 0; i < n; i++) expect(log.inclusionProof(i, n)).toEqual(inclusionProof(i, n, LEAVES));
      for (let m = 0; m <= n; m++) expect(log.consistencyProof(m, n)).toEqual(consistencyProof(m, n, LEAVES));
    }
    expect(log.root(0)).toBe(EMPTY_ROOT);
  });

  it('refuses proofs beyond its size', () => {
    const log = new MerkleLog();
    for (let i = 0; i < 5; i++) log.append(hex(EVENT_HASHES[i]));
    expect(() => log.inclusionProof(5)).toThrow(RangeError);
    expect(() => log.inclusionProof(0, 6)).toThrow(RangeError);
    expect(() => log.consistencyProof(3, 6)).toThrow(RangeError);
    expect(() => log.root(6)).toThrow(RangeError);
  });
});

describe('MerkleLog of 5,000 leaves', () => {
  const hashes = Array.from({ length: 5000 }, (_, i) => hex(eventHashOf(i)));
  const leaves = hashes.map((h) => hex(ref.leaf(Buffer.from(h, 'hex'))));
  const store = new MemoryLeafStore();
  const log = new MerkleLog(store);
  for (const h of hashes) log.append(h);
  const sizes = [1, 17, 1024, 1025, 3333, 4096, 4999, 5000];

  it('proves inclusion and consistency at earlier sizes, checked by the reference', () => {
    for (const n of sizes) {
      const root = hex(ref.mth(leaves.slice(0, n).map((l) => Buffer.from(l, 'hex'))));
      expect(log.root(n)).toBe(root);
      for (const i of [0, n >> 1, n - 1])
        expect(verifyInclusion(leaves[i], i, n, log.inclusionProof(i, n), root)).toBe(true);
      for (const m of sizes.filter((s) => s <= n)) {
        expect(verifyConsistency(m, n, log.root(m), root, log.consistencyProof(m, n))).toBe(true);
      }
    }
  });

  it('resumes from a persisted leaf store with the same roots and proofs', () => {
    const resumed = new MerkleLog(store);
    expect(resumed.size).toBe(5000);
    expect(resumed.root()).toBe(log.root());
    expect(resumed.inclusionProof(1234, 4321)).toEqual(log.inclusionProof(1234, 4321));
    expect(resumed.consistencyProof(777, 5000)).toEqual(log.consistencyProof(777, 5000));
  });

  it('restores from its cached nodes alone, then grows and proves as the log that never stopped', () => {
    // The cached levels as a read model persists them (told through onCachedNode), at three sizes.
    for (const size of [16, 1025, 3333]) {
      const levels = new Map<number, Buffer[]>();
      const first = new MerkleLog(new MemoryLeafStore(), {
        onCachedNode: (level, index, hash) => {
          const list = levels.get(level) ?? [];
          expect(index).toBe(list.length);
          levels.set(level, [...list, Buffer.from(hash)]);
        },
      });
      for (const h of hashes.slice(0, size)) first.append(h);
      const asked: number[] = [];
      const counting = {
        size: () => store.size(),
        get: (i: number) => (asked.push(i), store.get(i)),
        append: () => undefined,
      };
      const state = { size, levels: new Map([...levels].map(([l, xs]) => [l, Buffer.concat(xs)])) };
      const restored = MerkleLog.restore(counting, state);
      // Only the right edge below the cached levels was read: fewer than 16 leaves, none from the left.
      expect(asked.length).toBeLessThan(16);
      expect(asked.every((i) => i >= size - 16)).toBe(true);
      expect(restored.size).toBe(size);
      expect(restored.root()).toBe(log.root(size));
      for (const h of hashes.slice(size, size + 700)) restored.append(h);
      const n = Math.min(5000, size + 700);
      expect(restored.root()).toBe(log.root(n));
      expect(restored.inclusionProof(size >> 1, n)).toEqual(log.inclusionProof(size >> 1, n));
      expect(restored.consistencyProof(size - 1, n)).toEqual(log.consistencyProof(size - 1, n));
    }
  });

  it('refuses a state whose levels do not add up to its size', () => {
    expect(() => MerkleLog.restore(store, { size: 64, levels: new Map([[4, Buffer.alloc(32 * 3)]]) })).toThrow(
      RangeError,
    );
  });

  it('keeps a frontier root equal to the full tree root', () => {
    const frontier = new MerkleFrontier();
    expect(frontier.root()).toBe(EMPTY_ROOT);
    for (let i = 0; i < 300; i++) frontier.appendEventHash(hashes[i]);
    expect(frontier.root()).toBe(log.root(300));
  });
});

/*
 * The batch append (a page of leaves at once, hashed a level at a time, verify's main thread) against the append of
 * one leaf at a time, through both batch hashers: the same roots at every size, the same cached nodes, the same
 * proofs, from every parity of the size it starts at.
 */
describe.each([
  ['node:crypto', nodeCryptoSha256Batch],
  ['native', nativeSha256Batch],
] as const)('appending leaves in batches (%s hasher)', (name, hasher) => {
  const leaves = Buffer.concat(Array.from({ length: 3000 }, (_, i) => ref.leaf(eventHashOf(i))));
  const leafAt = (i: number) => leaves.subarray(32 * i, 32 * i + 32);

  if (!hasher) {
    it('(the addon is not built here: nothing to compare)', () => expect(name).toBe('native'));
    return;
  }

  it('gives the frontier the roots and the nodes of one leaf at a time, for batches of every size 0..70', () => {
    const oneNodes: string[] = [];
    const one = new MerkleFrontier((level, index, hash) => oneNodes.push(`${level}/${index}/${hex(hash)}`));
    const batchNodes: string[] = [];
    const batch = new MerkleFrontier((level, index, hash) => batchNodes.push(`${level}/${index}/${hex(hash)}`));
    let size = 0;
    for (let count = 0; count <= 70; count++) {
      for (let i = size; i < size + count; i++) one.appendLeaf(leafAt(i));
      batch.appendLeaves(leaves.subarray(32 * size), count, hasher);
      size += count;
      expect(batch.size).toBe(size);
      expect(batch.root()).toBe(one.root());
      expect([...batchNodes].sort()).toEqual([...oneNodes].sort());
    }
    expect(batch.root()).toBe(hex(ref.mth(Array.from({ length: size }, (_, i) => leafAt(i)))));
  });

  it('keeps a MerkleLog equal to one grown a leaf at a time: roots, proofs and cached nodes, in level order', () => {
    const cached = (nodes: string[]) => (level: number, index: number, hash: Buffer) =>
      nodes.push(`${level}/${index}/${hex(hash)}`);
    const oneNodes: string[] = [];
    const one = new MerkleLog(new MemoryLeafStore(), { onCachedNode: cached(oneNodes) });
    const batchNodes: string[] = [];
    const batch = new MerkleLog(new MemoryLeafStore(), { onCachedNode: cached(batchNodes), hasher });
    // Batches of uneven sizes, one of them across a chunk of the leaf store (8,192 leaves would be needed for the
    // store's chunks: its own test below).
    let size = 0;
    for (const count of [1, 2, 5, 16, 17, 100, 1, 0, 511, 1000, 1347]) {
      for (let i = size; i < size + count; i++) one.appendLeaf(leafAt(i));
      expect(batch.appendLeaves(leaves.subarray(32 * size), count)).toBe(size);
      size += count;
      expect(batch.root()).toBe(one.root());
      expect(batch.leafHash(size - 1)).toBe(one.leafHash(size - 1));
    }
    expect(size).toBe(3000);
    expect([...batchNodes].sort()).toEqual([...oneNodes].sort());
    // Within a level, in order of index (a read model's persisted levels rely on it).
    const indices = new Map<number, number>();
    for (const node of batchNodes) {
      const [level, index] = node.split('/').map(Number);
      expect(index).toBe(indices.get(level) ?? 0);
      indices.set(level, index + 1);
    }
    expect(batch.root(1234)).toBe(one.root(1234));
    expect(batch.inclusionProof(2999)).toEqual(one.inclusionProof(2999));
    expect(batch.consistencyProof(1111, 2900)).toEqual(one.consistencyProof(1111, 2900));
  });

  it('refuses a count beyond the bytes given, and leaves the log as it was', () => {
    const log = new MerkleLog(new MemoryLeafStore(), { hasher });
    log.appendLeaves(leaves, 3);
    expect(() => log.appendLeaves(leaves.subarray(0, 64), 3)).toThrow(RangeError);
    expect(() => log.appendLeaves(leaves, -1)).toThrow(RangeError);
    expect(log.size).toBe(3);
    expect(log.root()).toBe(hex(ref.mth([0, 1, 2].map(leafAt))));
  });
});

describe('the memory leaf store, appending many', () => {
  it('keeps leaves across its chunks of 8,192 as one at a time does', () => {
    const many = new MemoryLeafStore();
    const one = new MemoryLeafStore();
    const leaves = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => eventHashOf(i)));
    let at = 0;
    for (const count of [3, 8_189, 1, 8_192, 3_615]) {
      many.appendMany(leaves.subarray(32 * at), count);
      at += count;
    }
    for (let i = 0; i < 20_000; i++) one.append(leaves.subarray(32 * i, 32 * i + 32));
    expect(many.size()).toBe(20_000);
    for (const i of [0, 2, 3, 8_191, 8_192, 8_193, 16_383, 16_384, 19_999]) expect(many.get(i)).toEqual(one.get(i));
    expect(() => many.appendMany(leaves.subarray(0, 40), 2)).toThrow(RangeError);
  });
});
