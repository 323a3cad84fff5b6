/**
 * The checkpoint an export proves against when witnesses are configured (issue 10): a bundle is only as strong as
 * the cosignatures on its checkpoint, and `verify-bundle --quorum N` fails a bundle whose checkpoint was signed a
 * moment ago and co-signed by nobody yet. So the export takes the latest checkpoint that covers its events and
 * already carries the quorum of valid stored cosignatures; when none does, it signs one if needed, sends it to the
 * witnesses and waits for the quorum, up to a bounded timeout; past that it refuses, naming the missing witnesses.
 */
import { DomainError } from '@app/custody';
import type { CheckpointRecord, CheckpointService } from '../checkpoints/checkpoints';
import type { WitnessPublisher } from './witness-publisher';

export interface WitnessedCheckpoint {
  checkpoint: CheckpointRecord;
  /** The configured witnesses whose valid cosignature is stored for it. */
  cosignedBy: string[];
  quorum: number;
  /** `stored`: a checkpoint already had the quorum; `waited`: the witnesses co-signed it within the timeout. */
  how: 'stored' | 'waited';
  waitedMs: number;
}

/** No checkpoint covering the events reached the quorum within the timeout: nothing is exported. */
export class WitnessQuorumNotReached extends DomainError {
  readonly code = 'WITNESS_QUORUM_NOT_REACHED';
  readonly status = 503;
  constructor(
    readonly quorum: number,
    readonly cosignedBy: string[],
    readonly missing: { name: string; lastError?: string }[],
    readonly waitedMs: number,
    treeSize: number,
  ) {
    super(
      `no checkpoint covering the events has ${quorum} witness cosignature(s): the checkpoint of ${treeSize} events ` +
        `has ${cosignedBy.length} after waiting ${(waitedMs / 1000).toFixed(1)} s; missing: ` +
        missing.map((m) => (m.lastError ? `${m.name} (${m.lastError})` : m.name)).join(', '),
    );
  }
}

/** The latest checkpoint of at least `minTreeSize` events with `quorum` valid stored cosignatures, or null. */
const latestCosigned = async (
  publisher: WitnessPublisher,
  checkpoints: CheckpointService,
  minTreeSize: number,
  quorum: number,
): Promise<{ checkpoint: CheckpointRecord; cosignedBy: string[] } | null> => {
  const [all, stored] = [await checkpoints.all(), await publisher.stored()];
  for (let i = all.length - 1; i >= 0 && all[i].treeSize >= minTreeSize; i--) {
    const cosignedBy = publisher.cosignersOf(all[i], stored);
    if (all[i].note && cosignedBy.length >= quorum) return { checkpoint: all[i], cosignedBy };
  }
  return null;
};

/**
 * The checkpoint to prove `minTreeSize` events against, co-signed by `quorum` of the publisher's witnesses (see the
 * file comment). Starts the publisher only when it has to wait; stops it before returning.
 */
export const witnessedCheckpoint = async (
  publisher: WitnessPublisher,
  checkpoints: CheckpointService,
  minTreeSize: number,
  options: { quorum: number; timeoutMs: number },
): Promise<WitnessedCheckpoint> => {
  const { quorum, timeoutMs } = options;
  const stored = await latestCosigned(publisher, checkpoints, minTreeSize, quorum);
  if (stored) return { ...stored, quorum, how: 'stored', waitedMs: 0 };
  const started = Date.now();
  try {
    const covering = await checkpoints.covering(minTreeSize - 1);
    await publisher.start();
    await publisher.waitFor(covering.treeSize, timeoutMs, quorum);
  } finally {
    publisher.stop();
  }
  const waitedMs = Date.now() - started;
  const found = await latestCosigned(publisher, checkpoints, minTreeSize, quorum);
  if (found) return { ...found, quorum, how: 'waited', waitedMs };
  const latest = (await checkpoints.latest())!;
  const cosignedBy = publisher.cosignersOf(latest, await publisher.stored());
  const status = new Map(publisher.status().map((s) => [s.name, s]));
  const missing = publisher.names
    .filter((n) => !cosignedBy.includes(n))
    .map((name) => ({ name, ...(status.get(name)?.lastError ? { lastError: status.get(name)!.lastError } : {}) }));
  throw new WitnessQuorumNotReached(quorum, cosignedBy, missing, waitedMs, latest.treeSize);
};
