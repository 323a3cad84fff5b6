import type { CustodyCommand } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { CommandModule, StreamModule } from '../shared/module';
import { decidePerson, evolvePerson, initialPersonState, planPerson, type PersonState } from './person.decider';
import type { PersonEvent } from './person.events';

export type { PersonState } from './person.decider';
export type { PersonEvent } from './person.events';
export { personView } from './person.decider';

export const personStreamModule: StreamModule<PersonState> = {
  kind: 'person',
  initialState: initialPersonState,
  evolve: (state: PersonState, event: DomainEvent) => evolvePerson(state, event as PersonEvent),
};

const COMMANDS = ['RegisterPerson', 'ChangeClearance', 'EndProbation', 'RecordDeparture'] as const;
type PersonCommand = Extract<CustodyCommand, { type: (typeof COMMANDS)[number] }>;
const isPersonCommand = (c: CustodyCommand): c is PersonCommand => (COMMANDS as readonly string[]).includes(c.type);

export const personCommandModule: CommandModule = {
  commands: COMMANDS,
  plan: (command, ctx) => {
    if (!isPersonCommand(command)) throw new Error(`person module cannot plan ${command.type}`);
    return planPerson(command, ctx);
  },
  decide: (command, ctx) => {
    if (!isPersonCommand(command)) throw new Error(`person module cannot decide ${command.type}`);
    return decidePerson(command, ctx);
  },
};
