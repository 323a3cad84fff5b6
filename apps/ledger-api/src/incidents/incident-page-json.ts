/**
 * A page of incidents as JSON text, built once per read-model version and finished per request (issue 16). The
 * answer depends on the instant asked about only through `now` and, per incident, `overdue` and `reportTimeLeftMs`;
 * everything else (the view, the causes' titles, the report or its withholding, the labels: ~1 KB an incident, 47 KB
 * a page of 50) is serialized once and kept as the text around those two values. No library builds JSON from kept
 * fragments (`JSON.rawJSON` is not in Node 20), hence this file; incident-page-json.spec.ts holds its answers equal
 * to JSON.stringify of the answer built the ordinary way, at many instants, for both kinds of reader.
 */
import { isReportOverdue } from '@app/custody';
import type { IncidentRow } from '@app/read-models';

/** One incident's answer, split around its two time-dependent members. */
export interface IncidentParts {
  /** The row as the query decorated it (for `isReportOverdue` and the deadline). */
  row: Pick<IncidentRow, 'reportedAt' | 'reportDueAt' | 'mergedAt'>;
  /** The text before `overdue`'s value, between it and `reportTimeLeftMs`'s value, and after that. */
  before: string;
  between: string;
  after: string;
}

export interface IncidentPageParts {
  items: IncidentParts[];
  nextCursor: string | null;
}

const OVERDUE = ',"overdue":';
const TIME_LEFT = ',"reportTimeLeftMs":';

/**
 * Splits one incident's answer (`answer`: the decorated, labelled object as it would be sent; `row`: the decorated
 * row it came from). Both members are the decoration's own, added after every member of the view, and nothing after
 * them holds an object with members of those names (the withheld report is `null`, the labels are strings), so the
 * last occurrence of each is theirs: a key inside a string value has its quotes escaped and cannot match.
 */
export const incidentParts = (row: IncidentRow, answer: object): IncidentParts => {
  const json = JSON.stringify(answer);
  const o = json.lastIndexOf(OVERDUE) + OVERDUE.length;
  const overdueText = JSON.stringify(row.overdue);
  const t = json.lastIndexOf(TIME_LEFT) + TIME_LEFT.length;
  const timeLeftText = JSON.stringify(row.reportTimeLeftMs);
  if (
    o < OVERDUE.length ||
    t < o ||
    json.slice(o, o + overdueText.length) !== overdueText ||
    json.slice(t, t + timeLeftText.length) !== timeLeftText
  )
    throw new Error(`incident ${row.incidentId}: its answer does not have the shape incident-page-json expects`);
  return {
    row: { reportedAt: row.reportedAt, reportDueAt: row.reportDueAt, mergedAt: row.mergedAt },
    before: json.slice(0, o),
    between: json.slice(o + overdueText.length, t),
    after: json.slice(t + timeLeftText.length),
  };
};

/** The page's JSON at `now`: what `JSON.stringify({ now, items, nextCursor })` of the ordinary answer gives. */
export const incidentPageJson = (parts: IncidentPageParts, now: string): string => {
  const nowMs = Date.parse(now);
  let items = '';
  for (const p of parts.items) {
    // As IncidentQueries.decorate computes them.
    const overdue = isReportOverdue(p.row, now);
    const timeLeft = p.row.reportedAt === null ? Date.parse(p.row.reportDueAt) - nowMs : null;
    items += `${items ? ',' : ''}${p.before}${JSON.stringify(overdue)}${p.between}${JSON.stringify(timeLeft)}${p.after}`;
  }
  return `{"now":${JSON.stringify(now)},"items":[${items}],"nextCursor":${JSON.stringify(parts.nextCursor)}}`;
};
