import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { LedgerCore, ROLES } from '@app/application';

/**
 * A reading asks the read models for its item's joinable incident (contract §5 leak rule: a second leak of the same
 * item joins the open incident, 004_d1fc20a45ee67265.txt 一事一报). The answer is remembered per item until the read
 * models apply an incident's event: the same answers as asking every time, one query per item while nothing changes.
 */
describe("a reading's lookup of its item's open incident", () => {
  let dir: string;
  let core: LedgerCore;
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const as = (personId: string) => ({ personId, name: personId, roles: [...ROLES] });
  const reading = (reader: string) =>
    core.execute('RecordReading', { data: { itemId: 'doc-1', reader, placeId: 'room-1' } }, as('p-zhang'));

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incident-lookup-'));
    core = await LedgerCore.open({ dataDir: dir, clock });
    const person = (personId: string, rank: string, clearance: string) =>
      core.execute(
        'RegisterPerson',
        { data: { personId, name: personId, rank, clearance, unit: 'office' } },
        as('p-registrar'),
      );
    await person('p-zhang', 'staff', 'SECRET');
    await person('p-dir', 'director', 'SECRET');
    await person('p-driver', 'staff', 'NONE');
    await core.execute(
      'RegisterPlace',
      { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } },
      as('p-registrar'),
    );
    await core.execute(
      'RegisterReceivedItem',
      {
        data: {
          itemId: 'doc-1',
          title: 't',
          level: 'SECRET',
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 's',
          receivedBy: 'p-zhang',
          scope: { persons: [] },
        },
      },
      as('p-zhang'),
    );
  });
  afterEach(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks once per item while no incident changes', async () => {
    const asked = jest.spyOn(core.readModels.incidents, 'joinableFor');
    await reading('p-dir');
    await reading('p-dir');
    await reading('p-dir');
    expect(asked.mock.calls.filter(([itemId]) => itemId === 'doc-1')).toHaveLength(1);
  });

  it('sees the incident a leak opened: the next leak of the item joins it', async () => {
    await reading('p-dir');
    const first = await reading('p-driver');
    const opened = first.events.find((e) => e.type === 'IncidentOpened');
    expect(opened).toBeDefined();
    const second = await reading('p-driver');
    expect(second.events.map((e) => e.type)).toContain('IncidentCauseAdded');
    expect(second.events.map((e) => e.type)).not.toContain('IncidentOpened');
    expect(second.events.find((e) => e.type === 'IncidentCauseAdded')?.streamId).toBe(opened!.streamId);
    expect(second.violations[0].incidentId).toBe(first.violations[0].incidentId);
  });
});
