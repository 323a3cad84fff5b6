import type { DeciderProgram, LoadedStream } from '@app/ledger';
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
} from '@app/custody';
import type { ReadModels } from '@app/read-models';

/**
 * The custody domain as the decider runner sees it. Stream needs are loaded by the runner from the store; the
 * other needs (open incidents, musters, inventory scopes, violation locations) are answered from the read models
 * after they caught up with the store, so a decision never sees a view older than the events it builds on.
 */
export const custodyProgram = (
  readModels: ReadModels,
): DeciderProgram<CustodyCommand, DecisionContext & { streams: Record<string, LoadedStream> }, Needs> => ({
  emptyContext,
  plan: planCommand,
  decide: decideCommand,
  initialState: initialStateOf,
  evolve: (streamId, state, event) => evolveStream(streamId, state, event as DomainEvent),
  judgedAsOf,
  async fulfil(needs, ctx) {
    const incidents = (needs.openIncidentsFor ?? []).filter((i) => !(i in ctx.openIncidents));
    const held = (needs.itemsEverHeldBy ?? []).filter((p) => !(p in ctx.itemsEverHeldBy));
    const violations = (needs.violations ?? []).filter((v) => !(v in ctx.violations));
    const scope = needs.itemsInScope && ctx.itemsInScope === undefined;
    if (!incidents.length && !held.length && !violations.length && !scope) return false;
    await readModels.catchUp();
    for (const itemId of incidents) ctx.openIncidents[itemId] = readModels.incidents.joinableFor(itemId);
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
});
