/** The item stream of the custody domain: its events, state, decider and deadlines. */
import type { CustodyCommand } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { CommandModule, StreamModule } from '../shared/module';
import { decideItem, ITEM_COMMANDS, isItemCommand, planItem } from './item.decider';
import { evolveItem, initialItemState, type ItemState } from './item.state';

export type { ItemEvent, ItemScope } from './item.events';
export { ITEM_EVENT_TYPES } from './item.events';
export type { ItemRecord, ItemState } from './item.state';
export { itemView, initialItemState, evolveItem } from './item.state';
export { itemDeadlineChanges, addYears, addHours } from './item.deadlines';
export { itemMissingEvents, ITEM_COMMANDS } from './item.decider';
export { MAX_PERIOD_YEARS } from './item.decide-kit';

export const itemStreamModule: StreamModule<ItemState> = {
  kind: 'item',
  initialState: initialItemState,
  evolve: (state: ItemState, event: DomainEvent) => evolveItem(state, event),
};

export const itemCommandModule: CommandModule = {
  commands: ITEM_COMMANDS,
  plan: (command: CustodyCommand, ctx) => {
    if (!isItemCommand(command)) throw new Error(`item module cannot plan ${command.type}`);
    return planItem(command, ctx);
  },
  decide: (command: CustodyCommand, ctx) => {
    if (!isItemCommand(command)) throw new Error(`item module cannot decide ${command.type}`);
    return decideItem(command, ctx);
  },
};
