/**
 * Deadline derivation (contract §5 "Deadlines are driven by the clock"): which stored event sets or clears which
 * obligation. The scheduler keeps one deadline per key (a later `set` of the same key replaces it) and issues
 * FireDeadline at the due instant; the deciders check again when it fires, so a stale deadline flags nothing.
 */
import type { Deadline } from '../commands';
import type { IncidentEvent } from '../incident/incident.events';
import { investigationDueAt, reportDueAt } from '../incident/incident.state';
import type { InventoryEvent } from '../inventory/inventory.events';
import { addYears, deadlineKey, itemDeadlineChanges } from '../item/item.deadlines';
import { itemStream, parseStream } from '../shared/streams';

export interface StoredEvent {
  streamId: string;
  revision: number;
  type: string;
  // Narrowed by `type` below: each stream kind casts the event to its own union.
  data: unknown;
  occurredAt: string;
}

export interface DeadlineChanges {
  set: Deadline[];
  clear: string[];
}

const none = (): DeadlineChanges => ({ set: [], clear: [] });

const incidentChanges = (stored: StoredEvent): DeadlineChanges => {
  const event = { type: stored.type, data: stored.data } as IncidentEvent;
  const streamId = stored.streamId;
  const leakKey = deadlineKey('LEAK_REPORT_LATE', streamId);
  const investigationKey = deadlineKey('INVESTIGATION_REPORT_LATE', streamId);
  switch (event.type) {
    case 'IncidentOpened': {
      const { incidentId, discoveredAt, itemIds } = event.data;
      const itemId = itemIds[0];
      return {
        set: [
          // TL2024 实施条例 第61条; 004_d1fc20a45ee67265.txt 一事一报 24小时内上报.
          {
            key: leakKey,
            kind: 'LEAK_REPORT_LATE',
            streamId,
            dueAt: reportDueAt(discoveredAt),
            incidentId,
            ...(itemId ? { itemId } : {}),
          },
          // BG99 报告泄露国家秘密事件的规定 第5条: the investigation's written result within 3 months.
          {
            key: investigationKey,
            kind: 'INVESTIGATION_REPORT_LATE',
            streamId,
            dueAt: investigationDueAt(discoveredAt),
            incidentId,
            ...(itemId ? { itemId } : {}),
          },
        ],
        clear: [],
      };
    }
    case 'IncidentReported':
      return { set: [], clear: [leakKey] };
    case 'InvestigationConcluded':
      return { set: [], clear: [investigationKey] };
    // contract §5.1 3: the merged incident's own deadlines end; the one it joined keeps its own.
    case 'IncidentMerged':
      return { set: [], clear: [leakKey, investigationKey] };
    case 'ViolationDetected':
      // A flag meets its obligation: it is never flagged twice.
      if (event.data.code === 'LEAK_REPORT_LATE') return { set: [], clear: [leakKey] };
      if (event.data.code === 'INVESTIGATION_REPORT_LATE') return { set: [], clear: [investigationKey] };
      return none();
    // A joined cause does not move the deadline (一事一报: it counts from the first discovery); closing requires the
    // report, and the investigation's result stays owed (BG99 第5条).
    case 'IncidentCauseAdded':
    case 'RemedialActionRecorded':
    case 'IncidentClosed':
    case 'ViolationResolved':
      return none();
    default: {
      const ignored: never = event;
      void ignored;
      return none();
    }
  }
};

const inventoryChanges = (stored: StoredEvent): DeadlineChanges => {
  const event = { type: stored.type, data: stored.data } as InventoryEvent;
  switch (event.type) {
    case 'ItemSighted': {
      // 001_6188e2007563e3a6.txt (九)清查保密: a TOP_SECRET item is due for an inventory a year after it was last
      // sighted; the item decider checks the level when the deadline fires.
      const { itemId, at } = event.data;
      const streamId = itemStream(itemId);
      return {
        set: [
          {
            key: deadlineKey('TS_INVENTORY_OVERDUE', streamId),
            kind: 'TS_INVENTORY_OVERDUE',
            streamId,
            dueAt: addYears(at ?? stored.occurredAt, 1),
            itemId,
          },
        ],
        clear: [],
      };
    }
    case 'InventoryOpened':
    case 'InventoryClosed':
    case 'ViolationDetected':
    case 'ViolationResolved':
      return none();
    default: {
      const ignored: never = event;
      void ignored;
      return none();
    }
  }
};

/** The deadlines a stored event sets (a `set` replaces any deadline with the same key) and the keys it clears. */
export function deadlineChanges(event: StoredEvent): DeadlineChanges {
  switch (parseStream(event.streamId)?.kind) {
    case 'item':
      return itemDeadlineChanges(event);
    case 'incident':
      return incidentChanges(event);
    case 'inventory':
      return inventoryChanges(event);
    default:
      return none();
  }
}
