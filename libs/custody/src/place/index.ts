import type { CustodyCommand } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { CommandModule, StreamModule } from '../shared/module';
import {
  decidePlace,
  evolvePlace,
  initialPlaceState,
  planPlace,
  type PlaceCommand,
  type PlaceState,
} from './place.decider';
import type { PlaceEvent } from './place.events';

export type { PlaceState } from './place.decider';
export type { PlaceEvent } from './place.events';
export { placeView } from './place.decider';

export const placeStreamModule: StreamModule<PlaceState> = {
  kind: 'place',
  initialState: initialPlaceState,
  evolve: (state: PlaceState, event: DomainEvent) => evolvePlace(state, event as PlaceEvent),
};

const isPlaceCommand = (c: CustodyCommand): c is PlaceCommand => c.type === 'RegisterPlace';

export const placeCommandModule: CommandModule = {
  commands: ['RegisterPlace'],
  plan: (command, ctx) => {
    if (!isPlaceCommand(command)) throw new Error(`place module cannot plan ${command.type}`);
    return planPlace(command, ctx);
  },
  decide: (command, ctx) => {
    if (!isPlaceCommand(command)) throw new Error(`place module cannot decide ${command.type}`);
    return decidePlace(command, ctx);
  },
};
