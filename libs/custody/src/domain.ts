/**
 * The domain's single entry point for the shell: route a command to the part of the domain that decides it,
 * and fold any stream the domain owns.
 */
import type { CustodyCommand } from './commands';
import type { DecisionContext, DomainEvent, Needs, StreamEvents } from './shared/command';
import type { CommandModule, StreamModule } from './shared/module';
import { parseStream, type StreamKind } from './shared/streams';
import { itemCommandModule, itemStreamModule } from './item';
import { personCommandModule, personStreamModule } from './person';
import { placeCommandModule, placeStreamModule } from './place';
import { incidentCommandModule, incidentStreamModule } from './incident';
import { inventoryCommandModule, inventoryStreamModule } from './inventory';
import { violationCommandModule } from './violation';

const streamModules: Record<StreamKind, StreamModule> = {
  item: itemStreamModule as StreamModule,
  person: personStreamModule as StreamModule,
  place: placeStreamModule as StreamModule,
  incident: incidentStreamModule as StreamModule,
  inventory: inventoryStreamModule as StreamModule,
};

const commandModules: CommandModule[] = [
  itemCommandModule,
  personCommandModule,
  placeCommandModule,
  incidentCommandModule,
  inventoryCommandModule,
  violationCommandModule,
];

const moduleFor = (command: CustodyCommand): CommandModule => {
  if (command.type === 'FireDeadline') {
    // A deadline is decided by the module that owns the stream it is about.
    const kind = parseStream(command.data.deadline.streamId)?.kind;
    const owner = kind === 'incident' ? incidentCommandModule : itemCommandModule;
    return owner;
  }
  const found = commandModules.find((m) => m.commands.includes(command.type));
  if (!found) throw new Error(`no module decides ${command.type}`);
  return found;
};

export const planCommand = (command: CustodyCommand, ctx: DecisionContext): Needs =>
  moduleFor(command).plan(command, ctx);

export const decideCommand = (command: CustodyCommand, ctx: DecisionContext): StreamEvents[] =>
  moduleFor(command).decide(command, ctx);

/** The state a stream folds from; undefined for streams the domain does not own (e.g. ledger-checkpoints). */
export const initialStateOf = (streamId: string): unknown => {
  const kind = parseStream(streamId)?.kind;
  return kind ? streamModules[kind].initialState() : undefined;
};

/** Folds one event into a stream's state. Streams the domain does not own stay undefined. */
export const evolveStream = (streamId: string, state: unknown, event: DomainEvent): unknown => {
  const kind = parseStream(streamId)?.kind;
  return kind ? streamModules[kind].evolve(state, event) : state;
};

export const foldStream = (streamId: string, events: DomainEvent[]): unknown =>
  events.reduce((s, e) => evolveStream(streamId, s, e), initialStateOf(streamId));

/** Every command the public API accepts (FireDeadline is the scheduler's alone). */
export const PUBLIC_COMMANDS = commandModules.flatMap((m) => m.commands).filter((c) => c !== 'FireDeadline');
