import type { DeciderProgram, RunnerContext } from '@app/ledger';
import {
  type CustodyCommand,
  emptyContext,
  type DecisionContext,
  type DomainEvent,
  type Needs,
  decideCommand,
  evolveStream,
  initialStateOf,
  planCommand,
  judgedAsOf,
  streamKindOf,
} from '@app/custody';
import type { ReadModels } from '@app/read-models';

/**
 * The custody domain as the decider runner sees it. Stream needs are loaded by the runner from the store; the
 * other needs (open incidents, musters, inventory scopes, violation locations) are answered from the read models
 * after they caught up with the store, so a decision never sees a view older than the events it builds on.
 */
/**
 * How recent the store's own last commit must be to stand for its head in a lookup's catch-up: the same bound a
 * batch's lookups are current for (DeciderRunner's lookupsFreshMs), so another process's write in the last 20 ms may
 * be unseen by a lookup, as it may be by any command between its catch-up and its append.
 */
const LOOKUP_HEAD_RECENT_MS = 20;

/** Items whose joinable incident is remembered; past this many the memory starts afresh. */
const MAX_REMEMBERED_INCIDENT_LOOKUPS = 100_000;

/**
 * `incidents.joinableFor` remembered per item: every reading asks it of its item, and the query was ~4 % of a
 * command's CPU (issue 16) for an answer that changes only when the read models apply an incident's event — the
 * incidents and incident_items tables are written by nothing else — so any committed incident event drops all of it
 * (incidents are rare beside readings). A rebuild's pages are told to the same listeners.
 */
const joinableLookups = (readModels: ReadModels) => {
  const remembered = new Map<string, ReturnType<ReadModels['incidents']['joinableFor']>>();
  readModels.runner.onCommitted((events) => {
    if (remembered.size > 0 && events.some((e) => streamKindOf(e.streamId) === 'incident')) remembered.clear();
  });
  return (itemId: string) => {
    let found = remembered.get(itemId);
    if (found === undefined) {
      found = readModels.incidents.joinableFor(itemId);
      if (remembered.size >= MAX_REMEMBERED_INCIDENT_LOOKUPS) remembered.clear();
      remembered.set(itemId, found);
    }
    return found;
  };
};

export const custodyProgram = (
  readModels: ReadModels,
): DeciderProgram<CustodyCommand, DecisionContext & RunnerContext, Needs> => {
  const joinableFor = joinableLookups(readModels);
  return {
    emptyContext,
    plan: planCommand,
    decide: decideCommand,
    initialState: initialStateOf,
    evolve: (streamId, state, event) => evolveStream(streamId, state, event as DomainEvent),
    judgedAsOf,
    // A batch decides command after command before it appends (DeciderRunner.runBatch): these keys say when a lookup
    // below could answer otherwise once the batch's pending events are projected, so the batch appends them first.
    // The open-incident lookup reads the incident rows, which only incident streams write, per item; the rarer
    // lookups (items ever held, violations, an inventory's scope, and any lookup added later) wait for every pending
    // event.
    fulfilKeys(needs) {
      const keys = (needs.openIncidentsFor ?? []).map((itemId) => `incidents:${itemId}`);
      // A loop over the needs' own keys (asked twice per command of a batch), not entries filtered into arrays.
      for (const need in needs) {
        if (need === 'streams' || need === 'openIncidentsFor') continue;
        const value: unknown = needs[need as keyof Needs];
        if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
          keys.push('*');
          break;
        }
      }
      return keys;
    },
    eventKeys(streamId, event, stateAfter) {
      if (streamKindOf(streamId) !== 'incident') return [];
      const data = event.data as { itemId?: unknown; itemIds?: unknown; causes?: { itemId?: unknown }[] } | null;
      const state = stateAfter as { incident?: { itemIds?: unknown } } | undefined;
      const items = [
        data?.itemId,
        ...(Array.isArray(data?.itemIds) ? (data.itemIds as unknown[]) : []),
        ...(Array.isArray(data?.causes) ? data.causes.map((c) => c?.itemId) : []),
        ...(Array.isArray(state?.incident?.itemIds) ? (state.incident.itemIds as unknown[]) : []),
      ].filter((i): i is string => typeof i === 'string');
      // An incident event naming no item could change any item's open incident.
      return items.length ? [...new Set(items)].map((itemId) => `incidents:${itemId}`) : ['*'];
    },
    async fulfil(needs, ctx) {
      const incidents = (needs.openIncidentsFor ?? []).filter((i) => !(i in ctx.openIncidents));
      const held = (needs.itemsEverHeldBy ?? []).filter((p) => !(p in ctx.itemsEverHeldBy));
      const violations = (needs.violations ?? []).filter((v) => !(v in ctx.violations));
      const scope = needs.itemsInScope && ctx.itemsInScope === undefined;
      if (!incidents.length && !held.length && !violations.length && !scope) return false;
      // In a batch, once per batch while nothing was written since (DeciderRunner's LookupFreshness); alone, always —
      // up to this store's own last commit when it is that recent (no head query per command; docs/decisions.md).
      if (!ctx.lookups?.current) {
        await readModels.catchUp({ recentMs: LOOKUP_HEAD_RECENT_MS });
        ctx.lookups?.caughtUp();
      }
      for (const itemId of incidents) ctx.openIncidents[itemId] = joinableFor(itemId);
      for (const personId of held) ctx.itemsEverHeldBy[personId] = readModels.custody.everHeldBy(personId);
      for (const id of violations) {
        const v = readModels.violations.get(id);
        ctx.violations[id] = v
          ? { violationId: v.violationId, streamId: v.streamId, code: v.code, itemId: v.itemId, status: v.status }
          : null;
      }
      if (scope && needs.itemsInScope) ctx.itemsInScope = readModels.custody.itemsInScope(needs.itemsInScope);
      return true;
    },
  };
};
