import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { LedgerCore, ROLES } from '@app/application';

/**
 * Deadlines are derived from the store, not held in memory: a service stopped before a deadline and started after
 * it fires the deadline at start (for the time it was down), at the due instant, exactly once.
 */
describe('a dispatch whose receipt never comes, across a restart', () => {
  let dir: string;
  const clock = new ManualClock('2026-05-04T01:00:00Z');
  const as = (personId: string) => ({ personId, name: personId, roles: [...ROLES] });
  const open = () => LedgerCore.open({ dataDir: dir, clock });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deadline-restart-'));
    const core = await open();
    for (const [personId, rank] of [
      ['p-d', 'manager'],
      ['p-a', 'director'],
    ] as const) {
      await core.execute(
        'RegisterPerson',
        { data: { personId, name: personId, rank, clearance: 'SECRET', unit: 'hq' } },
        as('p-registrar'),
      );
    }
    await core.execute(
      'RegisterReceivedItem',
      {
        data: {
          itemId: 'doc-c',
          title: 'doc',
          level: 'CONFIDENTIAL',
          periodYears: 5,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-d',
          scope: { persons: [] },
        },
      },
      as('p-d'),
    );
    clock.set('2026-05-04T06:00:00Z');
    await core.execute(
      'DispatchItem',
      { data: { itemId: 'doc-c', to: 'p-a', channel: 'ordinary-post', couriers: [] } },
      as('p-d'),
    );
    clock.set('2026-05-05T00:00:00Z');
    expect(await core.fireDueDeadlines()).toBe(0); // nothing due yet: the service stops here
    await core.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fires RECEIPT_MISSING and LEAK_REPORT_LATE at start for the time it was down, at their due instants', async () => {
    clock.set('2026-05-07T00:00:00Z'); // down for two days
    const core = await open();
    expect(await core.fireDueDeadlines()).toBeGreaterThanOrEqual(2);
    const codes = core.readModels.violations.list({}).items.map((v) => [v.code, v.at]);
    expect(codes).toEqual(
      expect.arrayContaining([
        ['RECEIPT_MISSING', '2026-05-06T06:00:00.000Z'],
        ['LEAK_REPORT_LATE', '2026-05-05T06:00:00.000Z'],
      ]),
    );
    await core.close();
  });

  it('does not fire them again after another restart', async () => {
    clock.set('2026-05-08T00:00:00Z');
    const core = await open();
    await core.fireDueDeadlines();
    await core.readModels.runner.rebuild(); // even with read models rebuilt from scratch
    await core.fireDueDeadlines();
    const counts = core.readModels.violations
      .list({})
      .items.reduce<Record<string, number>>((m, v) => ({ ...m, [v.code]: (m[v.code] ?? 0) + 1 }), {});
    expect(counts).toEqual({ INSECURE_CHANNEL: 1, RECEIPT_MISSING: 1, LEAK_REPORT_LATE: 1 });
    await core.close();
  });
});
