/**
 * Which rule breaks open incidents, and how they open or join one (contract §5 "Leak").
 *
 * BG99 报告泄露国家秘密事件的规定 第2条: a leak is (a) the item became known to someone not entitled, or (b) it went
 * beyond its permitted range and nobody can show no unentitled person learned it. 004_d1fc20a45ee67265.txt 一事一报:
 * one event, one report — a cause on an item whose incident has not been reported yet joins it, and its deadline
 * stays counted from the first discovery; after the report a new cause opens a new incident (contract §5.1 3).
 * TL2024 实施条例 第61条 (发现后24小时内): an incident opened here is discovered when the ledger records the fact that
 * reveals it (contract §5.1 1), so a paper log typed in late is due 24 hours after it was entered.
 */
import type { Command, DecisionContext, IncidentKind, Needs, StreamEvents } from '../shared/command';
import { incidentStream } from '../shared/streams';
import type { PlaceKind } from '../shared/vocabulary';
import { writeTo } from './input';
import type { IncidentEvent } from './incident.events';
import { graver, type IncidentState } from './incident.state';

export interface IncidentCause {
  itemId: string;
  code: string;
  violationId: string | null;
  personId?: string | null;
}

/** Places outside the unit's control: what reaches them went beyond the permitted range (BG99 第2条 (b)). */
export const BEYOND_RANGE: readonly PlaceKind[] = ['public', 'home', 'external'];

/** The incident kind a violation code (or 'ItemLost') opens, or null. destinationKind matters for CARRY_OUT_UNAPPROVED. */
export function incidentKindFor(code: string, detail?: { destinationKind?: PlaceKind }): IncidentKind | null {
  switch (code) {
    // BG99 第2条 (a): known to someone not entitled.
    case 'OUT_OF_SCOPE_ACCESS':
    case 'ACCESS_AFTER_DEPARTURE':
      return 'leak';
    // BG99 第2条 (b): beyond the permitted range, nobody can show it stayed unread. 001_6188e2007563e3a6.txt:
    // never carried to public places or home; ordinary post/express/e-mail are not confidential channels.
    case 'INSECURE_CHANNEL':
      return 'suspected-leak';
    // contract §5.1 point 10: an unapproved gate exit with no bring-back within the window (the gate does not know
    // where the item went, so it is treated as having left the unit's control).
    case 'ITEM_NOT_BROUGHT_BACK':
      return 'suspected-leak';
    // BG99 第2条 (b) / contract §5.1 point 10: an unapproved carry-out to a public place, a home or outside the unit
    // (an `external` place) is beyond the permitted range. 000_45e41dba1b6a5da7.txt 不私自销毁 / §5.1 point 8: so is a
    // destruction at such a place.
    case 'CARRY_OUT_UNAPPROVED':
    case 'DESTRUCTION_PLACE_NOT_APPROVED':
      return detail?.destinationKind && BEYOND_RANGE.includes(detail.destinationKind) ? 'suspected-leak' : null;
    // 001_6188e2007563e3a6.txt 清查保密: 若发现有丢失的,要及时追查处理.
    case 'ITEM_MISSING':
    case 'ItemLost':
    case 'RecordLoss':
      return 'loss';
    default:
      return null;
  }
}

/** The id of the incident a command opens for an item: derived, so a retried command opens nothing twice. */
export const newIncidentId = (commandId: string, itemId: string): string => `inc-${commandId}-${itemId}`;

/** Needs for opening/joining incidents on these items: first openIncidentsFor, then the open incidents' streams. */
export function incidentNeeds(itemIds: string[], ctx: DecisionContext): Needs {
  const unique = [...new Set(itemIds)];
  const streams = unique
    .map((id) => ctx.openIncidents[id])
    .filter((ref): ref is NonNullable<typeof ref> => ref != null)
    .map((ref) => incidentStream(ref.incidentId));
  return { openIncidentsFor: unique, streams: [...new Set(streams)] };
}

/** Whether a new cause may still join this incident: 004_d1fc20a45ee67265.txt 一事一报 — only until it is reported. */
export const joinable = (state: IncidentState): boolean =>
  state.status === 'recorded' &&
  state.incident.reportedAt === null &&
  state.incident.closedAt === null &&
  state.incident.mergedInto === null;

/** The incident an item's open incident ref points at, when its stream (if loaded) confirms it may still be joined. */
const openIncidentOf = (ctx: DecisionContext, itemId: string): { incidentId: string; kind: IncidentKind } | null => {
  const ref = ctx.openIncidents[itemId];
  if (!ref) return null;
  const loaded = ctx.streams[incidentStream(ref.incidentId)];
  if (!loaded) return ref;
  const state = loaded.state as IncidentState;
  // The read model may lag behind a report, a merge or a close: the stream is the truth.
  if (state.status === 'none' || !joinable(state)) return null;
  return { incidentId: ref.incidentId, kind: state.incident.kind };
};

/**
 * contract §5.1 1: discovered when the ledger records the revealing fact (its recordedAt), never before it happened
 * (an occurredAt given a little ahead of the ledger's clock stands).
 */
export const discoveryInstant = (cmd: Command, ctx: DecisionContext): string =>
  ctx.recordedAt !== undefined && new Date(ctx.recordedAt).getTime() > new Date(cmd.at).getTime()
    ? ctx.recordedAt
    : cmd.at;

/** Opens (IncidentOpened on incident-<newId>) or joins (IncidentCauseAdded on the unreported one) one incident per
 *  item — discoveredAt the recording instant, occurredAt the fact's — and returns the incident id per item and the
 *  incident-stream writes. */
export function incidentWrites(
  cmd: Command,
  causes: Array<IncidentCause & { kind: IncidentKind }>,
  ctx: DecisionContext,
): { incidentIds: Record<string, string>; writes: StreamEvents[] } {
  const byItem = new Map<string, Array<IncidentCause & { kind: IncidentKind }>>();
  for (const c of causes) byItem.set(c.itemId, [...(byItem.get(c.itemId) ?? []), c]);

  const incidentIds: Record<string, string> = {};
  const events = new Map<string, IncidentEvent[]>();
  const kindNow = new Map<string, IncidentKind>();
  const push = (incidentId: string, e: IncidentEvent) => events.set(incidentId, [...(events.get(incidentId) ?? []), e]);

  for (const [itemId, itemCauses] of byItem) {
    const open = openIncidentOf(ctx, itemId);
    const causeData = (c: IncidentCause) => ({
      code: c.code,
      itemId,
      violationId: c.violationId,
      personId: c.personId ?? null,
      at: cmd.at,
    });
    if (open) {
      // 一事一报: join the unreported incident; its discoveredAt (and so its 24 h deadline) does not move.
      incidentIds[itemId] = open.incidentId;
      for (const c of itemCauses) {
        const previousKind = kindNow.get(open.incidentId) ?? open.kind;
        const kind = graver(previousKind, c.kind);
        kindNow.set(open.incidentId, kind);
        push(open.incidentId, {
          type: 'IncidentCauseAdded',
          data: { incidentId: open.incidentId, ...causeData(c), kind, previousKind },
        });
      }
    } else {
      // Several causes on one item in one command are one event: one incident, of the gravest kind among them.
      const incidentId = newIncidentId(cmd.commandId, itemId);
      incidentIds[itemId] = incidentId;
      const kind = itemCauses.map((c) => c.kind).reduce(graver);
      kindNow.set(incidentId, kind);
      push(incidentId, {
        type: 'IncidentOpened',
        data: {
          incidentId,
          kind,
          itemIds: [itemId],
          discoveredAt: discoveryInstant(cmd, ctx),
          discoveredBy: cmd.actor,
          occurredAt: cmd.at,
          description: `${[...new Set(itemCauses.map((c) => c.code))].join(', ')} on ${itemId}`,
          causes: itemCauses.map(causeData),
          at: cmd.at,
        },
      });
    }
  }
  const writes = [...events].flatMap(([incidentId, list]) => writeTo(incidentStream(incidentId), list));
  return { incidentIds, writes };
}
