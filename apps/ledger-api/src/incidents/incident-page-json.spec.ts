import fc from 'fast-check';
import type { IncidentView } from '@app/custody';
import { incidentFor, incidentLabels, LANGUAGES, ROLES, type Role } from '@app/application';
import { closeReadModelDb, IncidentQueries, openReadModelDb, type Db } from '@app/read-models';
import { incidentPageJson, incidentParts } from './incident-page-json';

/**
 * The kept page, finished at another instant, must be byte for byte the answer built afresh at that instant (the
 * controller's ordinary path: the query's decorated rows, incidentFor, incidentLabels, JSON.stringify), whatever the
 * views hold — quotes, escapes, the very member names the split looks for inside strings and inside a report.
 */
describe('a page of incidents as kept JSON text', () => {
  let db: Db;
  beforeEach(() => {
    db = openReadModelDb(':memory:');
  });
  afterEach(() => closeReadModelDb(db));

  const H = 3_600_000;
  const T0 = Date.parse('2026-03-02T00:00:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const tricky = fc.oneof(
    fc.string(),
    fc.constantFrom(',"overdue":true', '","reportTimeLeftMs":5', '\\"', '"}', '泄密 "报告"', ''),
  );
  const incident = (i: number) =>
    fc.record({
      description: tricky,
      discoveredH: fc.integer({ min: 0, max: 100 }),
      reportedH: fc.option(fc.integer({ min: 0, max: 100 })),
      mergedH: fc.option(fc.integer({ min: 0, max: 100 })),
      closed: fc.boolean(),
      report: fc.option(fc.dictionary(fc.constantFrom('overdue', 'reportTimeLeftMs', 'what', 'labels'), tricky)),
      causes: fc.array(fc.record({ code: fc.constantFrom('OUT_OF_SCOPE_ACCESS', 'ITEM_MISSING', 'NOPE'), at: tricky })),
      id: fc.constant(`inc-${i}`),
    });

  const insert = (rows: { id: string; view: IncidentView }[]) => {
    const st = db.prepare(
      `INSERT INTO incidents (incident_id, status, kind, discovered_at, report_due_at, reported_at, closed_at, view,
        opened_position, report_due_ms, reported_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    rows.forEach(({ id, view: v }, i) =>
      st.run(
        id,
        v.status,
        v.kind,
        v.discoveredAt,
        v.reportDueAt,
        v.reportedAt,
        v.closedAt,
        JSON.stringify(v),
        i + 1,
        Date.parse(v.reportDueAt),
        v.reportedAt === null ? null : Date.parse(v.reportedAt),
      ),
    );
  };

  it('equals the answer built afresh, at any instant, in every language, for readers of reports and others', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }).chain((ns) => fc.tuple(...ns.map((_, i) => incident(i)))),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom<Role[][]>(['admin'], ['auditor'], [], [...ROLES]),
        fc.constantFrom(...LANGUAGES),
        (specs, keptH, askedH, roles, lang) => {
          db.exec('DELETE FROM incidents');
          insert(
            specs.map((s) => {
              const discovered = T0 + s.discoveredH * H;
              const reportedAt = s.reportedH === null ? null : iso(discovered + s.reportedH * H);
              const view: IncidentView = {
                incidentId: s.id,
                kind: 'leak',
                itemIds: ['doc-1'],
                discoveredAt: iso(discovered),
                discoveredBy: 'p-1',
                occurredAt: iso(discovered - H),
                description: s.description,
                reportDueAt: iso(discovered + 24 * H),
                investigationDueAt: iso(discovered + 90 * 24 * H),
                reportedAt,
                report: reportedAt === null ? null : (s.report ?? {}),
                concludedAt: null,
                closedAt: s.closed ? iso(discovered + 200 * H) : null,
                mergedInto: s.mergedH === null ? null : 'inc-x',
                mergedAt: s.mergedH === null ? null : iso(discovered + s.mergedH * H),
                status: s.closed ? 'closed' : reportedAt ? 'reported' : 'open',
                causes: s.causes.map((c) => ({ ...c, itemId: 'doc-1', violationId: null })),
                remedialActions: [],
              };
              return { id: s.id, view };
            }),
          );
          const queries = new IncidentQueries(db);
          const kept = T0 + keptH * H;
          const asked = iso(T0 + askedH * H + 1234);
          const parts = {
            ...queries.page(iso(kept), {}),
            items: queries
              .page(iso(kept), {})
              .items.map((i) => incidentParts(i, incidentLabels(lang, incidentFor(roles, i)))),
          };
          const fresh = queries.page(asked, {});
          const expected = JSON.stringify({
            now: asked,
            ...fresh,
            items: fresh.items.map((i) => incidentLabels(lang, incidentFor(roles, i))),
          });
          expect(incidentPageJson(parts, asked)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses an answer whose shape it does not know rather than splitting it wrongly', () => {
    expect(() =>
      incidentParts({ incidentId: 'i', overdue: true, reportTimeLeftMs: 3 } as never, { incidentId: 'i' }),
    ).toThrow(/shape/);
  });
});
