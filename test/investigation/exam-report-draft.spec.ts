import * as fs from 'node:fs';
import { LedgerCore, buildReportDraft, type ReportDraft } from '@app/application';
import type { Scenario, ScenarioStep } from '../../apps/ledger-cli/src/scenario/scenario-runner';
import { ledgerAfter } from './ledger-fixture';

/**
 * An examiner's case for the report draft (contract §5 Report draft, §5.1 points 2, 7, 9 and 12), written from the
 * texts: a copy sent by fax, signed for by a clerk out of scope, read by an outsider, carried out under an approval, and a
 * late-entered reading by someone who was in scope when it happened. Field 5 must list as harm exactly what went
 * outside the permitted range, with the approved movement apart, and the exposure set must name the outsider and the
 * signer, judged as things stood.
 */
const T = (hhmm: string, day = '02'): string => `2026-03-${day}T${hhmm}:00Z`;
const person = (personId: string, rank: string, clearance: string, unit = 'hq'): ScenarioStep => ({
  at: T('01:00'),
  actor: 'p-registrar',
  command: 'RegisterPerson',
  data: { personId, name: personId, rank, clearance, unit },
});
const place = (placeId: string, kind: string): ScenarioStep => ({
  at: T('01:00'),
  actor: 'p-registrar',
  command: 'RegisterPlace',
  data: { placeId, name: placeId, kind },
});
const step = (
  at: string,
  actor: string,
  command: string,
  data: Record<string, unknown>,
  extra: Partial<ScenarioStep> = {},
): ScenarioStep => ({ at, actor, command, data, ...extra });

const scenario: Scenario = {
  name: 'exam: a faxed copy, an out-of-scope signer, an outsider and an approved carry-out in one incident',
  steps: [
    person('p-gm', 'executive', 'TOP_SECRET'),
    person('p-dir', 'director', 'SECRET'),
    person('p-ana', 'staff', 'SECRET'),
    person('p-clerk', 'staff', 'SECRET'),
    place('room-1', 'reading-room'),
    place('office-1', 'office'),
    place('bureau', 'external'),
    step(T('02:00'), 'p-dir', 'RegisterReceivedItem', {
      itemId: 'doc-1',
      title: 'tender evaluation',
      level: 'SECRET',
      periodYears: 5,
      basis: 'catalogue 2.2',
      carrier: 'paper',
      sender: 'head office',
      receivedBy: 'p-dir',
      scope: { persons: ['p-ana'] },
    }),
    step(T('02:10'), 'p-dir', 'RequestCopy', { itemId: 'doc-1', requestId: 'r-1', copies: 1 }),
    step(T('02:20'), 'p-gm', 'ApproveCopy', { itemId: 'doc-1', requestId: 'r-1' }),
    step(T('02:30'), 'p-dir', 'RecordCopy', { itemId: 'doc-1', copyItemId: 'doc-1-c1', requestId: 'r-1' }),
    // 03:00 the copy goes by fax: INSECURE_CHANNEL, a suspected leak discovered now.
    step(T('03:00'), 'p-dir', 'DispatchItem', { itemId: 'doc-1-c1', to: 'p-gm', channel: 'fax' }),
    // 04:00 a clerk outside the scope signs for it: RECEIPT_BY_OTHER and OUT_OF_SCOPE_ACCESS, joining the incident.
    step(T('04:00'), 'p-clerk', 'AcknowledgeReceipt', { itemId: 'doc-1-c1', by: 'p-clerk' }),
    step(T('05:00'), 'p-clerk', 'RecordReading', {
      itemId: 'doc-1-c1',
      outsider: { name: 'Mr. Qian (visitor)', affiliation: 'supplier' },
      placeId: 'office-1',
    }),
    step(T('06:00'), 'p-gm', 'ApproveCarryOut', {
      itemId: 'doc-1-c1',
      person: 'p-dir',
      destination: 'bureau',
      until: T('18:00'),
    }),
    step(T('06:30'), 'p-dir', 'RecordCarryOut', { itemId: 'doc-1-c1', person: 'p-dir', destination: 'bureau' }),
    // Ana read the copy at 07:00 (in scope then); she departed at 08:00; the reading was typed in at 09:00.
    step(T('08:00'), 'p-registrar', 'RecordDeparture', {
      personId: 'p-ana',
      decontaminationUntil: '2027-03-02T00:00:00Z',
    }),
    step(
      T('07:00'),
      'p-dir',
      'RecordReading',
      { itemId: 'doc-1-c1', reader: 'p-ana', placeId: 'bureau' },
      {
        recordedAt: T('09:00'),
      },
    ),
    step(T('10:00'), 'p-dir', 'RecordBringBack', { itemId: 'doc-1-c1', person: 'p-dir', placeId: 'office-1' }),
    {
      at: T('10:01'),
      expect: {
        incidentCount: 1,
        incidents: [{ itemId: 'doc-1-c1', kind: 'leak', reported: false, overdue: false }],
        violations: [
          { code: 'INSECURE_CHANNEL', itemId: 'doc-1-c1' },
          { code: 'RECEIPT_BY_OTHER', itemId: 'doc-1-c1' },
          { code: 'OUT_OF_SCOPE_ACCESS', itemId: 'doc-1-c1', personId: 'p-clerk' },
          { code: 'OUT_OF_SCOPE_ACCESS', itemId: 'doc-1-c1' },
        ],
      },
    },
  ],
};

describe('exam: the report draft of one incident with every kind of contact', () => {
  let core: LedgerCore;
  let dir: string;
  let draft: ReportDraft;

  beforeAll(async () => {
    ({ core, dir } = await ledgerAfter(scenario, T('11:00')));
    const [incident] = core.readModels.incidents.list(core.clock.now().toISOString());
    draft = (await buildReportDraft(core, incident.incidentId, { to: 'municipal secrecy bureau' }))!;
  });
  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is discovered when the ledger recorded the fax, and due 24 hours after', () => {
    expect(draft.discoveredAt).toBe('2026-03-02T03:00:00.000Z');
    expect(draft.reportDueAt).toBe('2026-03-03T03:00:00.000Z');
    expect(draft.overdue).toBe(false);
    expect(draft.kind).toBe('leak');
  });

  it('names the outsider and the out-of-scope signer in the exposure set, outside scope', () => {
    const entries = draft.harm.facts.exposure.entries;
    expect(entries.find((e) => e.outsider)).toMatchObject({
      personId: 'outsider:Mr. Qian (visitor)',
      itemId: 'doc-1-c1',
      kind: 'reading',
      withinScope: false,
      reason: 'outsider',
    });
    expect(entries.find((e) => e.personId === 'p-clerk')).toMatchObject({
      itemId: 'doc-1-c1',
      kind: 'custody',
      withinScope: false,
    });
    expect(draft.harm.facts.exposure.outsideScope.persons).toEqual(
      expect.arrayContaining(['outsider:Mr. Qian (visitor)', 'p-clerk']),
    );
  });

  it("judges Ana's late-entered reading as things stood at 07:00: within scope, no out-of-scope access", () => {
    const ana = draft.harm.facts.exposure.entries.find((e) => e.personId === 'p-ana' && e.kind === 'reading');
    // In scope then; the reading at the bureau is only outside an approved reading place (not harm, §5.1 point 12).
    expect(ana).toMatchObject({
      itemId: 'doc-1-c1',
      withinScope: true,
      reason: null,
      violations: ['READ_OUTSIDE_APPROVED_PLACE'],
    });
    expect(draft.harm.facts.exposure.outsideScope.persons).not.toContain('p-ana');
    expect(draft.harm.facts.outOfScopeContacts.map((e) => e.personId)).not.toContain('p-ana');
  });

  it('lists as harm the fax, the signer and the outsider; the approved carry-out apart, as within approval', () => {
    const harm = draft.harm.facts;
    expect(harm.outsiders).toEqual([
      expect.objectContaining({ name: 'Mr. Qian (visitor)', affiliation: 'supplier', itemId: 'doc-1-c1' }),
    ]);
    expect(harm.outOfScopeContacts.map((e) => e.personId)).toEqual(
      expect.arrayContaining(['p-clerk', 'outsider:Mr. Qian (visitor)']),
    );
    expect(harm.beyondRange).toHaveLength(1);
    expect(harm.beyondRange[0]).toMatchObject({ itemId: 'doc-1-c1', at: '2026-03-02T03:00:00.000Z' });
    expect(harm.withinApproval).toHaveLength(1);
    expect(harm.withinApproval[0]).toMatchObject({ itemId: 'doc-1-c1', at: '2026-03-02T06:30:00.000Z' });
    expect(harm.missing).toEqual([]);
    expect(draft.harm.text).toContain('Mr. Qian (visitor)');
  });

  it('gives the custodian at the first cause as responsible, and doc-1-c1 as one copy in the content', () => {
    expect(draft.responsible.facts.personId).toBe('p-dir');
    // The incident starts from the copy: it is still a copy, not an original, in field (1).
    expect(draft.content.facts).toMatchObject({ quantity: 1, originals: 0, copies: 1 });
    expect(draft.content.facts.items).toEqual([expect.objectContaining({ itemId: 'doc-1-c1', copyOf: 'doc-1' })]);
    expect(draft.content.text).toMatch(/^0 classified item\(s\) and 1 copy\(ies\), 1 in all:/);
  });
});
