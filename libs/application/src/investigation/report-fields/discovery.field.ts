import { ms } from '@app/custody';
import type { ReportDraft } from '../report-draft';
import { when, type DraftContext } from './draft-kit';

export const draftDiscovery = (ctx: DraftContext) => {
  const { core, incident, incidentEvents, nodes, l } = ctx;
  // (2) how it was discovered: the causes, who, when
  const opened = incidentEvents.find((v) => v.event.type === 'IncidentOpened')?.event;
  const causeEvents = incidentEvents
    .map((v) => v.event)
    .filter((e) => e.type === 'IncidentOpened' || e.type === 'IncidentCauseAdded');
  const rawCauses = causeEvents.flatMap((e) =>
    e.type === 'IncidentOpened'
      ? (
          e.data as {
            causes: {
              code: string;
              itemId: string | null;
              violationId: string | null;
              personId: string | null;
              at: string;
            }[];
          }
        ).causes
      : [
          e.data as {
            code: string;
            itemId: string | null;
            violationId: string | null;
            personId: string | null;
            at: string;
          },
        ],
  );
  const lostDetail = (itemId: string | null, at: string): string | null => {
    const node = nodes.find((n) => n.itemId === itemId);
    const lost = node?.all.find((v) => v.event.type === 'ItemLost' && ms(v.event.metadata.occurredAt) === ms(at));
    return lost
      ? `reported lost by ${l.person((lost.event.data as { discoveredBy: string }).discoveredBy)}: ${(lost.event.data as { circumstances: string }).circumstances}`
      : null;
  };
  const causes = rawCauses.map((c) => ({
    code: c.code,
    itemId: c.itemId,
    violationId: c.violationId,
    personId: c.personId ?? null,
    at: c.at,
    detail:
      (c.violationId ? core.readModels.violations.get(c.violationId)?.detail : null) ?? lostDetail(c.itemId, c.at),
  }));
  const causeLine = (c: (typeof causes)[number]) =>
    `${when(c.at)}: ${c.code}${c.itemId ? ` on ${c.itemId}` : ''}${c.personId ? ` (${l.person(c.personId)})` : ''}${c.detail ? ` — ${c.detail}` : ''}`;
  // Views stored before v2 have no occurredAt: the discovery stands in.
  const occurredAt = incident.occurredAt ?? incident.discoveredAt;
  const discovery: ReportDraft['discovery'] = {
    text: [
      `Discovered ${when(incident.discoveredAt)} by ${l.person(incident.discoveredBy)}${opened ? `, recorded in the custody ledger at ${when(opened.metadata.recordedAt)}` : ''}: ${incident.description}.`,
      // contract §5.1 1: a paper record entered late was discovered when entered; say when it happened too.
      ...(occurredAt !== incident.discoveredAt ? [`It happened ${when(occurredAt)}.`] : []),
      ...(causes.length
        ? [
            'Causes recorded (the first opened the incident, later ones joined it):',
            ...causes.map((c) => `- ${causeLine(c)}`),
          ]
        : []),
    ].join('\n'),
    facts: {
      discoveredAt: incident.discoveredAt,
      occurredAt,
      discoveredBy: incident.discoveredBy,
      recordedAt: opened?.metadata.recordedAt ?? null,
      description: incident.description,
      causes,
    },
  };

  return { discovery, causes, occurredAt };
};
