import type { CustodyCommand } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { CommandModule, StreamModule } from '../shared/module';
import { decideIncident, planIncident, type IncidentCommand } from './incident.decider';
import type { IncidentEvent } from './incident.events';
import { evolveIncident, initialIncidentState, type IncidentState } from './incident.state';

export type { IncidentEvent, IncidentCauseData } from './incident.events';
export type { IncidentState, IncidentRecord } from './incident.state';
export { incidentView, isReportOverdue, reportDueAt, investigationDueAt, graver } from './incident.state';
export { incidentViolationId, REPORT_FIELDS } from './incident.decider';
export {
  discoveryInstant,
  incidentKindFor,
  incidentNeeds,
  incidentWrites,
  joinable,
  newIncidentId,
  type IncidentCause,
} from './incident-policy';

export const incidentStreamModule: StreamModule<IncidentState> = {
  kind: 'incident',
  initialState: initialIncidentState,
  evolve: (state: IncidentState, event: DomainEvent) => evolveIncident(state, event as IncidentEvent),
};

const COMMANDS = [
  'OpenIncident',
  'RecordRemedialAction',
  'MergeIncident',
  'SubmitIncidentReport',
  'ConcludeInvestigation',
  'CloseIncident',
] as const;
const isIncidentCommand = (c: CustodyCommand): c is IncidentCommand =>
  (COMMANDS as readonly string[]).includes(c.type) || c.type === 'FireDeadline';

/** FireDeadline is not listed: the router sends it here only for deadlines on incident streams. */
export const incidentCommandModule: CommandModule = {
  commands: COMMANDS,
  plan: (command, ctx) => {
    if (!isIncidentCommand(command)) throw new Error(`incident module cannot plan ${command.type}`);
    return planIncident(command, ctx);
  },
  decide: (command, ctx) => {
    if (!isIncidentCommand(command)) throw new Error(`incident module cannot decide ${command.type}`);
    return decideIncident(command, ctx);
  },
};
