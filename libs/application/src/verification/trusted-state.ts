/**
 * The auditor's trusted state (contract §4.1): the last checkpoint an auditor verified, kept in a file the auditor
 * holds outside the ledger's data directory. Whoever can write the data directory can cut the log back (with the
 * checkpoints that covered the tail) or rewrite and re-sign all of it; every check inside the directory then passes.
 * Only a memory outside it catches that: the next run must find a signed tree no smaller than the pinned one and
 * consistent with it (RFC 9162 consistency proof from the pinned size, recomputed from the events or carried by a
 * bundle). A failure is `rolled-back` (sizes before and now) or `fork` (size and both roots); the file is advanced
 * only when everything verified.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isHashHex, verifyConsistency } from '@app/ledger';

export const TRUSTED_STATE_FORMAT = 'custody-ledger-trusted-state/1';

/** What the auditor pins: one verified signed checkpoint. */
export interface TrustedState {
  format: typeof TRUSTED_STATE_FORMAT;
  treeSize: number;
  rootHash: string;
  /** The id of the key whose signature on the checkpoint verified. */
  keyId: string;
  signedAt: string;
  /** The checkpoint's signed note text (C2SP tlog-checkpoint), when the ledger's checkpoints carry one. */
  note?: string;
  /** Where it was last verified: `store` (verify) or `bundle` (verify-bundle). */
  source: 'store' | 'bundle';
  /** When the auditor verified it (the auditor's clock; informative only, never checked). */
  verifiedAt: string;
}

/** The facts of a checkpoint the trusted state is compared with (the latest one whose signature verified). */
export interface PinnableCheckpoint {
  treeSize: number;
  rootHash: string;
  keyId: string;
  signedAt: string;
  note?: string;
}

/**
 * - `first-run`: no file yet; the checkpoint is pinned;
 * - `consistent`: the checkpoint extends (or equals) the pinned tree; the file is advanced to it;
 * - `rolled-back`: the signed tree is smaller than the pinned one (or no checkpoint verifies any more);
 * - `fork`: a tree of the pinned size (or one that should extend it) has another root;
 * - `unproven`: a larger tree came with no consistency proof from the pinned size (bundles only), so it cannot be
 *   told apart from a fork;
 * - `nothing-to-pin`: first run and the ledger has no signed checkpoint yet.
 */
export type TrustedStateStatus = 'first-run' | 'consistent' | 'rolled-back' | 'fork' | 'unproven' | 'nothing-to-pin';

export interface TrustedStateFinding {
  status: TrustedStateStatus;
  /** True for the statuses that let the run pass. */
  ok: boolean;
  /** The pinned checkpoint before this run (null on a first run). */
  before: { treeSize: number; rootHash: string } | null;
  /** What the ledger (or bundle) shows now (null when no checkpoint verifies). */
  now: { treeSize: number; rootHash: string } | null;
  /** For `fork`: the size at which the roots differ and both roots. */
  fork?: { treeSize: number; pinnedRoot: string; rootNow: string };
  detail: string;
}

/**
 * A consistency proof from `oldSize` to `newSize` (RFC 9162 §2.1.4), and, when the caller has the whole tree, the
 * root it has at `oldSize` (for naming both roots of a fork). `null`: no proof available.
 */
export interface ConsistencyEvidence {
  proof(oldSize: number, newSize: number): string[] | null;
  rootAt?(size: number): string | null;
}

const ok = (status: TrustedStateStatus): boolean =>
  status === 'first-run' || status === 'consistent' || status === 'nothing-to-pin';

/**
 * Compares the latest verified checkpoint with the pinned one. Pure: no file, no clock. `evidence` supplies the
 * consistency proof (recomputed from the store's events by `verify`; carried in or beside a bundle for
 * `verify-bundle`).
 */
export const compareWithTrustedState = (
  pinned: TrustedState | null,
  latest: PinnableCheckpoint | null,
  evidence: ConsistencyEvidence,
): TrustedStateFinding => {
  const now = latest ? { treeSize: latest.treeSize, rootHash: latest.rootHash } : null;
  const finding = (status: TrustedStateStatus, detail: string, extra: Partial<TrustedStateFinding> = {}) => ({
    status,
    ok: ok(status),
    before: pinned ? { treeSize: pinned.treeSize, rootHash: pinned.rootHash } : null,
    now,
    detail,
    ...extra,
  });
  if (!pinned) {
    return latest
      ? finding('first-run', `pinned the checkpoint of ${latest.treeSize} events (root ${latest.rootHash})`)
      : finding('nothing-to-pin', 'no signed checkpoint verifies yet: nothing was pinned');
  }
  if (!latest) {
    return finding(
      'rolled-back',
      `rolled back: the pinned checkpoint covered ${pinned.treeSize} events; now no signed checkpoint verifies`,
    );
  }
  if (latest.treeSize < pinned.treeSize) {
    return finding(
      'rolled-back',
      `rolled back: the pinned checkpoint covered ${pinned.treeSize} events, the latest signed checkpoint now covers ${latest.treeSize}`,
    );
  }
  const forkAt = (rootNow: string, how: string) =>
    finding('fork', `fork at size ${pinned.treeSize}: pinned root ${pinned.rootHash}, ${how} ${rootNow}`, {
      fork: { treeSize: pinned.treeSize, pinnedRoot: pinned.rootHash, rootNow },
    });
  if (latest.treeSize === pinned.treeSize) {
    return latest.rootHash === pinned.rootHash
      ? finding('consistent', `the latest checkpoint is the pinned one (${pinned.treeSize} events)`)
      : forkAt(latest.rootHash, 'the checkpoint of that size now says');
  }
  const proof = evidence.proof(pinned.treeSize, latest.treeSize);
  if (!proof) {
    return finding(
      'unproven',
      `no consistency proof from the pinned size ${pinned.treeSize} to ${latest.treeSize}: cannot tell it from a fork (export with --prove-from ${pinned.treeSize}, or pass --consistency-proof FILE)`,
    );
  }
  if (verifyConsistency(pinned.treeSize, latest.treeSize, pinned.rootHash, latest.rootHash, proof)) {
    return finding(
      'consistent',
      `the checkpoint of ${latest.treeSize} events extends the pinned tree of ${pinned.treeSize} (consistency proof verified)`,
    );
  }
  const rootNow = evidence.rootAt?.(pinned.treeSize) ?? null;
  return rootNow && rootNow !== pinned.rootHash
    ? forkAt(rootNow, 'the tree recomputed from the events has')
    : finding(
        'fork',
        `fork: the checkpoint of ${latest.treeSize} events (root ${latest.rootHash}) does not extend the pinned tree of ${pinned.treeSize} (root ${pinned.rootHash})`,
        { fork: { treeSize: pinned.treeSize, pinnedRoot: pinned.rootHash, rootNow: rootNow ?? latest.rootHash } },
      );
};

/** The state to write after a passing run: the latest checkpoint (or the pinned one when nothing newer verified). */
export const nextTrustedState = (
  latest: PinnableCheckpoint,
  source: TrustedState['source'],
  verifiedAt: string,
): TrustedState => ({
  format: TRUSTED_STATE_FORMAT,
  treeSize: latest.treeSize,
  rootHash: latest.rootHash,
  keyId: latest.keyId,
  signedAt: latest.signedAt,
  ...(typeof latest.note === 'string' ? { note: latest.note } : {}),
  source,
  verifiedAt,
});

/** The trusted-state file is not one: the run stops rather than overwrite what the auditor kept. */
export class TrustedStateUnreadable extends Error {
  readonly code = 'TRUSTED_STATE_UNREADABLE';
  constructor(file: string, reason: string) {
    super(`trusted state ${file} cannot be used: ${reason} (fix or remove it; it is never overwritten)`);
    this.name = 'TrustedStateUnreadable';
  }
}

/** Reads the auditor's file; null when it does not exist yet. Throws {@link TrustedStateUnreadable} otherwise. */
export const readTrustedState = (file: string): TrustedState | null => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TrustedStateUnreadable(file, (e as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TrustedStateUnreadable(file, 'not JSON');
  }
  const s = parsed as Partial<TrustedState> | null;
  if (s === null || typeof s !== 'object' || s.format !== TRUSTED_STATE_FORMAT)
    throw new TrustedStateUnreadable(file, `format is not ${TRUSTED_STATE_FORMAT}`);
  if (!Number.isSafeInteger(s.treeSize) || (s.treeSize as number) < 0)
    throw new TrustedStateUnreadable(file, 'treeSize must be an integer >= 0');
  if (!isHashHex(s.rootHash)) throw new TrustedStateUnreadable(file, 'rootHash must be 64 lowercase hex characters');
  return s as TrustedState;
};

/**
 * Replaces the file atomically: a temp file beside it, written and fsynced, renamed over the old one, then the
 * directory fsynced so the rename itself survives a crash. A reader sees the old state or the new, never half.
 */
export const writeTrustedState = (file: string, state: TrustedState): void => {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(state, null, 2) + '\n');
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(temp, file);
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  }
};

/** An RFC 9162 consistency proof between two tree sizes, as a bundle carries it or GET /api/ledger/consistency serves it. */
export interface ConsistencyProofRecord {
  fromSize: number;
  toSize: number;
  proof: string[];
}

const isProofRecord = (r: unknown): r is ConsistencyProofRecord => {
  const p = r as Partial<ConsistencyProofRecord> | null;
  return (
    p !== null &&
    typeof p === 'object' &&
    Number.isSafeInteger(p.fromSize) &&
    Number.isSafeInteger(p.toSize) &&
    Array.isArray(p.proof) &&
    p.proof.every(isHashHex)
  );
};

/**
 * Evidence from proofs handed over with a bundle (its `consistency` member, or a file beside it). They need no trust:
 * {@link compareWithTrustedState} checks each against the pinned root and the signed root; malformed ones are ignored.
 */
export const proofsEvidence = (records: readonly unknown[]): ConsistencyEvidence => {
  const valid = records.filter(isProofRecord);
  return {
    proof: (oldSize, newSize) => valid.find((r) => r.fromSize === oldSize && r.toSize === newSize)?.proof ?? null,
  };
};
