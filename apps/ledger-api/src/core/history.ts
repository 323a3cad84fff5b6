import type { RecordedEvent } from '@app/ledger/store/event-store.port';
import { GENESIS_HASH, eventHash } from '@app/ledger/integrity/hash-chain';
import { evolveStream, initialStateOf } from '@app/custody/domain';
import { itemView } from '@app/custody/item';
import { itemStream } from '@app/custody/shared/streams';
import type { ItemView } from '@app/custody/shared/views';
import type { DomainEvent } from '@app/custody/shared/command';
import type { LedgerCore } from './ledger-core';

export interface HistoryEvent {
  eventId: string;
  streamId: string;
  itemId: string;
  revision: number;
  position: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actor: string;
  commandId: string;
  data: unknown;
  /** Violations recorded by the same command (beside this fact). */
  violations: string[];
  /** The event's hash recomputes and links to its predecessor. */
  verified: boolean;
}

export interface HistoryOptions {
  /** As the ledger knew it at T: events recorded at or before T. */
  asOf?: string;
  /** As the world was at T: events that occurred at or before T. */
  occurredBefore?: string;
  /** Include the item's copies and their copies. */
  copies?: boolean;
}

/** An item's full history (optionally with its copy tree), each event with its verification state. */
export const readHistory = async (core: LedgerCore, itemId: string, options: HistoryOptions = {}) => {
  await core.readModels.catchUp();
  const root = await core.store.readStream(itemStream(itemId));
  if (root.length === 0) return null;
  const ids = options.copies ? core.readModels.custody.copyTree(itemId) : [itemId];
  const asOf = options.asOf ? new Date(options.asOf).getTime() : undefined;
  const before = options.occurredBefore ? new Date(options.occurredBefore).getTime() : undefined;
  const events: HistoryEvent[] = [];
  const states: Record<string, ItemView | null> = {};
  for (const id of ids) {
    const stream = id === itemId ? root : await core.store.readStream(itemStream(id));
    let prev = GENESIS_HASH;
    let state = initialStateOf(itemStream(id));
    const verifiedList = stream.map((e: RecordedEvent) => {
      const { hash, ...rest } = e.metadata;
      const ok = rest.prevHash === prev && eventHash(prev, { streamId: e.streamId, revision: e.revision, eventId: e.eventId, type: e.type, data: e.data, metadata: rest }) === hash;
      prev = String(hash);
      return ok;
    });
    stream.forEach((e, i) => {
      if (asOf !== undefined && new Date(e.metadata.recordedAt).getTime() > asOf) return;
      if (before !== undefined && new Date(e.metadata.occurredAt).getTime() > before) return;
      state = evolveStream(e.streamId, state, e as DomainEvent);
      events.push({
        eventId: e.eventId, streamId: e.streamId, itemId: id, revision: e.revision, position: e.position, type: e.type,
        occurredAt: e.metadata.occurredAt, recordedAt: e.metadata.recordedAt, actor: e.metadata.actor, commandId: e.metadata.commandId,
        data: e.data, violations: [], verified: verifiedList[i],
      });
    });
    states[id] = itemView(state as never);
  }
  // Violations recorded by the same command sit beside the fact they concern.
  for (const e of events) {
    if (e.type !== 'ViolationDetected') continue;
    const fact = events.find((f) => f.commandId === e.commandId && f.streamId === e.streamId && f.type !== 'ViolationDetected');
    if (fact) fact.violations.push((e.data as { code: string }).code);
  }
  const order = before !== undefined ? (e: HistoryEvent) => new Date(e.occurredAt).getTime() : (e: HistoryEvent) => e.position;
  events.sort((a, b) => order(a) - order(b) || a.position - b.position);
  return { itemId, asOf: options.asOf ?? null, occurredBefore: options.occurredBefore ?? null, state: states[itemId], copies: ids.slice(1).map((id) => states[id]), events };
};
