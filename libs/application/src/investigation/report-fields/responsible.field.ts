import { ms } from '@app/custody';
import { PersonTimelines, readPersonStreams } from '../history';
import type { ReportDraft } from '../report-draft';
import { custodianAt, when, type DraftCause, type DraftContext } from './draft-kit';

export const draftResponsible = async (ctx: DraftContext, causes: DraftCause[]) => {
  const { core, incident, state, nodes, l } = ctx;
  // (3) the responsible person: the custodian at the time of the first cause
  const first = [...causes].sort((a, b) => ms(a.at) - ms(b.at))[0];
  const firstAt = first?.at ?? incident.discoveredAt;
  const custodians = nodes
    .filter((n) => incident.itemIds.includes(n.itemId))
    .map((n) => ({ itemId: n.itemId, personId: custodianAt(n, firstAt) }));
  const firstItem = first?.itemId ?? incident.itemIds[0] ?? null;
  const responsibleId = custodians.find((c) => c.itemId === firstItem)?.personId ?? null;
  const timelines = PersonTimelines.fromStreams(
    await readPersonStreams(
      core,
      custodians.map((c) => c.personId).filter((p): p is string => !!p),
    ),
  );
  const responsiblePerson = responsibleId ? timelines.at(responsibleId, firstAt) : null;
  const concluded = state.incident.investigation?.responsible ?? null;
  const responsible: ReportDraft['responsible'] = {
    text: [
      responsibleId
        ? `${l.person(responsibleId)}${responsiblePerson ? `, ${responsiblePerson.rank} of ${responsiblePerson.unit}, clearance ${responsiblePerson.clearance}` : ''}: custodian of ${firstItem} at ${when(firstAt)}, when ${first?.code ?? 'the incident'} occurred.`
        : `Nobody held ${firstItem ?? 'the item'} at ${when(firstAt)} according to the ledger.`,
      ...custodians
        .filter((c) => c.itemId !== firstItem)
        .map((c) => `Custodian of ${c.itemId} at that time: ${l.person(c.personId)}.`),
      ...(concluded ? [`The investigation names: ${concluded.map(l.person).join(', ')}.`] : []),
    ].join('\n'),
    facts: {
      personId: responsibleId,
      person: responsiblePerson,
      itemId: firstItem,
      at: first?.at ?? incident.discoveredAt,
      custodians,
      concluded,
    },
  };

  return { responsible, firstAt };
};
