import type { ReportDraft } from '../report-draft';
import { when, type DraftContext } from './draft-kit';

export const draftRemedialMeasures = (ctx: DraftContext) => {
  const { incident, l } = ctx;
  // (7) remedial measures
  const remedialMeasures: ReportDraft['remedialMeasures'] = {
    text: incident.remedialActions.length
      ? incident.remedialActions.map((a) => `- ${when(a.at)}, ${l.person(a.by)}: ${a.action}`).join('\n')
      : 'No remedial action recorded yet.',
    facts: { actions: incident.remedialActions },
  };

  return remedialMeasures;
};
