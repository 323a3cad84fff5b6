export { canonicalize, CanonicalizationError } from './canonical-json';
export { GENESIS_HASH, eventHash, isHashHex, sha256Hex, storedDataText } from './event-hash';
export type { HashedFields } from './event-hash';
// The embedded store's row text and verify's fast path over it (format 2).
export { expandMetadata, storedEventHash, storedTextHash } from '../store/sqlite.row-codec';
export type { StoredEvent } from '../store/sqlite.row-codec';
export { sealEvents, verifyStreamEvents } from './hash-chain';
export { ChainVerifier, verifyEvents, readAllEvents } from './log-verifier';
export { verifySqliteLog } from './parallel-walk';
export type { ParallelWalkOptions, LeafSink } from './parallel-walk';
export type {
  ChainVerifierOptions,
  FailureReason,
  TrustedCheckpoint,
  VerifyFailure,
  VerifyResult,
} from './log-verifier';
export {
  EMPTY_ROOT,
  MerkleFrontier,
  hashLeafBytes,
  MerkleLog,
  MemoryLeafStore,
  consistencyProof,
  inclusionProof,
  leafHash,
  leafHashBytes,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle';
export type { LeafStore, MerkleLogOptions, MerkleLogState } from './merkle';
export {
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  checkpointSigningInput,
  fromPem,
  keyIdOf,
  loadOrCreateSigningKey,
  signCheckpoint,
  verifyCheckpoint,
} from './checkpoint-signer';
export type { CheckpointBody, SignedCheckpoint, SigningKey } from './checkpoint-signer';
export {
  StreamHeadsTree,
  proveStreamHead,
  streamHeadJson,
  streamHeadLeafHex,
  streamHeadsRoot,
  verifyStreamHeadProof,
} from './stream-heads';
export type { StreamHead, StreamHeadProof } from './stream-heads';
export { defaultSha256Batch, nativeSha256Batch, nodeCryptoSha256Batch } from './batch-hash';
export type { Sha256Batch } from './batch-hash';
export {
  CheckpointKeyChain,
  checkpointNoteFacts,
  checkpointNoteProblem,
  ledgerNoteVerifier,
  ledgerVkey,
  signCheckpointNote,
} from './checkpoint-signer';
export type { CheckpointNoteFacts, KeyChainStep } from './checkpoint-signer';
