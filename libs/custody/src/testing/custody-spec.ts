/**
 * Given / when / then for the custody domain, the way the runner sees it: the history is folded per stream,
 * `plan` is asked in rounds exactly as the runner asks it, and every stream it names that the history does not
 * mention folds to its initial state.
 *
 *   given(registered(gm), received('doc-1', 'p-zhang'))
 *     .when(cmd('RecordReading', { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' }))
 *     .then((writes) => expect(codes(writes)).toEqual(['OUT_OF_SCOPE_ACCESS']));
 */
import { deciderSpec } from '@app/ledger/testing';
import type { CommandData, CommandName, CustodyCommand } from '../commands';
import { emptyContext, type DecisionContext, type DomainEvent, type StreamEvents } from '../shared/command';
import { decideCommand, evolveStream, initialStateOf, judgedAsOf, planCommand } from '../domain';

/** One entry of a history: an event in a stream, or read-model answers the runner would give. */
export type HistoryEntry =
  | { streamId: string; event: DomainEvent }
  | { lookups: Partial<Pick<DecisionContext, 'openIncidents' | 'itemsEverHeldBy' | 'itemsInScope' | 'violations'>> }
  /** The ledger's clock when the command is recorded (ctx.recordedAt): a command entered late. */
  | { recordedAt: string };

const occurredMs = (e: DomainEvent): number => new Date(String((e.data as { at?: unknown }).at)).getTime();

/**
 * The stream as the runner judges it as of `instant` (libs/ledger decider-runner `asOf`): the first event, then the
 * later ones that occurred at or before it, in occurredAt order. Here an event's occurredAt is its `data.at`.
 */
const foldAsOf = (streamId: string, list: DomainEvent[], instant: string): unknown => {
  const t = new Date(instant).getTime();
  const [first, ...rest] = list;
  const seen = rest
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => !(occurredMs(e) > t))
    .sort((a, b) => occurredMs(a.e) - occurredMs(b.e) || a.i - b.i)
    .map(({ e }) => e);
  return (first ? [first, ...seen] : []).reduce((s, e) => evolveStream(streamId, s, e), initialStateOf(streamId));
};

/**
 * What the read models answer for `itemsEverHeldBy` (the custody holders index), from the history given: every item
 * whose custodian of record was the person after some event, in recorded order, sorted by item id.
 */
const everHeldBy = (events: Map<string, DomainEvent[]>, personId: string): string[] => {
  const items = new Set<string>();
  for (const [streamId, list] of events) {
    if (!streamId.startsWith('item-')) continue;
    let state = initialStateOf(streamId);
    for (const e of list) {
      state = evolveStream(streamId, state, e);
      if ((state as { custodian?: unknown }).custodian === personId) items.add(streamId.slice('item-'.length));
    }
  }
  return [...items].sort();
};

export const T0 = '2026-03-02T09:00:00.000Z';
let counter = 0;

/** A command with fixed defaults: actor p-officer, at T0, a fresh command id. */
export const cmd = <K extends CommandName>(
  type: K,
  data: CommandData[K],
  over: Partial<Omit<CustodyCommand, 'type' | 'data'>> = {},
) => ({ type, data, commandId: `cmd-${++counter}`, actor: 'p-officer', at: T0, ...over }) as CustodyCommand;

/** Builds the context the runner would: folded streams, lookups, and rounds of `plan` until nothing new is asked. */
export const contextFor = (command: CustodyCommand, history: HistoryEntry[]): DecisionContext => {
  const ctx = emptyContext();
  const events = new Map<string, DomainEvent[]>();
  for (const h of history) {
    if ('recordedAt' in h) ctx.recordedAt = h.recordedAt;
    else if ('lookups' in h)
      Object.assign(ctx, {
        ...h.lookups,
        openIncidents: { ...ctx.openIncidents, ...h.lookups.openIncidents },
        itemsEverHeldBy: { ...ctx.itemsEverHeldBy, ...h.lookups.itemsEverHeldBy },
        violations: { ...ctx.violations, ...h.lookups.violations },
      });
    else events.set(h.streamId, [...(events.get(h.streamId) ?? []), h.event]);
  }
  const load = (streamId: string) => {
    const list = events.get(streamId) ?? [];
    const instant = judgedAsOf(command, streamId);
    ctx.streams[streamId] = {
      state: list.reduce((s, e) => evolveStream(streamId, s, e), initialStateOf(streamId)),
      revision: list.length - 1,
      ...(instant !== null ? { asOf: foldAsOf(streamId, list, instant) } : {}),
    };
  };
  for (let round = 0; round < 6; round++) {
    const needs = planCommand(command, ctx);
    let asked = false;
    for (const s of needs.streams ?? [])
      if (!(s in ctx.streams)) {
        load(s);
        asked = true;
      }
    for (const i of needs.openIncidentsFor ?? [])
      if (!(i in ctx.openIncidents)) {
        ctx.openIncidents[i] = null;
        asked = true;
      }
    for (const p of needs.itemsEverHeldBy ?? [])
      if (!(p in ctx.itemsEverHeldBy)) {
        ctx.itemsEverHeldBy[p] = everHeldBy(events, p);
        asked = true;
      }
    for (const v of needs.violations ?? [])
      if (!(v in ctx.violations)) {
        ctx.violations[v] = null;
        asked = true;
      }
    if (needs.itemsInScope && !ctx.itemsInScope) {
      ctx.itemsInScope = [];
      asked = true;
    }
    if (!asked) return ctx;
  }
  throw new Error(`plan for ${command.type} kept asking for more after 6 rounds`);
};

export const given = (...history: HistoryEntry[]) => ({
  when: (command: CustodyCommand) =>
    deciderSpec<CustodyCommand, { command: CustodyCommand; history: HistoryEntry[] }, HistoryEntry, StreamEvents[]>({
      fold: () => ({ command, history }),
      decide: (c, s) => decideCommand(c, contextFor(c, s.history)),
    })
      .given(history)
      .when(command),
});

/** All events of the writes, flattened, in order. */
export const eventsOf = (writes: StreamEvents[]): DomainEvent[] => writes.flatMap((w) => w.events);
export const typesOf = (writes: StreamEvents[]): string[] => eventsOf(writes).map((e) => e.type);
/** Codes of the violations the writes record. */
export const violationCodes = (writes: StreamEvents[]): string[] =>
  eventsOf(writes)
    .filter((e) => e.type === 'ViolationDetected')
    .map((e) => (e.data as { code: string }).code);
