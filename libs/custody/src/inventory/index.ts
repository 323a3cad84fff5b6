import type { CustodyCommand } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { CommandModule, StreamModule } from '../shared/module';
import {
  decideInventory,
  evolveInventory,
  initialInventoryState,
  planInventory,
  type InventoryCommand,
  type InventoryState,
} from './inventory.decider';
import type { InventoryEvent } from './inventory.events';

export type { InventoryState, InventoryRecord } from './inventory.decider';
export type { InventoryEvent } from './inventory.events';

export const inventoryStreamModule: StreamModule<InventoryState> = {
  kind: 'inventory',
  initialState: initialInventoryState,
  evolve: (state: InventoryState, event: DomainEvent) => evolveInventory(state, event as InventoryEvent),
};

const COMMANDS = ['OpenInventory', 'RecordSighting', 'CloseInventory'] as const;
const isInventoryCommand = (c: CustodyCommand): c is InventoryCommand =>
  (COMMANDS as readonly string[]).includes(c.type);

export const inventoryCommandModule: CommandModule = {
  commands: COMMANDS,
  plan: (command, ctx) => {
    if (!isInventoryCommand(command)) throw new Error(`inventory module cannot plan ${command.type}`);
    return planInventory(command, ctx);
  },
  decide: (command, ctx) => {
    if (!isInventoryCommand(command)) throw new Error(`inventory module cannot decide ${command.type}`);
    return decideInventory(command, ctx);
  },
};
