import {
  ChainVerifier,
  type FailureReason,
  type TrustedCheckpoint,
  type VerifyResult,
  CheckpointKeyChain,
  isCosignatureBy,
  parseNote,
  parseSignatureLine,
  MerkleLog,
  verifyConsistency,
  CHECKPOINT_STREAM,
  type EventStore,
  type RecordedEvent,
  SqliteEventStore,
  verifySqliteLog,
} from '@app/ledger';
import { checkpointOf, type CheckpointRecord } from '../checkpoints/checkpoints';
import { detectStoreRollback, type AppliedHead, type StoreRollback } from '@app/read-models';
import { cosignedOf } from '../witnesses/witness-publisher';
import { witnessVerifier } from '../witnesses/witness-keys';
import { compareWithTrustedState, type TrustedState, type TrustedStateFinding } from './trusted-state';

/**
 * Reasons beyond the chain walk's (`verify.ts`):
 * - `bad-signature`: a `CheckpointSigned` event whose Ed25519 signature does not verify with the ledger's public key
 *   (forged, edited, or signed by another key); named by that checkpoint event;
 * - `inconsistent-checkpoints`: a checkpoint's tree does not extend the previous checkpoint's (smaller, or no
 *   RFC 9162 consistency proof between the two signed roots); named by the later checkpoint event.
 */
export type LedgerFailureReason = FailureReason | 'bad-signature' | 'inconsistent-checkpoints';

export interface LedgerFailure {
  eventId: string;
  streamId: string;
  revision: number;
  position: number;
  reason: LedgerFailureReason;
  detail: string;
  /** For `checkpoint-mismatch` and `truncated`: the signed checkpoint the recomputed tree disagrees with. */
  checkpoint?: Pick<CheckpointRecord, 'eventId' | 'revision' | 'treeSize' | 'rootHash' | 'signedAt'>;
}

export interface LedgerVerifyResult extends Omit<VerifyResult, 'firstFailure'> {
  checkpoints: {
    /** `CheckpointSigned` events in the store. */
    count: number;
    /** Those whose signature verifies (only they are held against the recomputed tree). */
    signaturesValid: number;
    /** Consecutive valid pairs whose consistency proof verified. */
    consistentPairs: number;
    /** The newest checkpoint with a valid signature. */
    latest: CheckpointRecord | null;
  };
  /** The first divergence in global order, whichever check found it. */
  firstFailure?: LedgerFailure;
  /** With `trustedState` given: how the latest checkpoint compares with the auditor's pinned one. */
  trustedState?: TrustedStateFinding;
  /** With `appliedHead` given: the store is behind what the read models applied (null: it is not). */
  storeRollback?: StoreRollback | null;
  /** With `witnesses` given: which of them co-signed the latest checkpoint, against the quorum. */
  witnesses?: WitnessQuorumFinding;
  /** Key hand-overs followed from the pinned key (contract §4.1 key rotation), oldest first. */
  keyHandovers?: { treeSize: number; keyId: string }[];
}

/** The witness check of `verify --witness NAME=KEY… --quorum N`. */
export interface WitnessQuorumFinding {
  ok: boolean;
  quorum: number;
  /** The latest validly signed checkpoint the cosignatures were checked against. */
  treeSize: number | null;
  /** Named witnesses with a valid cosignature on it. */
  cosigned: string[];
  /** Named witnesses without one. */
  missing: string[];
  detail: string;
}

/** Where consistency proofs between checkpoints come from: the read model's log, else the tree recomputed here. */
export interface ConsistencySource {
  readonly size: number;
  consistencyProof(oldSize: number, newSize: number): string[];
}

export interface LedgerVerifyOptions {
  /** SPKI PEM of the checkpoint key; without it checkpoints are not checked (chains and tree only). */
  publicKeyPem?: string;
  /** The service's Merkle log (read model), for consistency proofs; default: the tree recomputed from the store. */
  merkle?: ConsistencySource;
  onProgress?: (checked: number) => void;
  pageSize?: number;
  /**
   * The auditor's pinned checkpoint (`null`: none yet, a first run). When given, the latest validly signed checkpoint
   * must be no smaller and consistent with it (proof from the tree recomputed here, or `merkle`); see trusted-state.ts.
   */
  trustedState?: TrustedState | null;
  /**
   * What the read models beside the store applied last (contract §4.1, no silent rollback); when given, a store shorter
   * than it or holding another event there fails the run as `storeRollback`.
   */
  appliedHead?: AppliedHead | null;
  /** Witnesses whose cosignatures the latest checkpoint must carry (`publicKey`: vkey, PEM or a file of either). */
  witnesses?: { name: string; publicKey: string }[];
  /** How many of `witnesses` must have co-signed the latest checkpoint (default: all of them). */
  quorum?: number;
  /**
   * Worker threads for the chains of an SQLite store (default: every core, at least 2; 0: walk on this thread). The
   * outcome is the same either way; EventStoreDB is always walked on this thread.
   */
  workers?: number;
}

/** The SQLite file behind the store, when the chains can be walked from it by worker threads. */
const sqliteFileOf = (store: EventStore): string | undefined =>
  store instanceof SqliteEventStore && !store.db.memory && store.db.name ? store.db.name : undefined;

const failureAt = (cp: CheckpointRecord, reason: LedgerFailureReason, detail: string): LedgerFailure => ({
  eventId: cp.eventId,
  streamId: CHECKPOINT_STREAM,
  revision: cp.revision,
  position: cp.eventPosition,
  reason,
  detail,
});

/**
 * The full audit of the store (contract §4, docs/integrity.md §4): every stream's hash chain and the Merkle tree over
 * the global order, recomputed from the stored events; every checkpoint's signature; the recomputed root held to
 * every validly signed checkpoint; consistency between consecutive checkpoints. Names the first divergence in
 * global order (the earliest position), whichever check found it.
 */
export const verifyLedgerIntegrity = async (
  store: EventStore,
  options: LedgerVerifyOptions = {},
): Promise<LedgerVerifyResult> => {
  const signatureFailures: LedgerFailure[] = [];
  const checkpointEvents = options.publicKeyPem ? await store.readStream(CHECKPOINT_STREAM) : [];
  const recorded = checkpointEvents.map(checkpointOf).filter((c): c is CheckpointRecord => c !== null);
  const valid: CheckpointRecord[] = [];
  // From the pinned key, following hand-overs (a checkpoint signed by the key in effect and by the next one).
  const keys = options.publicKeyPem ? new CheckpointKeyChain(options.publicKeyPem) : undefined;
  for (const cp of recorded) {
    const step = keys!.accept(cp);
    if (step.ok) valid.push(cp);
    else
      signatureFailures.push(
        failureAt(
          cp,
          'bad-signature',
          `checkpoint of ${cp.treeSize} events signed at ${cp.signedAt} (key ${cp.keyId}) does not verify with the ledger's public key: ${step.detail}`,
        ),
      );
  }

  // The walk: chains, positions, and the recomputed tree held to every trusted checkpoint.
  const trusted: TrustedCheckpoint[] = valid.map((c) => ({
    treeSize: c.treeSize,
    rootHash: c.rootHash,
    position: c.position,
  }));
  // A full log (not just the frontier) only when the read model's is not given: it serves the consistency proofs.
  const recomputed = options.merkle ? undefined : new MerkleLog();
  const file = options.workers === 0 ? undefined : sqliteFileOf(store);
  const { firstFailure: walkFailure, ...walked } = file
    ? await verifySqliteLog(file, {
        workers: options.workers,
        pageSize: options.pageSize,
        checkpoints: trusted,
        onProgress: options.onProgress,
        leaves: recomputed,
      })
    : await walkOnThisThread(store, trusted, recomputed, options);
  // The walk stops at the size of the checkpoint it disagrees with: the one of that size whose root differs
  // (or, when only the position differs, the first of that size).
  const broken =
    walkFailure?.reason === 'checkpoint-mismatch'
      ? (valid.find((c) => c.treeSize === walked.treeSize && c.rootHash !== walked.rootHash) ??
        valid.find((c) => c.treeSize === walked.treeSize))
      : walkFailure?.reason === 'truncated'
        ? valid.find((c) => c.treeSize > walked.treeSize)
        : undefined;
  if (walkFailure && broken) {
    const { eventId, revision, treeSize, rootHash, signedAt } = broken;
    (walkFailure as LedgerFailure).checkpoint = { eventId, revision, treeSize, rootHash, signedAt };
  }
  // The walk's finding first, so that on a tie of positions it is the one named.
  const failures: LedgerFailure[] = [...(walkFailure ? [walkFailure] : []), ...signatureFailures];

  // Consecutive signed checkpoints: the later tree must extend the earlier one.
  const source: ConsistencySource | undefined = options.merkle ?? recomputed;
  let consistentPairs = 0;
  for (let i = 1; i < valid.length; i++) {
    const [a, b] = [valid[i - 1], valid[i]];
    if (b.treeSize < a.treeSize) {
      failures.push(
        failureAt(
          b,
          'inconsistent-checkpoints',
          `covers ${b.treeSize} events, fewer than the ${a.treeSize} of the checkpoint before it`,
        ),
      );
      continue;
    }
    // Beyond what the source holds (the walk stopped early, or the read model lags) there is nothing to prove with.
    if (!source || source.size < b.treeSize) continue;
    if (
      verifyConsistency(a.treeSize, b.treeSize, a.rootHash, b.rootHash, source.consistencyProof(a.treeSize, b.treeSize))
    )
      consistentPairs++;
    else
      failures.push(
        failureAt(
          b,
          'inconsistent-checkpoints',
          `the tree of ${b.treeSize} events (${b.rootHash}) does not extend the checkpointed tree of ${a.treeSize} (${a.rootHash})`,
        ),
      );
  }

  // A failure with no event (a checkpoint of the empty log) sorts first; ties keep the walk's finding.
  const first = failures.reduce<LedgerFailure | undefined>(
    (best, f) => (!best || f.position < best.position ? f : best),
    undefined,
  );
  const latest = valid[valid.length - 1] ?? null;
  const trustedState =
    options.trustedState === undefined
      ? undefined
      : compareWithTrustedState(options.trustedState, latest, {
          // Only a tree that reaches the newer size can prove anything; the walk stopped short otherwise (and failed).
          proof: (oldSize, newSize) =>
            source && source.size >= newSize ? source.consistencyProof(oldSize, newSize) : null,
          rootAt: (size) => (recomputed && recomputed.size >= size ? recomputed.root(size) : null),
        });
  const storeRollback = options.appliedHead ? await detectStoreRollback(store, options.appliedHead) : undefined;
  const witnesses = options.witnesses
    ? witnessQuorum(latest, checkpointEvents, options.witnesses, options.quorum ?? options.witnesses.length)
    : undefined;
  return {
    ...walked,
    ok: first === undefined && (trustedState?.ok ?? true) && !storeRollback && (witnesses?.ok ?? true),
    checkpoints: {
      count: recorded.length,
      signaturesValid: valid.length,
      consistentPairs,
      latest,
    },
    ...(first ? { firstFailure: first } : {}),
    ...(trustedState ? { trustedState } : {}),
    ...(options.appliedHead !== undefined ? { storeRollback: storeRollback ?? null } : {}),
    ...(witnesses ? { witnesses } : {}),
    ...(keys && keys.handovers.length > 0 ? { keyHandovers: keys.handovers } : {}),
  };
};

/** The chains and the tree walked page by page on this thread (EventStoreDB, or `workers: 0`). */
const walkOnThisThread = async (
  store: EventStore,
  trusted: TrustedCheckpoint[],
  recomputed: MerkleLog | undefined,
  options: LedgerVerifyOptions,
): Promise<VerifyResult> => {
  const verifier = new ChainVerifier({ checkpoints: trusted });
  const pageSize = options.pageSize ?? 2000;
  let after: number | undefined;
  let checked = 0;
  walk: for (;;) {
    const page: RecordedEvent[] = await store.readAll({ after, maxCount: pageSize });
    if (page.length === 0) break;
    for (const e of page) {
      if (!verifier.check(e)) break walk;
      recomputed?.append(String(e.metadata.hash));
    }
    checked += page.length;
    options.onProgress?.(checked);
    if (page.length < pageSize) break;
    after = page[page.length - 1].position;
  }
  return verifier.result();
};

/**
 * Which named witnesses co-signed the latest validly signed checkpoint (C2SP cosignature/v1 over its note text,
 * from the `CheckpointCosigned` events stored beside it). Fails below the quorum, naming the missing witnesses.
 */
export const witnessQuorum = (
  latest: CheckpointRecord | null,
  checkpointEvents: readonly RecordedEvent[],
  named: readonly { name: string; publicKey: string }[],
  quorum: number,
): WitnessQuorumFinding => {
  const cosigned = new Set<string>();
  const text = latest?.note ? parseNote(latest.note).text : null;
  if (latest && text) {
    const verifiers = named.map((w) => witnessVerifier(w.name, w.publicKey));
    for (const e of checkpointEvents) {
      const c = cosignedOf(e);
      if (!c || c.treeSize !== latest.treeSize || c.rootHash !== latest.rootHash) continue;
      const v = verifiers.find((x) => x.name === c.witness);
      try {
        if (v && isCosignatureBy(v, text, parseSignatureLine(c.cosignature))) cosigned.add(v.name);
      } catch {
        // A malformed stored line co-signs nothing.
      }
    }
  }
  const missing = named.map((w) => w.name).filter((n) => !cosigned.has(n));
  const ok = latest !== null && cosigned.size >= quorum;
  const at = latest ? `the latest checkpoint (${latest.treeSize} events)` : 'no signed checkpoint';
  return {
    ok,
    quorum,
    treeSize: latest?.treeSize ?? null,
    cosigned: [...cosigned],
    missing,
    detail: ok
      ? `${cosigned.size} of ${named.length} witnesses co-signed ${at} (quorum ${quorum})`
      : `witness quorum not met: ${cosigned.size} of quorum ${quorum} co-signed ${at}; missing: ${missing.join(', ') || 'none'}`,
  };
};
