import * as fs from 'node:fs';
import {
  compareWithTrustedState,
  nextTrustedState,
  proofsEvidence,
  readTrustedState,
  writeTrustedState,
  type BundleVerifyResult,
  type TrustedState,
  type TrustedStateFinding,
} from '@app/application';

export interface BundleTrustedStateOutcome {
  file: string;
  /** False when the bundle itself failed (nothing compared, nothing recorded). */
  compared: boolean;
  finding?: TrustedStateFinding;
  recorded: boolean;
}

/** Reads the auditor's file before the bundle is verified; a message (exit 2) when it cannot be used. */
export const loadPinned = (file: string): { pinned: TrustedState | null } | { error: string } => {
  try {
    return { pinned: readTrustedState(file) };
  } catch (e) {
    return { error: (e as Error).message };
  }
};

/**
 * `verify-bundle --trusted-state FILE [--consistency-proof FILE]`: a bundle that verified is held to the auditor's
 * pinned checkpoint, with the consistency proofs the bundle carries (`export --prove-from`) and the one in the file
 * (the JSON of GET /api/ledger/consistency). The state is advanced only when both the bundle and the comparison pass.
 */
export const checkBundleTrustedState = (o: {
  file: string;
  pinned: TrustedState | null;
  bundle: unknown;
  result: BundleVerifyResult;
  consistencyProofFile?: string;
}): BundleTrustedStateOutcome => {
  if (!o.result.ok) return { file: o.file, compared: false, recorded: false };
  const b = o.bundle as {
    checkpoint: { treeSize: number; rootHash: string; keyId: string; signedAt: string; note?: string };
    consistency?: unknown[];
  };
  const extra = o.consistencyProofFile ? [JSON.parse(fs.readFileSync(o.consistencyProofFile, 'utf8')) as unknown] : [];
  const checkpoint = {
    treeSize: b.checkpoint.treeSize,
    rootHash: b.checkpoint.rootHash,
    keyId: b.checkpoint.keyId,
    signedAt: b.checkpoint.signedAt,
    ...(typeof b.checkpoint.note === 'string' ? { note: b.checkpoint.note } : {}),
  };
  const finding = compareWithTrustedState(
    o.pinned,
    checkpoint,
    proofsEvidence([...(Array.isArray(b.consistency) ? b.consistency : []), ...extra]),
  );
  // A bundle that proves less than the pinned checkpoint (an older one, when nothing was lost) leaves the file alone.
  const advances = finding.ok && (!o.pinned || checkpoint.treeSize >= o.pinned.treeSize);
  if (advances) writeTrustedState(o.file, nextTrustedState(checkpoint, 'bundle', new Date().toISOString()));
  return { file: o.file, compared: true, finding, recorded: advances };
};
