import { GENESIS_HASH, eventIdFor, sealEvents, type Clock, type EventStore } from '@app/ledger';
import type { ReadModels, StoreRollback } from '@app/read-models';
import { StoreRolledBack } from '../errors';

/**
 * Where an operator's acceptance of a rollback is recorded: an event in this stream of the store itself. Why there and
 * not in a file or the read models: the store is the only source of truth (contract §2), the event is hash-chained and
 * becomes a leaf of the next signed checkpoint, so every later verify, export and witness sees that a rollback was
 * accepted, by whom, from which position and hash to which head. A file in DATA_DIR or a row in the (disposable)
 * read models could be deleted by the same hand that cut the store, leaving no trace. The acceptance hides nothing
 * from an auditor: their trusted state still says rolled-back or fork; this event says why.
 */
export const ROLLBACK_STREAM = 'ledger-rollbacks';
export const ROLLBACK_ACCEPTED = 'RollbackAccepted';

export interface RollbackAcceptedData {
  reason: StoreRollback['reason'];
  /** What the read models had applied: the store was at least this long. */
  applied: StoreRollback['applied'];
  /** The store's head when the rollback was accepted. */
  storeHead: number | null;
  storeEvent: StoreRollback['storeEvent'] | null;
  detail: string;
  acceptedAt: string;
  acceptedBy: string;
  /** Why the operator accepts it (e.g. "restored the 2026-05-31 backup after disk loss"). */
  note: string | null;
}

export interface RebuildOutcome {
  /** The rollback that was accepted (null: the store was not behind the read models). */
  acceptedRollback: RollbackAcceptedData | null;
  /** The acceptance event, as stored. */
  acceptanceEvent: { eventId: string; streamId: string; revision: number; position: number } | null;
  position: number | null;
}

/** Appends the acceptance to {@link ROLLBACK_STREAM}, chained and with the stream's exact revision. */
const recordAcceptance = async (
  store: EventStore,
  data: RollbackAcceptedData,
): Promise<RebuildOutcome['acceptanceEvent']> => {
  const [tail] = await store.readStream(ROLLBACK_STREAM, { direction: 'backwards', maxCount: 1 });
  const revision = tail ? tail.revision : -1;
  const prevHash = tail ? String(tail.metadata.hash) : GENESIS_HASH;
  const commandId = `rollback-accepted:${data.applied.position}:${data.applied.hash}:${data.storeHead ?? 'empty'}`;
  const event = {
    eventId: eventIdFor(commandId, ROLLBACK_STREAM, revision + 1),
    type: ROLLBACK_ACCEPTED,
    data,
    metadata: {
      occurredAt: data.acceptedAt,
      recordedAt: data.acceptedAt,
      actor: data.acceptedBy,
      commandId,
      correlationId: commandId,
      causationId: null,
      schemaVersion: 1,
    },
  };
  const result = await store.append(
    ROLLBACK_STREAM,
    sealEvents(ROLLBACK_STREAM, revision, prevHash, [event]),
    revision,
  );
  const ref = result.events[0];
  return ref
    ? { eventId: ref.eventId, streamId: ROLLBACK_STREAM, revision: ref.revision, position: ref.position }
    : null;
};

/**
 * `rebuild`: drops the read models and replays the store. On a store behind what the read models applied, a plain
 * rebuild would silently forget the only evidence of the cut, so it throws {@link StoreRolledBack}; with
 * `acceptRollback` the operator's acceptance is recorded in the store first (see {@link ROLLBACK_STREAM}).
 */
export const rebuildReadModels = async (
  core: { store: EventStore; readModels: ReadModels; clock: Clock },
  options: { acceptRollback?: boolean; actor: string; note?: string; onProgress?: (position: number) => void },
): Promise<RebuildOutcome> => {
  const rollback = await core.readModels.runner.checkStore();
  if (rollback && !options.acceptRollback) throw new StoreRolledBack(rollback);
  let acceptedRollback: RollbackAcceptedData | null = null;
  let acceptanceEvent: RebuildOutcome['acceptanceEvent'] = null;
  if (rollback) {
    acceptedRollback = {
      reason: rollback.reason,
      applied: rollback.applied,
      storeHead: rollback.storeHead,
      storeEvent: rollback.storeEvent ?? null,
      detail: rollback.detail,
      acceptedAt: core.clock.now().toISOString(),
      acceptedBy: options.actor,
      note: options.note ?? null,
    };
    acceptanceEvent = await recordAcceptance(core.store, acceptedRollback);
  }
  await core.readModels.rebuild(options.onProgress);
  return { acceptedRollback, acceptanceEvent, position: core.readModels.runner.checkpoint ?? null };
};
