import type { CustodyCommand } from '../commands';
import type { DecisionContext, Needs, StreamEvents } from '../shared/command';
import { refuse, InvalidCommand, UnknownReference } from '../shared/errors';
import { itemStream, personStream } from '../shared/streams';
import type { ViolationDetected } from '../shared/violation';
import type { PersonView } from '../shared/views';
import { CLEARANCES, HELD_STATUSES, RANKS } from '../shared/vocabulary';
import { dayOrInstant, isAfter } from '../shared/calendar';
import { violation } from '../rules/violations';
import { requireInstant, requireOneOf, requireText, stateOf, writeTo } from '../incident/input';
import { withViolationLog, type ViolationLog } from '../violation/violation-log';
import { isItem, type ItemState } from '../item/item.state';
import type { PersonEvent } from './person.events';

export type PersonState =
  | { status: 'none'; violations: ViolationLog }
  | { status: 'active' | 'departed'; person: PersonView; violations: ViolationLog };

export const initialPersonState = (): PersonState => ({ status: 'none', violations: {} });

export const evolvePerson = withViolationLog<PersonState, PersonEvent>((state, event) => {
  switch (event.type) {
    case 'PersonRegistered': {
      const d = event.data;
      return {
        status: 'active',
        violations: state.violations,
        person: {
          personId: d.personId,
          name: d.name,
          rank: d.rank,
          clearance: d.clearance,
          unit: d.unit,
          probationUntil: d.probationUntil,
          departed: false,
          departedAt: null,
          decontaminationUntil: null,
        },
      };
    }
    case 'ClearanceChanged':
      return state.status === 'none'
        ? state
        : { ...state, person: { ...state.person, clearance: event.data.clearance } };
    case 'ProbationEnded':
      return state.status === 'none' ? state : { ...state, person: { ...state.person, probationUntil: null } };
    case 'PersonDeparted':
      return state.status === 'none'
        ? state
        : {
            ...state,
            status: 'departed',
            person: {
              ...state.person,
              departed: true,
              departedAt: event.data.at,
              decontaminationUntil: event.data.decontaminationUntil,
            },
          };
    default: {
      // Unknown event types are ignored, never thrown on: a newer writer may have added one.
      const ignored: never = event;
      void ignored;
      return state;
    }
  }
});

/** The flat view of a person, or null when the stream holds no registration. */
export const personView = (state: PersonState): PersonView | null => (state.status === 'none' ? null : state.person);

export type PersonCommand = Extract<
  CustodyCommand,
  { type: 'RegisterPerson' | 'ChangeClearance' | 'EndProbation' | 'RecordDeparture' }
>;

export const planPerson = (command: PersonCommand, ctx: DecisionContext): Needs => {
  const stream = personStream(command.data.personId);
  // 002_c292fe519fc09962.txt 第30条: on leaving, everything held must be handed back, so the muster is needed — as
  // it stood at the departure (contract §5.1 2): every item the person ever held, each folded as of that instant.
  if (command.type === 'RecordDeparture') {
    const personId = command.data.personId;
    const items = ctx.itemsEverHeldBy[personId];
    return { streams: [stream, ...(items ?? []).map(itemStream)], itemsEverHeldBy: [personId] };
  }
  return { streams: [stream] };
};

/**
 * The items the person held at the command's instant `at`: in the register by then, custodian of record then, in a
 * status that is held. (An item's first event is always in its state as of an instant — a record's existence is not
 * dated — so an item received after the departure is told apart by `since`.)
 */
const heldAt = (ctx: DecisionContext, personId: string, at: string): string[] =>
  (ctx.itemsEverHeldBy[personId] ?? []).filter((itemId) => {
    const state = stateOf<ItemState>(ctx, itemStream(itemId));
    if (!isItem(state) || (state.since !== undefined && isAfter(state.since, at))) return false;
    return state.custodian === personId && HELD_STATUSES.includes(state.status);
  });

const known = (ctx: DecisionContext, personId: string): Exclude<PersonState, { status: 'none' }> => {
  const state = stateOf<PersonState>(ctx, personStream(personId));
  if (state.status === 'none') throw new UnknownReference('UNKNOWN_PERSON', 'personId', personId);
  return state;
};

const write = (personId: string, events: PersonEvent[]): StreamEvents[] => writeTo(personStream(personId), events);

export const decidePerson = (command: PersonCommand, ctx: DecisionContext): StreamEvents[] => {
  const data = command.data as unknown as Record<string, unknown>;
  const personId = requireText(data, 'personId');
  switch (command.type) {
    case 'RegisterPerson': {
      const name = requireText(data, 'name');
      const rank = requireOneOf(data, 'rank', RANKS);
      const clearance = requireOneOf(data, 'clearance', CLEARANCES);
      const unit = requireText(data, 'unit');
      const probationUntil = data.probationUntil == null ? null : dayOrInstant(requireInstant(data, 'probationUntil'));
      if (stateOf<PersonState>(ctx, personStream(personId)).status !== 'none') {
        throw refuse('PERSON_EXISTS', `person ${personId} is already registered`, 'personId');
      }
      return write(personId, [
        { type: 'PersonRegistered', data: { personId, name, rank, clearance, unit, probationUntil, at: command.at } },
      ]);
    }
    case 'ChangeClearance': {
      const clearance = requireOneOf(data, 'clearance', CLEARANCES);
      const state = known(ctx, personId);
      // A change to the clearance already held changes nothing.
      if (state.person.clearance === clearance) return [];
      return write(personId, [
        { type: 'ClearanceChanged', data: { personId, from: state.person.clearance, clearance, at: command.at } },
      ]);
    }
    case 'EndProbation': {
      const state = known(ctx, personId);
      if (state.person.probationUntil === null) return [];
      return write(personId, [{ type: 'ProbationEnded', data: { personId, at: command.at } }]);
    }
    case 'RecordDeparture': {
      const decontaminationUntil = dayOrInstant(requireInstant(data, 'decontaminationUntil'));
      // 004_d1fc20a45ee67265.txt 脱密期: the decontamination period follows the departure, it cannot end before it.
      if (isAfter(command.at, decontaminationUntil)) {
        throw new InvalidCommand('decontaminationUntil', 'ends before the departure');
      }
      const state = known(ctx, personId);
      // Departing twice records nothing new: the first departure already checked the muster.
      if (state.status === 'departed') return [];
      const held = heldAt(ctx, personId, command.at);
      // 002_c292fe519fc09962.txt 第30条 员工离开公司时,必须将…全部资料…交回公司: one violation per item still held.
      const violations: ViolationDetected[] = held.map((itemId) =>
        violation(command, 'DEPARTURE_ITEMS_UNRETURNED', {
          itemId,
          personId,
          detail: `${personId} departed still holding ${itemId}`,
        }),
      );
      return write(personId, [
        { type: 'PersonDeparted', data: { personId, decontaminationUntil, at: command.at } },
        ...violations,
      ]);
    }
    default: {
      const unexpected: never = command;
      throw new Error(`person module cannot decide ${(unexpected as { type: string }).type}`);
    }
  }
};
