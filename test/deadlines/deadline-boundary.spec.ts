import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { LedgerCore, ROLES } from '@app/application';

/**
 * An obligation to act within a window is met by an act at its last instant (contract §5: LEAK_REPORT_LATE "past
 * discoveredAt + 24 h", RECEIPT_MISSING when none arrives "within 48 h"), so those deadlines fire only once their
 * instant has passed; a secrecy period ends at its instant, so the declassification fires at it.
 */
describe('deadlines at their due instant', () => {
  let dir: string;
  let core: LedgerCore;
  const clock = new ManualClock('2026-03-02T01:00:00Z');
  const as = (personId: string) => ({ personId, name: personId, roles: [...ROLES] });
  const receive = (itemId: string, period: Record<string, unknown>) =>
    core.execute(
      'RegisterReceivedItem',
      {
        data: {
          itemId,
          title: itemId,
          level: 'SECRET',
          ...period,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-dir',
          scope: { persons: [] },
        },
      },
      as('p-dir'),
    );
  const codes = () => core.readModels.violations.list({}).items.map((v) => `${v.code}@${v.itemId}`);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deadline-boundary-'));
    core = await LedgerCore.open({ dataDir: dir, clock });
    for (const [personId, rank] of [
      ['p-dir', 'director'],
      ['p-clerk', 'staff'],
    ] as const)
      await core.execute(
        'RegisterPerson',
        { data: { personId, name: personId, rank, clearance: 'SECRET', unit: 'hq' } },
        as('p-registrar'),
      );
    await core.execute('RegisterPlace', { data: { placeId: 'room-1', name: 'r', kind: 'reading-room' } }, as('p-r'));
    await receive('doc-1', { periodYears: 10 });
    await receive('doc-2', { declassifyOn: '2026-03-04T01:00:00Z' });
    await core.execute(
      'RecordReading',
      { data: { itemId: 'doc-1', reader: 'p-clerk', placeId: 'room-1' } },
      as('p-dir'),
    );
  });
  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not flag the report at the 24th hour itself, and takes a report given then as in time', async () => {
    clock.set('2026-03-03T01:00:00Z');
    await core.fireDueDeadlines();
    expect(codes()).toEqual(['OUT_OF_SCOPE_ACCESS@doc-1']);
    const [incident] = core.readModels.incidents.list(clock.now().toISOString());
    expect(incident.overdue).toBe(false);
    await core.execute(
      'SubmitIncidentReport',
      {
        data: {
          incidentId: incident.incidentId,
          to: 'bureau',
          content: 'c',
          discovery: 'd',
          responsible: 'r',
          course: 'c',
          harm: 'h',
          investigation: 'i',
          remedialMeasures: 'm',
        },
      },
      as('p-dir'),
    );
    clock.set('2026-03-03T01:00:01Z');
    await core.fireDueDeadlines();
    expect(codes()).toEqual(['OUT_OF_SCOPE_ACCESS@doc-1']);
    expect(core.readModels.incidents.list(clock.now().toISOString())[0]).toMatchObject({
      reported: true,
      overdue: false,
    });
  });

  it('declassifies at the instant the period ends', async () => {
    clock.set('2026-03-04T00:59:59.999Z');
    await core.fireDueDeadlines();
    expect(core.readModels.custody.item('doc-2')?.status).toBe('active');
    clock.set('2026-03-04T01:00:00Z');
    await core.fireDueDeadlines();
    expect(core.readModels.custody.item('doc-2')?.status).toBe('declassified');
  });
});
