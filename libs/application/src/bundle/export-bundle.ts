import { itemStream, DomainError } from '@app/custody';
import type { LedgerCore } from '../ledger-core';
import type { CheckpointRecord, CheckpointService } from '../checkpoints/checkpoints';
import { RequestValidationError } from '../errors';
import {
  BUNDLE_FORMAT,
  type BundleEvent,
  type BundleLink,
  type BundleProof,
  type BundleStream,
  type ExportBundle,
} from './bundle';

export class ItemNotFound extends DomainError {
  readonly code = 'ITEM_NOT_FOUND';
  readonly status = 404;
  constructor(itemId: string) {
    super(`no item ${itemId} in the ledger`);
  }
}

/**
 * Builds the export bundle of an item and its copies (the copy tree of the read model): their full streams as
 * stored, the chain links, and an inclusion proof of every event against one signed checkpoint — the latest, or a
 * new one when the latest does not cover every exported event yet (or the one `checkpointFor` chooses), with the
 * cosignatures stored for it.
 */
export const exportBundle = async (
  core: Pick<LedgerCore, 'store' | 'readModels' | 'clock'>,
  checkpoints: CheckpointService,
  itemId: string,
  onProgress?: (done: number, total: number) => void,
  options: {
    proveFrom?: readonly number[];
    /**
     * The checkpoint to prove against, given the tree size the exported events need (default: the latest, or a new
     * one when it does not cover them). The CLI passes {@link witnessedCheckpoint} when witnesses are configured.
     */
    checkpointFor?: (minTreeSize: number) => Promise<CheckpointRecord>;
  } = {},
): Promise<ExportBundle> => {
  await core.readModels.catchUp();
  const items = core.readModels.custody.copyTree(itemId);
  const streams: BundleStream[] = [];
  for (const id of items) {
    const events: BundleEvent[] = await core.store.readStream(itemStream(id));
    if (events.length > 0) streams.push({ streamId: itemStream(id), itemId: id, events });
  }
  if (streams.length === 0 || streams[0].itemId !== itemId) throw new ItemNotFound(itemId);
  const all = streams.flatMap((s) => s.events);
  const leaves = all.map((e) => {
    const leaf = core.readModels.merkle.leafOf(e.eventId);
    if (!leaf) throw new Error(`event ${e.eventId} is not in the Merkle log yet`);
    return leaf;
  });
  const minTreeSize = Math.max(...leaves.map((l) => l.leafIndex)) + 1;
  const checkpoint = await (options.checkpointFor ?? ((n: number) => checkpoints.covering(n - 1)))(minTreeSize);
  if (checkpoint.treeSize < minTreeSize)
    throw new Error(`checkpoint ${checkpoint.treeSize} does not cover the exported events (${minTreeSize} needed)`);
  // In chunks, for the progress bar; within a chunk the proofs share the subtrees they have in common.
  const proofs: BundleProof[] = [];
  for (let i = 0; i < leaves.length; i += 500) {
    onProgress?.(i, leaves.length);
    const chunk = leaves.slice(i, i + 500);
    const paths = core.readModels.merkle.inclusionProofs(
      chunk.map((l) => l.leafIndex),
      checkpoint.treeSize,
    );
    chunk.forEach((leaf, k) =>
      proofs.push({ eventId: leaf.eventId, leafIndex: leaf.leafIndex, leafHash: leaf.leafHash, proof: paths[k] }),
    );
  }
  onProgress?.(leaves.length, leaves.length);
  const links: BundleLink[] = all.map((e) => ({
    eventId: e.eventId,
    streamId: e.streamId,
    revision: e.revision,
    prevHash: String(e.metadata.prevHash),
    hash: String(e.metadata.hash),
  }));
  // For auditors who pinned an earlier size: the proof that this checkpoint's tree extends the tree of that size.
  const proveFrom = options.proveFrom ?? [];
  const bad = proveFrom.find((n) => !Number.isSafeInteger(n) || n < 0 || n > checkpoint.treeSize);
  if (bad !== undefined)
    throw new RequestValidationError([
      {
        field: 'proveFrom',
        reason: `${bad} must be a tree size in [0, ${checkpoint.treeSize}] (the checkpoint's size)`,
      },
    ]);
  const consistency = proveFrom.map((fromSize) => ({
    fromSize,
    toSize: checkpoint.treeSize,
    proof: core.readModels.merkle.consistencyProof(fromSize, checkpoint.treeSize),
  }));
  const { eventId, eventPosition, treeSize, rootHash, position, signedAt, keyId, signature } = checkpoint;
  const heads = streams.map((s) => {
    const p = core.readModels.merkle.streamHeadProof(s.streamId, checkpoint.treeSize);
    if (!p) throw new Error(`stream ${s.streamId} has no head at ${checkpoint.treeSize} events`);
    const { rootHash: _root, ...head } = p;
    return head;
  });
  const cosignatures = (await checkpoints.cosignatureLinesFor?.(checkpoint)) ?? [];
  const keyHandovers = await checkpoints.keyHandovers();
  return {
    format: BUNDLE_FORMAT,
    itemId,
    items: streams.map((s) => s.itemId),
    exportedAt: core.clock.now().toISOString(),
    keyId: checkpoint.keyId,
    checkpoint: {
      treeSize,
      rootHash,
      position,
      signedAt,
      keyId,
      signature,
      eventId,
      eventPosition,
      ...(checkpoint.origin ? { origin: checkpoint.origin } : {}),
      ...(checkpoint.streamsRoot ? { streamsRoot: checkpoint.streamsRoot } : {}),
      ...(checkpoint.note ? { note: checkpoint.note } : {}),
    },
    streams,
    links,
    proofs,
    heads,
    cosignatures,
    keyHandovers,
    ...(consistency.length ? { consistency } : {}),
  };
};
