/**
 * The global Merkle log (RFC 9162 §2.1) over the events' chain hashes in global order. Leaf i is
 * `sha256(0x00 ‖ hash_i)` where `hash_i` is the 32 raw bytes of the i-th event's `metadata.hash`; an interior node
 * is `sha256(0x01 ‖ left ‖ right)`. Hashes in the API are lowercase hex strings.
 *
 * hashing (leaf, node, empty root) · proof-building (roots, audit paths, consistency proofs) · proof-verification
 * (what an offline verifier needs) · frontier (the right edge: O(log n) append and root) · leaf-store · merkle-log.
 */
export { EMPTY_ROOT, hashLeafBytes, leafHash, leafHashBytes, nodeHash } from './hashing';
export { consistencyProof, inclusionProof, merkleRoot } from './proof-building';
export { verifyConsistency, verifyInclusion } from './proof-verification';
export { MemoryLeafStore, type LeafStore } from './leaf-store';
export { MerkleFrontier } from './frontier';
export { MerkleLog, type MerkleLogOptions, type MerkleLogState } from './merkle-log';
