/**
 * Losses and incidents (contract §5: RecordLoss, OpenIncident, RecordRemedialAction, SubmitIncidentReport,
 * ConcludeInvestigation, CloseIncident; §5.1 3: MergeIncident). Narratives and the report's seven fields may be long.
 */
import { type CommandData, type IncidentKind, INCIDENT_KINDS } from '@app/custody';
import { IsDateTime, IsId, IsIdList, IsOneOf, IsText, LONG_TEXT_MAX } from './validators';

export class RecordLossDto {
  static readonly example: CommandData['RecordLoss'] = {
    itemId: 'doc-1',
    discoveredBy: 'p-zhang',
    circumstances: 'briefcase taken from a chair in the restaurant',
  };
  @IsId() itemId!: string;
  @IsId() discoveredBy!: string;
  @IsText(LONG_TEXT_MAX) circumstances!: string;
}

export class OpenIncidentDto {
  static readonly example: CommandData['OpenIncident'] = {
    incidentId: 'inc-2026-003',
    kind: 'suspected-leak',
    itemIds: ['doc-1'],
    discoveredAt: '2026-03-02T21:30:00+08:00',
    discoveredBy: 'p-dir',
    description: 'a page of the directive was photographed in the lobby',
  };
  @IsId() incidentId!: string;
  @IsOneOf(INCIDENT_KINDS) kind!: IncidentKind;
  /** At least one item: an incident is always about something. */
  @IsIdList({ min: 1 }) itemIds!: string[];
  @IsDateTime() discoveredAt!: string;
  @IsId() discoveredBy!: string;
  @IsText(LONG_TEXT_MAX) description!: string;
}

export class RecordRemedialActionDto {
  static readonly example: CommandData['RecordRemedialAction'] = {
    incidentId: 'inc-2026-003',
    action: 'search of the restaurant organised with the police',
  };
  @IsId() incidentId!: string;
  @IsText(LONG_TEXT_MAX) action!: string;
}

/** contract §5.1 3: two incidents found to be one event; `incidentId` (not yet reported) joins `into`. */
export class MergeIncidentDto {
  static readonly example: CommandData['MergeIncident'] = {
    incidentId: 'inc-2026-004',
    into: 'inc-2026-003',
  };
  /** The incident that joins the other; refused ALREADY_REPORTED once it was reported. */
  @IsId() incidentId!: string;
  /** The incident it joins: it keeps its first discovery and its deadline. */
  @IsId() into!: string;
}

export class SubmitIncidentReportDto {
  static readonly example: CommandData['SubmitIncidentReport'] = {
    incidentId: 'inc-2026-003',
    to: 'municipal secrecy bureau',
    content: 'one paper document, SECRET, 1 copy',
    discovery: 'the secretary noticed the loss on leaving the restaurant',
    responsible: 'Zhang (confidential secretary)',
    course: 'see attached timeline',
    harm: 'possible exposure to restaurant staff and guests',
    investigation: 'interviews under way',
    remedialMeasures: 'search organised, access revoked',
  };
  @IsId() incidentId!: string;
  /** The supervising secrecy office (free text). */
  @IsText() to!: string;
  @IsText(LONG_TEXT_MAX) content!: string;
  @IsText(LONG_TEXT_MAX) discovery!: string;
  /** Who was responsible, as the report words it (free text, unlike ConcludeInvestigation's person ids). */
  @IsText(LONG_TEXT_MAX) responsible!: string;
  @IsText(LONG_TEXT_MAX) course!: string;
  @IsText(LONG_TEXT_MAX) harm!: string;
  @IsText(LONG_TEXT_MAX) investigation!: string;
  @IsText(LONG_TEXT_MAX) remedialMeasures!: string;
}

export class ConcludeInvestigationDto {
  static readonly example: CommandData['ConcludeInvestigation'] = {
    incidentId: 'inc-2026-003',
    finding: 'the document was left unattended in a public place',
    responsible: ['p-zhang'],
  };
  @IsId() incidentId!: string;
  @IsText(LONG_TEXT_MAX) finding!: string;
  /** Person ids; may be empty when nobody is found responsible. */
  @IsIdList() responsible!: string[];
}

export class CloseIncidentDto {
  static readonly example: CommandData['CloseIncident'] = {
    incidentId: 'inc-2026-003',
    note: 'measures completed',
    finding: 'the document was left unattended in a public place',
    responsible: ['p-zhang'],
  };
  @IsId() incidentId!: string;
  @IsText(undefined, { optional: true }) note?: string;
  /** A close may carry the investigation's finding (recorded as its conclusion when none was recorded yet). */
  @IsText(LONG_TEXT_MAX, { optional: true }) finding?: string;
  @IsIdList({ optional: true }) responsible?: string[];
}
