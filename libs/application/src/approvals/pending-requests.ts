/**
 * Requests awaiting a decision, for the approvers' list (issue 15): copy requests not yet approved (S2 第21条: 复印需
 * 批准), classifications proposed and not reviewed, or endorsed and not approved (S4: 拟定→审核→批准).
 *
 * Read from the item streams themselves (the read models hold only item views, not their open requests): one stream
 * read per item that can hold one, which is what an approver's list needs; a projection can replace it when a ledger
 * holds more items than a page load can fold.
 */
import { foldStream, itemStream, type DomainEvent, type ItemState, type Level } from '@app/custody';
import type { LedgerCore } from '../ledger-core';

export type PendingRequest =
  | {
      kind: 'copy';
      itemId: string;
      title: string;
      level: Level;
      requestId: string;
      copies: number;
      requestedBy: string;
      requestedAt: string;
    }
  | {
      kind: 'classification-review' | 'classification-approval';
      itemId: string;
      title: string;
      level: Level;
      proposedBy: string | null;
      requestedAt: string;
    };

export const pendingRequests = async (core: LedgerCore): Promise<PendingRequest[]> => {
  await core.readModels.catchUp();
  const out: PendingRequest[] = [];
  // Destroyed, declassified and missing items take no copies; a draft is a classification awaiting a decision.
  const items = core.readModels.custody
    .items({})
    .filter((i) => !['destroyed', 'declassified', 'missing'].includes(i.status));
  for (const view of items) {
    const events = await core.store.readStream(itemStream(view.itemId));
    const state = foldStream(itemStream(view.itemId), events as unknown as DomainEvent[]) as ItemState;
    if (state.status === 'none') continue;
    const requestedAt = (type: string, match: (d: Record<string, unknown>) => boolean): string =>
      [...events].reverse().find((e) => e.type === type && match(e.data as Record<string, unknown>))?.metadata
        .occurredAt ?? '';
    if (state.status === 'draft') {
      out.push({
        kind: state.review?.decision === 'endorse' ? 'classification-approval' : 'classification-review',
        itemId: view.itemId,
        title: view.title,
        level: view.level,
        proposedBy: state.proposedBy,
        requestedAt: requestedAt('ClassificationProposed', () => true),
      });
      continue;
    }
    for (const [requestId, r] of Object.entries(state.copyRequests)) {
      if (r.approvedBy !== null || (r as { refusedBy?: string | null }).refusedBy) continue;
      out.push({
        kind: 'copy',
        itemId: view.itemId,
        title: view.title,
        level: view.level,
        requestId,
        copies: r.copies,
        requestedBy: r.requestedBy,
        requestedAt: requestedAt('CopyRequested', (d) => d.requestId === requestId),
      });
    }
  }
  return out.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
};
