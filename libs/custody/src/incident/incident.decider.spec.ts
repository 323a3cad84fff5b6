import { cmd, eventsOf, given, typesOf, violationCodes } from '../testing/custody-spec';
import {
  concluded,
  D0,
  deadline,
  DUE,
  flagged,
  incidentOpened,
  INVESTIGATION_DUE,
  itemReceived,
  personRegistered,
  report,
  reported,
} from './incident.fixtures';

const responder = (when: string) => ({ actor: 'p-dir', at: when });
const open = {
  incidentId: 'inc-9',
  kind: 'loss' as const,
  itemIds: ['doc-1'],
  discoveredAt: '2026-03-02T08:00:00.000Z',
  discoveredBy: 'p-dir',
  description: 'not in the safe',
};

describe('doc-1 registered, no incident inc-9', () => {
  it('opens the incident by hand with its discovery before the recording', () =>
    given(itemReceived('doc-1'), personRegistered('p-dir'))
      .when(cmd('OpenIncident', open, responder(D0)))
      .then([
        {
          streamId: 'incident-inc-9',
          events: [{ type: 'IncidentOpened', data: { ...open, itemIds: ['doc-1'], causes: [], at: D0 } }],
        },
      ]));

  it('refuses an item that is not registered with UNKNOWN_ITEM', () =>
    given(itemReceived('doc-1'), personRegistered('p-dir'))
      .when(cmd('OpenIncident', { ...open, itemIds: ['doc-1', 'doc-404'] }, responder(D0)))
      .thenThrows('UNKNOWN_ITEM'));

  it('refuses a discoverer who is not registered with UNKNOWN_PERSON', () =>
    given(itemReceived('doc-1'))
      .when(cmd('OpenIncident', open, responder(D0)))
      .thenThrows('UNKNOWN_PERSON'));

  it('refuses a discovery after the recording instant as an input error', () =>
    given(itemReceived('doc-1'), personRegistered('p-dir'))
      .when(cmd('OpenIncident', { ...open, discoveredAt: '2026-03-02T12:00:00.000Z' }, responder(D0)))
      .thenThrows('INVALID_COMMAND'));

  it('does not know the incident for a report', () =>
    given()
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-9', ...report }, responder(D0)))
      .thenThrows('UNKNOWN_INCIDENT'));
});

describe('incident inc-1 open since 11:00, not reported', () => {
  it('refuses to open it again with INCIDENT_EXISTS', () =>
    given(incidentOpened(), itemReceived('doc-1'), personRegistered('p-dir'))
      .when(cmd('OpenIncident', { ...open, incidentId: 'inc-1' }, responder(D0)))
      .thenThrows('INCIDENT_EXISTS'));

  it('records a remedial action with who took it', () =>
    given(incidentOpened())
      .when(
        cmd(
          'RecordRemedialAction',
          { incidentId: 'inc-1', action: 'search organised' },
          responder('2026-03-02T12:00:00.000Z'),
        ),
      )
      .then([
        {
          streamId: 'incident-inc-1',
          events: [
            {
              type: 'RemedialActionRecorded',
              data: { incidentId: 'inc-1', action: 'search organised', by: 'p-dir', at: '2026-03-02T12:00:00.000Z' },
            },
          ],
        },
      ]));

  // TL2024 实施条例 第61条; 004_d1fc20a45ee67265.txt 一事一报 24小时内上报.
  it('accepts a report within 24 hours, not late, with no violation', () =>
    given(incidentOpened())
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-1', ...report }, responder('2026-03-03T10:59:00.000Z')))
      .then((w) => {
        expect(eventsOf(w)).toEqual([
          {
            type: 'IncidentReported',
            data: {
              incidentId: 'inc-1',
              ...report,
              by: 'p-dir',
              at: '2026-03-03T10:59:00.000Z',
              dueAt: DUE,
              late: false,
            },
          },
        ]);
      }));

  it('refuses a report missing one of the seven fields as an input error', () =>
    given(incidentOpened())
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-1', ...report, harm: '' }, responder(D0)))
      .thenThrows('INVALID_COMMAND'));

  it('accepts a late report and flags LEAK_REPORT_LATE with the id the deadline would use', () =>
    given(incidentOpened())
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-1', ...report }, responder('2026-03-03T12:00:00.000Z')))
      .then((w) => {
        expect(typesOf(w)).toEqual(['IncidentReported', 'ViolationDetected']);
        expect(eventsOf(w)[0].data).toMatchObject({ late: true });
        expect(eventsOf(w)[1].data).toMatchObject({
          violationId: 'inc-1:LEAK_REPORT_LATE',
          code: 'LEAK_REPORT_LATE',
          severity: 'critical',
          itemId: 'doc-1',
          personId: null,
          at: DUE,
        });
      }));

  it('refuses closing before the report with NOT_REPORTED', () =>
    given(incidentOpened())
      .when(cmd('CloseIncident', { incidentId: 'inc-1' }, responder(D0)))
      .thenThrows('NOT_REPORTED'));

  it('flags LEAK_REPORT_LATE when the 24-hour deadline fires', () =>
    given(incidentOpened())
      .when(cmd('FireDeadline', deadline('LEAK_REPORT_LATE', DUE), { actor: 'scheduler', at: DUE }))
      .then((w) => {
        expect(w.map((x) => x.streamId)).toEqual(['incident-inc-1']);
        expect(eventsOf(w).map((e) => e.data)).toEqual([
          expect.objectContaining({ violationId: 'inc-1:LEAK_REPORT_LATE', code: 'LEAK_REPORT_LATE', at: DUE }),
        ]);
      }));

  it('flags nothing when the deadline is fired before it is due', () =>
    given(incidentOpened())
      .when(
        cmd('FireDeadline', deadline('LEAK_REPORT_LATE', DUE), { actor: 'scheduler', at: '2026-03-03T10:00:00.000Z' }),
      )
      .then([]));

  // BG99 第5条: the investigation's written result within 3 months.
  it('flags INVESTIGATION_REPORT_LATE (medium) when the 3-month deadline fires', () =>
    given(incidentOpened())
      .when(
        cmd('FireDeadline', deadline('INVESTIGATION_REPORT_LATE', INVESTIGATION_DUE), {
          actor: 'scheduler',
          at: INVESTIGATION_DUE,
        }),
      )
      .then((w) =>
        expect(eventsOf(w).map((e) => e.data)).toEqual([
          expect.objectContaining({
            violationId: 'inc-1:INVESTIGATION_REPORT_LATE',
            code: 'INVESTIGATION_REPORT_LATE',
            severity: 'medium',
            itemId: 'doc-1',
          }),
        ]),
      ));

  it('concludes the investigation in time without a violation', () =>
    given(incidentOpened())
      .when(
        cmd(
          'ConcludeInvestigation',
          { incidentId: 'inc-1', finding: 'theft', responsible: ['p-zhang'] },
          responder('2026-04-01T00:00:00.000Z'),
        ),
      )
      .then((w) => {
        expect(typesOf(w)).toEqual(['InvestigationConcluded']);
        expect(eventsOf(w)[0].data).toMatchObject({
          finding: 'theft',
          responsible: ['p-zhang'],
          late: false,
          dueAt: INVESTIGATION_DUE,
        });
      }));

  it('accepts a late conclusion and flags INVESTIGATION_REPORT_LATE once', () =>
    given(incidentOpened())
      .when(
        cmd(
          'ConcludeInvestigation',
          { incidentId: 'inc-1', finding: 'theft', responsible: [] },
          responder('2026-06-03T00:00:00.000Z'),
        ),
      )
      .then((w) => expect(violationCodes(w)).toEqual(['INVESTIGATION_REPORT_LATE'])));
});

describe('incident inc-1 already flagged LEAK_REPORT_LATE by its deadline', () => {
  it('accepts the late report without flagging it again', () =>
    given(incidentOpened(), flagged('LEAK_REPORT_LATE'))
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-1', ...report }, responder('2026-03-03T12:00:00.000Z')))
      .then((w) => expect(typesOf(w)).toEqual(['IncidentReported'])));

  // contract §5.1 2: a paper report dated before the deadline, typed in after the deadline fired.
  it('resolves the flag when the report entered now was made before the deadline', () =>
    given(incidentOpened(), flagged('LEAK_REPORT_LATE'))
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-1', ...report }, responder('2026-03-02T20:00:00.000Z')))
      .then((w) => {
        expect(typesOf(w)).toEqual(['IncidentReported', 'ViolationResolved']);
        expect(eventsOf(w)[0].data).toMatchObject({ late: false });
        expect(eventsOf(w)[1].data).toMatchObject({
          violationId: 'inc-1:LEAK_REPORT_LATE',
          resolvedBy: 'p-dir',
          at: '2026-03-02T20:00:00.000Z',
        });
      }));

  it('resolves the investigation flag when a result made before its deadline is entered after it fired', () =>
    given(incidentOpened(), flagged('INVESTIGATION_REPORT_LATE'))
      .when(
        cmd(
          'ConcludeInvestigation',
          { incidentId: 'inc-1', finding: 'lost in a restaurant', responsible: ['p-zhang'] },
          responder('2026-04-01T00:00:00.000Z'),
        ),
      )
      .then((w) => {
        expect(typesOf(w)).toEqual(['InvestigationConcluded', 'ViolationResolved']);
        expect(eventsOf(w)[1].data).toMatchObject({ violationId: 'inc-1:INVESTIGATION_REPORT_LATE' });
      }));

  it('flags nothing when the deadline fires again', () =>
    given(incidentOpened(), flagged('LEAK_REPORT_LATE'))
      .when(cmd('FireDeadline', deadline('LEAK_REPORT_LATE', DUE), { actor: 'scheduler', at: DUE }))
      .then([]));
});

describe('incident inc-1 reported in time', () => {
  it('refuses a second report with ALREADY_REPORTED', () =>
    given(incidentOpened(), reported('2026-03-02T20:00:00.000Z'))
      .when(cmd('SubmitIncidentReport', { incidentId: 'inc-1', ...report }, responder('2026-03-02T21:00:00.000Z')))
      .thenThrows('ALREADY_REPORTED'));

  it('flags nothing when the 24-hour deadline fires', () =>
    given(incidentOpened(), reported('2026-03-02T20:00:00.000Z'))
      .when(cmd('FireDeadline', deadline('LEAK_REPORT_LATE', DUE), { actor: 'scheduler', at: DUE }))
      .then([]));

  it('closes it', () =>
    given(incidentOpened(), reported('2026-03-02T20:00:00.000Z'))
      .when(cmd('CloseIncident', { incidentId: 'inc-1', note: 'found' }, responder('2026-03-04T00:00:00.000Z')))
      .then([
        {
          streamId: 'incident-inc-1',
          events: [
            {
              type: 'IncidentClosed',
              data: { incidentId: 'inc-1', note: 'found', by: 'p-dir', at: '2026-03-04T00:00:00.000Z' },
            },
          ],
        },
      ]));
});

describe('incident inc-1 reported late after the deadline flagged it (a scheduler that was down)', () => {
  it('flags nothing when the deadline finally fires: the report already flagged it', () =>
    given(incidentOpened(), reported('2026-03-03T12:00:00.000Z'), flagged('LEAK_REPORT_LATE'))
      .when(
        cmd('FireDeadline', deadline('LEAK_REPORT_LATE', DUE), { actor: 'scheduler', at: '2026-03-03T13:00:00.000Z' }),
      )
      .then([]));
});

describe('incident inc-1 concluded', () => {
  it('refuses a second conclusion with ALREADY_CONCLUDED', () =>
    given(incidentOpened(), concluded('2026-04-01T00:00:00.000Z'))
      .when(
        cmd(
          'ConcludeInvestigation',
          { incidentId: 'inc-1', finding: 'again', responsible: [] },
          responder('2026-04-02T00:00:00.000Z'),
        ),
      )
      .thenThrows('ALREADY_CONCLUDED'));

  it('flags nothing when the 3-month deadline fires', () =>
    given(incidentOpened(), concluded('2026-04-01T00:00:00.000Z'))
      .when(
        cmd('FireDeadline', deadline('INVESTIGATION_REPORT_LATE', INVESTIGATION_DUE), {
          actor: 'scheduler',
          at: INVESTIGATION_DUE,
        }),
      )
      .then([]));
});

describe('incident inc-1 reported, its investigation not concluded', () => {
  // contract §5 gives ConcludeInvestigation and CloseIncident the same fields (finding, responsible[]).
  it('records the finding a close carries as the conclusion, then closes', () =>
    given(incidentOpened(), reported('2026-03-02T20:00:00.000Z'))
      .when(
        cmd(
          'CloseIncident',
          { incidentId: 'inc-1', finding: 'left unattended', responsible: ['p-zhang'] },
          responder('2026-03-05T00:00:00.000Z'),
        ),
      )
      .then((w) => {
        expect(typesOf(w)).toEqual(['InvestigationConcluded', 'IncidentClosed']);
        expect(eventsOf(w)[0].data).toMatchObject({
          finding: 'left unattended',
          responsible: ['p-zhang'],
          late: false,
        });
      }));

  it('closes without a conclusion when the close carries no finding', () =>
    given(incidentOpened(), reported('2026-03-02T20:00:00.000Z'))
      .when(cmd('CloseIncident', { incidentId: 'inc-1' }, responder('2026-03-05T00:00:00.000Z')))
      .then((w) => expect(typesOf(w)).toEqual(['IncidentClosed'])));
});

describe('incident inc-1 closed', () => {
  it('refuses closing again with ALREADY_CLOSED', () =>
    given(incidentOpened(), reported('2026-03-02T20:00:00.000Z'), {
      streamId: 'incident-inc-1',
      event: {
        type: 'IncidentClosed',
        data: { incidentId: 'inc-1', note: null, by: 'p-dir', at: '2026-03-04T00:00:00.000Z' },
      },
    })
      .when(cmd('CloseIncident', { incidentId: 'inc-1' }, responder('2026-03-05T00:00:00.000Z')))
      .thenThrows('ALREADY_CLOSED'));
});

describe('no incident inc-1 at all', () => {
  it('flags nothing when a deadline fires for it', () =>
    given()
      .when(cmd('FireDeadline', deadline('LEAK_REPORT_LATE', DUE), { actor: 'scheduler', at: DUE }))
      .then([]));
});

// contract §5.1 3 (004_d1fc20a45ee67265.txt 一事一报): the responder finds inc-2 (doc-2, opened 14:00) is the same event
// as inc-1 (doc-1, opened 11:00).
describe('MergeIncident: inc-2 into inc-1, neither reported', () => {
  const inc2 = {
    streamId: 'incident-inc-2',
    event: {
      type: 'IncidentOpened',
      data: {
        incidentId: 'inc-2',
        kind: 'leak',
        itemIds: ['doc-2'],
        discoveredAt: '2026-03-02T14:00:00.000Z',
        discoveredBy: 'p-zhang',
        occurredAt: '2026-03-02T08:00:00.000Z',
        description: 'OUT_OF_SCOPE_ACCESS on doc-2',
        causes: [
          {
            code: 'OUT_OF_SCOPE_ACCESS',
            itemId: 'doc-2',
            violationId: 'v2',
            personId: 'p-driver',
            at: '2026-03-02T08:00:00.000Z',
          },
        ],
        at: '2026-03-02T08:00:00.000Z',
      },
    },
  };
  const merge = (data = { incidentId: 'inc-2', into: 'inc-1' }) =>
    cmd('MergeIncident', data, responder('2026-03-02T16:00:00.000Z'));

  it("ends inc-2 and adds its causes to inc-1, raising inc-1's kind, its discovery kept", () =>
    given(incidentOpened(), inc2)
      .when(merge())
      .then([
        {
          streamId: 'incident-inc-2',
          events: [
            {
              type: 'IncidentMerged',
              data: { incidentId: 'inc-2', into: 'inc-1', by: 'p-dir', at: '2026-03-02T16:00:00.000Z' },
            },
          ],
        },
        {
          streamId: 'incident-inc-1',
          events: [
            {
              type: 'IncidentCauseAdded',
              data: {
                incidentId: 'inc-1',
                code: 'OUT_OF_SCOPE_ACCESS',
                itemId: 'doc-2',
                violationId: 'v2',
                personId: null,
                at: '2026-03-02T08:00:00.000Z',
                kind: 'leak',
                previousKind: 'suspected-leak',
                mergedFrom: 'inc-2',
              },
            },
          ],
        },
      ]));

  it('refuses ALREADY_REPORTED when inc-2 was reported (its report went out as its own event)', () =>
    given(incidentOpened(), inc2, {
      streamId: 'incident-inc-2',
      event: {
        ...reported('2026-03-02T15:00:00.000Z').event,
        data: { ...reported('x').event.data, incidentId: 'inc-2' },
      },
    })
      .when(merge())
      .thenThrows('ALREADY_REPORTED'));

  it('merges into a reported incident (the merged one was not reported)', () =>
    given(incidentOpened(), reported('2026-03-02T12:00:00.000Z'), inc2)
      .when(merge())
      .then((writes) => expect(typesOf(writes)).toEqual(['IncidentMerged', 'IncidentCauseAdded'])));

  it('refuses merging an incident into itself as an input error', () =>
    given(incidentOpened(), inc2)
      .when(merge({ incidentId: 'inc-2', into: 'inc-2' }))
      .thenThrows('INVALID_COMMAND'));

  it('does not know an incident that was never opened', () => {
    given(incidentOpened()).when(merge()).thenThrows('UNKNOWN_INCIDENT');
    given(inc2).when(merge()).thenThrows('UNKNOWN_INCIDENT');
  });

  it('refuses merging inc-2 twice, or into an incident merged away', () => {
    const inc2Merged = {
      streamId: 'incident-inc-2',
      event: { type: 'IncidentMerged', data: { incidentId: 'inc-2', into: 'inc-1', by: 'p-dir', at: D0 } },
    };
    given(incidentOpened(), inc2, inc2Merged).when(merge()).thenThrows('ALREADY_MERGED');
    given(incidentOpened(), inc2, inc2Merged)
      .when(merge({ incidentId: 'inc-1', into: 'inc-2' }))
      .thenThrows('ALREADY_MERGED');
  });

  // Its own deadlines end: the 24-hour deadline of a merged incident flags nothing.
  it('flags nothing on inc-2 when its deadline fires after the merge', () =>
    given(incidentOpened(), inc2, {
      streamId: 'incident-inc-2',
      event: { type: 'IncidentMerged', data: { incidentId: 'inc-2', into: 'inc-1', by: 'p-dir', at: D0 } },
    })
      .when(
        cmd(
          'FireDeadline',
          {
            deadline: {
              key: 'LEAK_REPORT_LATE:incident-inc-2',
              kind: 'LEAK_REPORT_LATE',
              streamId: 'incident-inc-2',
              dueAt: '2026-03-03T14:00:00.000Z',
            },
          },
          { at: '2026-03-03T14:00:00.000Z' },
        ),
      )
      .then([]));
});
