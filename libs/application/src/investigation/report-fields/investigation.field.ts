import type { LedgerCore } from '../../ledger-core';
import type { ReportDraft } from '../report-draft';
import { when, type DraftContext } from './draft-kit';

export const draftInvestigation = (ctx: DraftContext) => {
  const { core, incident, state, incidentEvents, nodes, l } = ctx;
  // (6) investigation: what is recorded so far
  const treeIds = nodes.map((n) => n.itemId);
  const violations = new Map<string, ReturnType<LedgerCore['readModels']['violations']['get']>>();
  for (const id of treeIds) {
    for (const v of core.readModels.violations.list({ itemId: id, limit: 1000 }).items)
      violations.set(v.violationId, v);
  }
  for (const v of incidentEvents.filter((x) => x.event.type === 'ViolationDetected')) {
    const id = (v.event.data as { violationId: string }).violationId;
    if (!violations.has(id)) violations.set(id, core.readModels.violations.get(id));
  }
  const all = [...violations.values()]
    .filter((v): v is NonNullable<typeof v> => !!v)
    .sort((a, b) => a.position - b.position);
  const openViolations = all
    .filter((v) => v.status === 'open')
    .map((v) => ({
      violationId: v.violationId,
      code: v.code,
      severity: v.severity,
      itemId: v.itemId,
      personId: v.personId,
      at: v.at,
      detail: v.detail,
    }));
  const conclusion = state.incident.investigation
    ? {
        finding: state.incident.investigation.finding,
        responsible: state.incident.investigation.responsible,
        concludedAt: incident.concludedAt,
      }
    : null;
  const investigation: ReportDraft['investigation'] = {
    text: [
      conclusion
        ? `Investigation concluded ${conclusion.concludedAt ? when(conclusion.concludedAt) : ''}: ${conclusion.finding}` +
          `${conclusion.responsible.length ? ` Responsible: ${conclusion.responsible.map(l.person).join(', ')}.` : ''}`
        : `Investigation under way; no conclusion recorded yet (the written result is due by ${when(incident.investigationDueAt)}).`,
      openViolations.length
        ? `Open violations (${openViolations.length}):\n${openViolations.map((v) => `- ${when(v.at)} ${v.code} (${v.severity})${v.itemId ? ` on ${v.itemId}` : ''}${v.personId ? `, ${l.person(v.personId)}` : ''}${v.detail ? `: ${v.detail}` : ''}`).join('\n')}`
        : 'No open violations.',
      ...(all.length > openViolations.length
        ? [`${all.length - openViolations.length} violation(s) already resolved.`]
        : []),
    ].join('\n'),
    facts: {
      conclusion,
      investigationDueAt: incident.investigationDueAt,
      openViolations,
      resolvedViolations: all.length - openViolations.length,
    },
  };

  return investigation;
};
