/**
 * The words beside the codes of a view, for JSON responses: a `labels` object (and a violation's `title`) added next
 * to the fields, which stay as they are. A client that reads only codes sees nothing change.
 */
import { labelOf, type Lang } from './i18n';

type Row = Record<string, unknown>;
const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * A copy of a view with more members after its own: the same object `{ ...view, ...more }` builds, about ten times
 * faster in V8 for views of 15–20 members (a page of 50 violations: 434 → 47 µs; issue 16). For the ledger's views,
 * whose members are fixed names (never a `__proto__` from outside, which `Object.assign` would treat as the setter).
 */
const withMore = <T extends object, M extends object>(view: T, more: M): T & M => Object.assign({}, view, more);

export const itemLabels = <T extends object>(lang: Lang, item: T): T & { labels: Record<string, string> } => {
  const r = item as Row;
  return withMore(item, {
    labels: {
      level: labelOf(lang, 'levels', s(r.level)),
      status: labelOf(lang, 'itemStatuses', s(r.status)),
      carrier: labelOf(lang, 'carriers', s(r.carrier)),
    },
  });
};

export const violationLabels = <T extends object>(
  lang: Lang,
  v: T,
): T & { title: string; labels: Record<string, string> } => {
  const r = v as Row;
  return withMore(v, {
    title: labelOf(lang, 'violations', s(r.code)),
    labels: {
      severity: labelOf(lang, 'severities', s(r.severity)),
      status: labelOf(lang, 'violationStatuses', s(r.status)),
    },
  });
};

export const incidentLabels = <T extends object>(lang: Lang, i: T): T & { labels: Record<string, string> } => {
  const r = i as Row;
  const causes = Array.isArray(r.causes)
    ? (r.causes as Row[]).map((c) => withMore(c, { title: labelOf(lang, 'violations', s(c.code)) }))
    : undefined;
  return withMore(withMore(i, causes ? { causes } : {}), {
    labels: { kind: labelOf(lang, 'incidentKinds', s(r.kind)), status: labelOf(lang, 'incidentStatuses', s(r.status)) },
  });
};
