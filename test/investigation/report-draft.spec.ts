import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { LedgerCore, ROLES, buildReportDraft, REPORT_DRAFT_FIELDS, type ReportDraft } from '@app/application';
import type { Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';
import { ledgerAfter } from './ledger-fixture';

const SCENARIO = path.join(__dirname, '..', 'scenarios', 'public', 'secretary-restaurant.json');
const load = (): Scenario => JSON.parse(fs.readFileSync(SCENARIO, 'utf8'));
const HOUR = 3600_000;

const responder = { personId: 'p-dir', name: 'Li', roles: [...ROLES] };

describe('the secretary-restaurant incident, fully played (a late report is in)', () => {
  let core: LedgerCore;
  let dir: string;
  let draft: ReportDraft;

  beforeAll(async () => {
    ({ core, dir } = await ledgerAfter(load(), '2026-03-03T13:00:00Z'));
    const [incident] = core.readModels.incidents.list(core.clock.now().toISOString());
    await core.execute(
      'RecordRemedialAction',
      {
        data: { incidentId: incident.incidentId, action: 'restaurant staff questioned, CCTV requested' },
        occurredAt: '2026-03-03T12:30:00Z',
      },
      responder,
    );
    draft = (await buildReportDraft(core, incident.incidentId, { to: 'municipal secrecy bureau' }))!;
  });

  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fills all seven fields with text and facts, and the submission body', () => {
    for (const f of REPORT_DRAFT_FIELDS) {
      expect(draft[f].text.length).toBeGreaterThan(20);
      expect(draft.submission.data[f]).toBe(draft[f].text);
    }
    expect(draft.submission.data.to).toBe('municipal secrecy bureau');
    expect(draft.submission.data.incidentId).toBe(draft.incidentId);
  });

  it('(1) content: doc-1, SECRET, paper, one piece', () => {
    expect(draft.content.facts.items).toEqual([
      expect.objectContaining({
        itemId: 'doc-1',
        title: 'municipal directive No. 7',
        level: 'SECRET',
        carrier: 'paper',
        copyNo: 3,
        status: 'missing',
      }),
    ]);
    expect(draft.content.facts.quantity).toBe(1);
    expect(draft.content.text).toMatch(/municipal directive No\. 7.*doc-1.*SECRET, paper, copy No\. 3/);
  });

  it('(2) discovery: the unapproved carry-out to a public place first, the loss joined later, by Zhang', () => {
    expect(draft.discovery.facts.discoveredAt).toBe('2026-03-02T11:00:00.000Z');
    expect(draft.discovery.facts.discoveredBy).toBe('p-zhang');
    expect(draft.discovery.facts.causes.map((c) => c.code)).toEqual(['CARRY_OUT_UNAPPROVED', 'ItemLost']);
    expect(draft.discovery.facts.causes[1].detail).toContain('briefcase taken from a chair in the restaurant');
    expect(draft.discovery.text).toContain('Zhang (confidential secretary) [p-zhang]');
    expect(draft.discovery.text).toContain('CARRY_OUT_UNAPPROVED');
  });

  it('(3) responsible: Zhang, the custodian when the first cause happened', () => {
    expect(draft.responsible.facts).toEqual(
      expect.objectContaining({
        personId: 'p-zhang',
        itemId: 'doc-1',
        at: '2026-03-02T11:00:00.000Z',
        concluded: null,
      }),
    );
    expect(draft.responsible.facts.person).toEqual(expect.objectContaining({ rank: 'staff', unit: 'office' }));
    expect(draft.responsible.text).toMatch(/^Zhang \(confidential secretary\) \[p-zhang\], staff of office/);
  });

  it('(4) course: received, read, carried out to the restaurant, read there by the GM, lost — in the order they happened', () => {
    const facts = draft.course.facts.events.filter((e) => e.streamId === 'item-doc-1').map((e) => e.type);
    expect(facts).toEqual(['ItemReceived', 'ItemRead', 'ItemCarriedOut', 'ItemRead', 'ItemLost']);
    // The incident's own events are woven in: opened at the carry-out, the loss joined, the deadline flag, the report.
    const incident = draft.course.facts.events
      .filter((e) => e.streamId.startsWith('incident-'))
      .map((e) => `${e.type}@${e.at.slice(11, 16)}`);
    expect(incident).toEqual([
      'IncidentOpened@11:00',
      'IncidentCauseAdded@14:00',
      'ViolationDetected@11:00',
      'IncidentReported@12:00',
      'RemedialActionRecorded@12:30',
    ]);
    expect(draft.course.text).toContain('violation LEAK_REPORT_LATE (critical)');
    const carry = draft.course.facts.events.find((e) => e.type === 'ItemCarriedOut')!;
    expect(carry).toEqual(
      expect.objectContaining({ placeId: 'restaurant', violations: ['CARRY_OUT_UNAPPROVED'], actor: 'p-zhang' }),
    );
    expect(draft.course.text).toContain(
      'carried out by Zhang (confidential secretary) [p-zhang] to Riverside restaurant (public) without approval',
    );
    expect(draft.course.text).toContain(
      'read by Wang (general manager) [p-gm] at Riverside restaurant (public) [READ_OUTSIDE_APPROVED_PLACE]',
    );
    expect(draft.course.text).toContain('remedial action by Li (office director) [p-dir]');
  });

  it('(5) harm: the GM read it at the restaurant (in scope, wrong place); it went to a public place and is missing', () => {
    const gm = draft.harm.facts.exposure.entries.find((e) => e.personId === 'p-gm')!;
    expect(gm).toEqual(
      expect.objectContaining({
        kind: 'reading',
        itemId: 'doc-1',
        placeId: 'restaurant',
        placeKind: 'public',
        counted: false,
        withinScope: true,
      }),
    );
    const zhang = draft.harm.facts.exposure.entries.filter((e) => e.personId === 'p-zhang').map((e) => e.how);
    expect(zhang).toEqual(['receipt', 'carry-out']);
    expect(draft.harm.facts.exposure.persons.map((p) => p.personId)).toEqual(['p-dir', 'p-gm', 'p-zhang']);
    expect(draft.harm.facts.unentitledReadings).toEqual([]);
    // contract §5.1 point 12: the GM was entitled to read it; the harm is the unapproved carry-out and the loss.
    expect(draft.harm.facts.beyondRange.map((b) => b.what)).toEqual([
      'carried out by Zhang (confidential secretary) [p-zhang] to Riverside restaurant (public) without an approval',
      'lost: briefcase taken from a chair in the restaurant',
    ]);
    expect(draft.harm.facts.withinApproval).toEqual([]);
    expect(draft.harm.facts.missing).toEqual([{ itemId: 'doc-1', status: 'missing' }]);
    expect(draft.harm.text).toContain('BG99 第2条 (b)');
    expect(draft.harm.text).toContain('Still missing: doc-1.');
  });

  it('(6) investigation: no conclusion yet, the three open violations', () => {
    expect(draft.investigation.facts.conclusion).toBeNull();
    expect(draft.investigation.facts.openViolations.map((v) => v.code)).toEqual([
      'CARRY_OUT_UNAPPROVED',
      'READ_OUTSIDE_APPROVED_PLACE',
      'LEAK_REPORT_LATE',
    ]);
    expect(draft.investigation.text).toContain('no conclusion recorded yet');
  });

  it('(7) remedial measures: the action recorded', () => {
    expect(draft.remedialMeasures.facts.actions).toEqual([
      { action: 'restaurant staff questioned, CCTV requested', at: '2026-03-03T12:30:00.000Z', by: 'p-dir' },
    ]);
    expect(draft.remedialMeasures.text).toBe(
      '- 2026-03-03 12:30 UTC, Li (office director) [p-dir]: restaurant staff questioned, CCTV requested',
    );
  });

  it('shows the deadline passed and the (late) report already submitted', () => {
    expect(draft).toEqual(
      expect.objectContaining({
        kind: 'loss',
        reportDueAt: '2026-03-03T11:00:00.000Z',
        submitted: true,
        overdue: true,
        reportedAt: '2026-03-03T12:00:00.000Z',
        timeLeftMs: -2 * HOUR,
        now: '2026-03-03T13:00:00.000Z',
      }),
    );
    expect(draft.report).toEqual(expect.objectContaining({ to: 'municipal secrecy bureau' }));
  });
});

describe('the same incident three hours after the loss, before anything was reported', () => {
  let core: LedgerCore;
  let clock: ManualClock;
  let dir: string;

  beforeAll(async () => {
    const scenario = load();
    // Up to the loss and its check, nothing later.
    scenario.steps = scenario.steps.filter((s) => s.at <= '2026-03-02T14:01:00Z');
    ({ core, clock, dir } = await ledgerAfter(scenario, '2026-03-02T17:00:00Z'));
  });

  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts down on the ledger clock, and the draft as given is accepted as the report', async () => {
    const [incident] = core.readModels.incidents.list(clock.now().toISOString());
    const draft = (await buildReportDraft(core, incident.incidentId))!;
    expect(draft).toEqual(expect.objectContaining({ submitted: false, overdue: false, timeLeftMs: 18 * HOUR, to: '' }));
    expect(draft.investigation.facts.openViolations.map((v) => v.code)).toEqual([
      'CARRY_OUT_UNAPPROVED',
      'READ_OUTSIDE_APPROVED_PLACE',
    ]);
    expect(draft.remedialMeasures.text).toBe('No remedial action recorded yet.');

    clock.set('2026-03-02T18:00:00Z');
    const res = await core.execute(
      'SubmitIncidentReport',
      { data: { ...draft.submission.data, to: 'municipal secrecy bureau' } },
      responder,
    );
    expect(res.events.map((e) => e.type)).toEqual(['IncidentReported']);
    const after = (await buildReportDraft(core, incident.incidentId))!;
    expect(after).toEqual(
      expect.objectContaining({ submitted: true, overdue: false, reportedAt: '2026-03-02T18:00:00.000Z' }),
    );
    expect(after.report).toEqual(expect.objectContaining({ content: draft.content.text, harm: draft.harm.text }));
  });

  it('answers null for an unknown incident', async () => {
    expect(await buildReportDraft(core, 'inc-nope')).toBeNull();
  });
});

/**
 * contract §5.1 points 9 and 12: an approved carry-out to a ministry meeting is within approval, not harm; a journalist
 * there (an outsider, not a registered person) reads the document — the harm, listed by name.
 */
describe('an approved carry-out, then an outsider reads the item', () => {
  const scenario: Scenario = {
    name: 'journalist at the ministry',
    steps: [
      ...[
        ['p-gm', 'executive', 'TOP_SECRET', 'leadership'],
        ['p-dir', 'director', 'SECRET', 'office'],
      ].map(([personId, rank, clearance, unit]) => ({
        at: '2026-03-02T01:00:00Z',
        actor: 'p-registrar',
        command: 'RegisterPerson',
        data: { personId, name: personId, rank, clearance, unit },
      })),
      {
        at: '2026-03-02T01:00:00Z',
        actor: 'p-registrar',
        command: 'RegisterPlace',
        data: { placeId: 'ministry', name: 'ministry meeting room', kind: 'external' },
      },
      {
        at: '2026-03-02T02:00:00Z',
        actor: 'p-dir',
        command: 'RegisterReceivedItem',
        data: {
          itemId: 'doc-m',
          title: 'negotiation brief',
          level: 'SECRET',
          periodYears: 5,
          basis: 'catalogue 2.2',
          carrier: 'paper',
          sender: 'head office',
          receivedBy: 'p-dir',
          scope: { persons: [] },
        },
      },
      {
        at: '2026-03-02T03:00:00Z',
        actor: 'p-gm',
        command: 'ApproveCarryOut',
        data: { itemId: 'doc-m', person: 'p-dir', destination: 'ministry', until: '2026-03-02T18:00:00Z' },
      },
      {
        at: '2026-03-02T04:00:00Z',
        actor: 'p-dir',
        command: 'RecordCarryOut',
        data: { itemId: 'doc-m', person: 'p-dir', destination: 'ministry' },
      },
      {
        at: '2026-03-02T05:00:00Z',
        actor: 'p-dir',
        command: 'RecordReading',
        data: {
          itemId: 'doc-m',
          outsider: { name: 'Ms. Gao (journalist)', affiliation: 'Evening News' },
          placeId: 'ministry',
        },
      },
    ],
  };
  let core: LedgerCore;
  let dir: string;
  let draft: ReportDraft;

  beforeAll(async () => {
    ({ core, dir } = await ledgerAfter(scenario, '2026-03-02T06:00:00Z'));
    const [incident] = core.readModels.incidents.list(core.clock.now().toISOString());
    draft = (await buildReportDraft(core, incident.incidentId, { to: 'municipal secrecy bureau' }))!;
  });
  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the outsider by name in the exposure set, outside scope', () => {
    const entry = draft.harm.facts.exposure.entries.find((e) => e.outsider)!;
    expect(entry).toMatchObject({
      personId: 'outsider:Ms. Gao (journalist)',
      name: 'Ms. Gao (journalist)',
      outsider: { name: 'Ms. Gao (journalist)', affiliation: 'Evening News' },
      kind: 'reading',
      withinScope: false,
      reason: 'outsider',
      violations: ['OUT_OF_SCOPE_ACCESS', 'READ_OUTSIDE_APPROVED_PLACE'],
    });
    expect(draft.harm.facts.exposure.outsideScope.persons).toEqual(['outsider:Ms. Gao (journalist)']);
  });

  it('states the outsider as harm and the approved carry-out apart, as within approval', () => {
    expect(draft.harm.facts.outsiders).toEqual([
      expect.objectContaining({ name: 'Ms. Gao (journalist)', affiliation: 'Evening News', itemId: 'doc-m' }),
    ]);
    expect(draft.harm.facts.beyondRange).toEqual([]);
    expect(draft.harm.facts.withinApproval.map((m) => m.what)).toEqual([
      'carried out by p-dir [p-dir] to ministry meeting room (external), under an approval',
    ]);
    const text = draft.harm.text;
    expect(text).toContain('Ms. Gao (journalist) (Evening News), not a registered person');
    expect(text).not.toContain('Possible harm');
    expect(text.indexOf('Within approval (not harm):')).toBeGreaterThan(text.indexOf('Ms. Gao'));
  });

  it('names the outsider in the course of events', () =>
    expect(draft.course.text).toContain(
      'read by Ms. Gao (journalist) (Evening News), not a registered person at ministry meeting room (external)',
    ));
});
