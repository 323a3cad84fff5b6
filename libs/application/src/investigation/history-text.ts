/**
 * An item's history as the CLI prints it for a person, in their language: one line per event in words (the
 * catalogue's event summaries), then the state at the instant, the readers, the verification and the copies.
 */
import { formatInstant, formatList, labelOf, translator, type Lang } from '../i18n/i18n';
import { personLabel, placeLabel, summarizeEvent, type NameLookups } from '../i18n/event-summary';
import type { ItemHistory } from './history';

export const historyText = (lang: Lang, h: ItemHistory, names: NameLookups): string => {
  const t = translator(lang);
  const when = (iso: string) => formatInstant(lang, iso);
  const lines = h.events.map((e) =>
    t('cli.historyLine', {
      when: when(e.occurredAt),
      stream: e.streamId,
      revision: e.revision,
      summary: summarizeEvent(lang, e, names),
      late: e.lateByMs > 60_000 ? when(e.recordedAt) : 'none',
      violations: e.violations.length
        ? formatList(
            lang,
            e.violations.map((v) => labelOf(lang, 'violations', v.code)),
          )
        : 'none',
      unverified: String(!e.verified),
    }),
  );
  const at =
    [
      h.asOf ? t('cli.asOf', { when: when(h.asOf) }) : '',
      h.occurredBefore ? t('cli.occurredBefore', { when: when(h.occurredBefore) }) : '',
    ]
      .filter(Boolean)
      .join(lang === 'zh-CN' ? '，' : ', ') || t('cli.now');
  const state = h.state
    ? t('cli.state', {
        status: labelOf(lang, 'itemStatuses', h.state.status),
        custodian: personLabel(lang, names, h.state.custodian),
        place: h.state.placeId ? placeLabel(lang, names, h.state.placeId) : 'none',
      })
    : t('cli.notYet');
  lines.push(
    t('cli.historyTotal', { count: h.events.length, order: h.order, at, state }),
    t('cli.readers', {
      readers: formatList(
        lang,
        // More than the first page: the rest are on the readers route (`readersNextCursor`).
        [...h.readers.map((r) => personLabel(lang, names, r.personId)), ...(h.readersNextCursor ? ['…'] : [])],
      ),
    }),
    h.verification.ok
      ? t('cli.verified', { count: h.verification.eventsChecked })
      : t('cli.notVerified', { failure: JSON.stringify(h.verification.firstFailure) }),
  );
  if (h.copyTree.length > 1)
    lines.push(
      t('cli.copies', {
        copies: formatList(
          lang,
          h.copyTree.slice(1).map((c) => t('cli.copyOf', { itemId: c.itemId, copyOf: c.copyOf ?? '' })),
        ),
      }),
    );
  return lines.join('\n');
};
