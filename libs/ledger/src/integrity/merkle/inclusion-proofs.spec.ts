import { MerkleLog } from './merkle-log';
import { sha256Hex } from '../event-hash';
import { verifyInclusion } from './proof-verification';

/** Many proofs at once (an export) are the proofs one at a time, whatever the size and the leaves asked for. */
describe('MerkleLog.inclusionProofs', () => {
  const log = new MerkleLog();
  for (let i = 0; i < 1_000; i++) log.append(sha256Hex(`event ${i}`));

  it.each([1, 2, 15, 16, 17, 255, 333, 1_000])('equals inclusionProof leaf by leaf in a tree of %i', (size) => {
    const indices = Array.from({ length: Math.min(size, 60) }, (_, k) => (k * 7919) % size);
    const proofs = log.inclusionProofs(indices, size);
    expect(proofs).toEqual(indices.map((i) => log.inclusionProof(i, size)));
    indices.forEach((i, k) => expect(verifyInclusion(log.leafHash(i), i, size, proofs[k], log.root(size))).toBe(true));
  });

  it('reads leaves through the getter it is given, and rejects an index outside the tree', () => {
    const asked = new Set<number>();
    const proofs = log.inclusionProofs([3, 700], 999, (i) => {
      asked.add(i);
      return Buffer.from(log.leafHash(i), 'hex');
    });
    expect(proofs).toEqual([log.inclusionProof(3, 999), log.inclusionProof(700, 999)]);
    expect(asked.has(3) || asked.has(2)).toBe(true);
    expect(() => log.inclusionProofs([999], 999)).toThrow(RangeError);
  });
});
