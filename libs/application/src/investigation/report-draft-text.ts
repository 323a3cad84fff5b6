/**
 * The report draft's seven texts in a person's language, written from the draft's facts through the catalogue
 * (BG99 报告泄露国家秘密事件的规定 第4条: the seven parts). English drafts keep the texts report-draft.ts writes;
 * every other language is written here, from the same facts, so the two never say different things.
 */
import { formatInstant, formatList, labelOf, translator, type Lang } from '../i18n/i18n';
import { describeIncident, personLabel, type NameLookups } from '../i18n/event-summary';
import type { ReportDraft, ReportDraftField } from './report-draft';
import { ms } from '@app/custody';

/** A line of a list, as the language writes it. */
const bullet = (lang: Lang, s: string): string => (lang === 'zh-CN' ? `\u3000${s}` : `- ${s}`);

export const draftTexts = (
  lang: Lang,
  draft: Omit<ReportDraft, 'submission'>,
  l: NameLookups,
): Record<ReportDraftField, string> => {
  const t = translator(lang);
  const when = (iso: string | null | undefined) => formatInstant(lang, iso);
  const person = (id: string | null | undefined) => personLabel(lang, l, id);
  const persons = (ids: readonly string[]) => formatList(lang, ids.map(person));
  const title = (code: string) => labelOf(lang, 'violations', code);

  // 一 content, level, quantity, carrier
  const c = draft.content.facts;
  const content = [
    t('report.contentSummary', { quantity: c.quantity, originals: c.originals, copies: c.copies }),
    ...c.items.map((i) =>
      bullet(
        lang,
        t('report.contentLine', {
          itemId: i.itemId,
          title: i.title ?? '',
          level: labelOf(lang, 'levels', i.level),
          carrier: labelOf(lang, 'carriers', i.carrier),
          copyNo: i.copyNo ?? 'none',
          status: labelOf(lang, 'itemStatuses', i.status),
        }),
      ),
    ),
  ].join('\n');

  // 二 discovery
  const d = draft.discovery.facts;
  const discovery = [
    t('report.discoveryLine', {
      when: when(d.discoveredAt),
      by: person(d.discoveredBy),
      description: describeIncident(lang, d.description),
    }),
    ...(d.recordedAt ? [t('report.recordedLine', { when: when(d.recordedAt) })] : []),
    // contract §5.1 1: entered late, discovered when entered — say when it happened too.
    ...(d.occurredAt && d.occurredAt !== d.discoveredAt
      ? [t('report.occurredLine', { when: when(d.occurredAt) })]
      : []),
    ...(d.causes.length
      ? [
          t('report.causesHeading'),
          ...d.causes.map((x) =>
            bullet(
              lang,
              t('report.causeLine', {
                when: when(x.at),
                title: title(x.code),
                itemId: x.itemId ?? 'none',
                person: x.personId ? person(x.personId) : 'none',
              }),
            ),
          ),
        ]
      : []),
  ].join('\n');

  // 三 the person responsible
  const r = draft.responsible.facts;
  const responsible = [
    r.personId
      ? t('report.responsibleLine', {
          person: person(r.personId),
          detail: r.person
            ? t('report.responsibleDetail', {
                rank: labelOf(lang, 'ranks', r.person.rank),
                unit: r.person.unit,
                clearance: labelOf(lang, 'clearances', r.person.clearance),
              })
            : 'none',
          itemId: r.itemId ?? '',
          when: when(r.at),
        })
      : t('report.responsibleNobody', { itemId: r.itemId ?? '', when: when(r.at) }),
    ...r.custodians
      .filter((x) => x.itemId !== r.itemId)
      .map((x) => t('report.otherCustodian', { itemId: x.itemId, person: person(x.personId) })),
    ...(r.concluded ? [t('report.investigationNames', { persons: persons(r.concluded) })] : []),
  ].join('\n');

  // 四 time, place and course: the summaries are already in `lang` (report-draft.ts asked for them)
  const events = draft.course.facts.events;
  const course = [
    t('report.courseHeading', { count: events.length }),
    ...events.map((e) =>
      bullet(
        lang,
        t('report.courseLine', {
          when: when(e.at),
          itemId: e.itemId && e.streamId.startsWith('item-') ? e.itemId : 'none',
          summary: e.summary,
          violations: e.violations.length ? formatList(lang, e.violations.map(title)) : 'none',
        }) + (ms(e.recordedAt) - ms(e.at) > 3600_000 ? t('report.enteredLate', { when: when(e.recordedAt) }) : ''),
      ),
    ),
  ].join('\n');

  // 五 actual or possible harm
  const h = draft.harm.facts;
  const ex = h.exposure;
  const contactLine = (p: (typeof ex.persons)[number]) => {
    const mine = ex.entries.filter((e) => e.personId === p.personId);
    const how = mine.map(
      (e) =>
        (e.kind === 'reading'
          ? t('report.exposureRead', { itemId: e.itemId, place: e.placeName ?? 'none', when: when(e.occurredAt) })
          : t('report.exposureHeld', {
              itemId: e.itemId,
              how: labelOf(lang, 'exposureHows', e.how),
              when: when(e.occurredAt),
            })) +
        (e.withinScope
          ? ''
          : t('report.exposureOutside') +
            (e.reason && e.reason !== 'not-in-scope' ? `（${labelOf(lang, 'scopeReasons', e.reason)}）` : '')),
    );
    const name = p.name ? t('common.personWithId', { name: p.name, id: p.personId }) : person(p.personId);
    return bullet(lang, `${name}：${how.join(lang === 'zh-CN' ? '；' : '; ')}`);
  };
  // What went beyond the permitted range, in this language: the event it came from, as the course tells it.
  const beyond = h.beyondRange.map((b) => {
    const e = events.find(
      (x) =>
        x.itemId === b.itemId &&
        ms(x.at) === ms(b.at) &&
        x.type !== 'ViolationDetected' &&
        x.streamId.startsWith('item-'),
    );
    return bullet(lang, `${when(b.at)}\u3000${b.itemId}：${e ? e.summary : b.what}`);
  });
  const unentitled = [...new Set(h.unentitledReadings.map((e) => e.personId))];
  const harm = [
    t('report.exposureSummary', {
      items: ex.copyTree.length,
      persons: ex.persons.length,
      outside: ex.outsideScope.persons.length,
    }),
    ...ex.persons.map(contactLine),
    unentitled.length ? t('report.actualHarm', { persons: persons(unentitled) }) : t('report.noActualHarm'),
    ...(beyond.length ? [t('report.possibleHarm'), ...beyond] : []),
    ...(h.missing.length
      ? [
          t('report.stillMissing', {
            items: formatList(
              lang,
              h.missing.map((m) => m.itemId),
            ),
          }),
        ]
      : []),
  ].join('\n');

  // 六 investigation
  const inv = draft.investigation.facts;
  const investigation = [
    inv.conclusion
      ? t('report.concluded', { when: when(inv.conclusion.concludedAt), finding: inv.conclusion.finding }) +
        (inv.conclusion.responsible.length
          ? ` ${t('report.concludedResponsible', { persons: persons(inv.conclusion.responsible) })}`
          : '')
      : t('report.underWay', { when: when(inv.investigationDueAt) }),
    ...(inv.openViolations.length
      ? [
          t('report.openViolations', { count: inv.openViolations.length }),
          ...inv.openViolations.map((v) =>
            bullet(
              lang,
              t('report.violationLine', {
                when: when(v.at),
                title: title(v.code),
                severity: labelOf(lang, 'severities', v.severity),
                itemId: v.itemId ?? 'none',
              }),
            ),
          ),
        ]
      : [t('report.noOpenViolations')]),
    ...(inv.resolvedViolations ? [t('report.resolved', { count: inv.resolvedViolations })] : []),
  ].join('\n');

  // 七 remedial measures
  const actions = draft.remedialMeasures.facts.actions;
  const remedialMeasures = actions.length
    ? actions
        .map((a) => bullet(lang, t('report.remedialLine', { when: when(a.at), by: person(a.by), action: a.action })))
        .join('\n')
    : t('report.noRemedial');

  return { content, discovery, responsible, course, harm, investigation, remedialMeasures };
};
