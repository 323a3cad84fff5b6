import { ms } from '@app/custody';
import { summarizeEvent } from '../../i18n/event-summary';
import { byOccurredAt, type RaisedViolation } from '../history';
import type { ReportDraft, TimelineEntry } from '../report-draft';
import { describe, placeOf, when, type DraftContext } from './draft-kit';

export const draftCourse = (ctx: DraftContext, firstAt: string) => {
  const { nodes, l, lang, names, incidentEvents } = ctx;
  // (4) time, place and course: the items' timeline around the incident
  const raisedCodes = (raised: RaisedViolation[]) => raised.map((r) => r.code);
  const attached = new Set(nodes.flatMap((n) => n.all.flatMap((v) => v.raised.map((r) => r.violationId))));
  const timeline: TimelineEntry[] = [...nodes.flatMap((n) => n.all), ...incidentEvents]
    .filter(
      (v) =>
        !(v.event.type === 'ViolationDetected' && attached.has((v.event.data as { violationId: string }).violationId)),
    )
    .sort((a, b) => byOccurredAt(a.event, b.event))
    .map((v) => ({
      at: v.event.metadata.occurredAt,
      recordedAt: v.event.metadata.recordedAt,
      itemId: (v.event.data as { itemId?: string }).itemId ?? null,
      streamId: v.event.streamId,
      type: v.event.type,
      actor: v.event.metadata.actor,
      summary: lang === 'en' ? describe(v.event, l) : summarizeEvent(lang, v.event, names),
      placeId: placeOf(v.event),
      violations: raisedCodes(v.raised),
    }));
  // The text keeps the days around the incident; the facts keep everything.
  const windowStart = ms(firstAt) - 72 * 3600_000;
  const shown = timeline.filter((t, i) => ms(t.at) >= windowStart || i === 0);
  const line = (t: TimelineEntry) =>
    `- ${when(t.at)}${t.itemId && t.streamId.startsWith('item-') ? ` ${t.itemId}` : ''}: ${t.summary}${t.violations.length ? ` [${t.violations.join(', ')}]` : ''}` +
    `${ms(t.recordedAt) - ms(t.at) > 3600_000 ? ` (entered late, ${when(t.recordedAt)})` : ''}`;
  const course: ReportDraft['course'] = {
    text: [
      `Course of events (${timeline.length} recorded${shown.length < timeline.length ? `; ${timeline.length - shown.length} earlier than 72 h before the first cause omitted here` : ''}):`,
      ...shown.map(line),
    ].join('\n'),
    facts: { events: timeline },
  };

  return course;
};
