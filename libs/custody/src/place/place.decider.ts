import type { CustodyCommand } from '../commands';
import type { DecisionContext, Needs, StreamEvents } from '../shared/command';
import { refuse } from '../shared/errors';
import { placeStream } from '../shared/streams';
import type { PlaceView } from '../shared/views';
import { PLACE_KINDS } from '../shared/vocabulary';
import { requireOneOf, requireText, stateOf, writeTo } from '../incident/input';
import { withViolationLog, type ViolationLog } from '../violation/violation-log';
import type { PlaceEvent } from './place.events';

export type PlaceState =
  { status: 'none'; violations: ViolationLog } | { status: 'registered'; place: PlaceView; violations: ViolationLog };

export const initialPlaceState = (): PlaceState => ({ status: 'none', violations: {} });

export const evolvePlace = withViolationLog<PlaceState, PlaceEvent>((state, event) =>
  // PlaceRegistered is the place stream's one event of its own; unknown types are ignored, never thrown on.
  event.type === 'PlaceRegistered'
    ? {
        status: 'registered',
        violations: state.violations,
        place: { placeId: event.data.placeId, name: event.data.name, kind: event.data.kind },
      }
    : state,
);

/** The flat view of a place, or null when it is not registered. */
export const placeView = (state: PlaceState): PlaceView | null => (state.status === 'none' ? null : state.place);

export type PlaceCommand = Extract<CustodyCommand, { type: 'RegisterPlace' }>;

export const planPlace = (command: PlaceCommand, _ctx: DecisionContext): Needs => ({
  streams: [placeStream(command.data.placeId)],
});

export const decidePlace = (command: PlaceCommand, ctx: DecisionContext): StreamEvents[] => {
  switch (command.type) {
    case 'RegisterPlace': {
      const data = command.data as unknown as Record<string, unknown>;
      const placeId = requireText(data, 'placeId');
      const name = requireText(data, 'name');
      const kind = requireOneOf(data, 'kind', PLACE_KINDS);
      // A place is registered once; a second registration would silently change what earlier facts meant.
      if (stateOf<PlaceState>(ctx, placeStream(placeId)).status !== 'none') {
        throw refuse('PLACE_EXISTS', `place ${placeId} is already registered`, 'placeId');
      }
      const events: PlaceEvent[] = [{ type: 'PlaceRegistered', data: { placeId, name, kind, at: command.at } }];
      return writeTo(placeStream(placeId), events);
    }
    default: {
      const unexpected: never = command.type;
      throw new Error(`place module cannot decide ${String(unexpected)}`);
    }
  }
};
