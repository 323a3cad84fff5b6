import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { LedgerCore, ROLES } from '@app/application';

/**
 * A bulk load walking its clock (bench/scale-data.ts) fires each step's due deadlines after the step's commands in
 * the same batch (`executeBatch`'s `fireDeadlines`) instead of in a scheduler round of its own: the ledger it leaves
 * is the one the batch and then `fireDueDeadlines` leave, event for event.
 */
describe('due deadlines fired inside a command batch', () => {
  const dirs: string[] = [];
  const cores: LedgerCore[] = [];
  const as = (personId: string) => ({ personId, name: personId, roles: [...ROLES] });
  const day1 = '2026-03-02T09:00:00Z';
  const day2 = '2026-03-03T10:00:00Z';

  /** A director, a clerk out of scope, a reading room, two items, and the clerk's reading of doc-1 on day 1. */
  const open = async (): Promise<{ core: LedgerCore; clock: ManualClock }> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-firing-'));
    dirs.push(dir);
    const clock = new ManualClock(day1);
    const core = await LedgerCore.open({ dataDir: dir, clock });
    cores.push(core);
    const setup: [string, Record<string, unknown>][] = [
      ['RegisterPerson', { personId: 'p-dir', name: 'd', rank: 'director', clearance: 'SECRET', unit: 'hq' }],
      ['RegisterPerson', { personId: 'p-clerk', name: 'c', rank: 'staff', clearance: 'SECRET', unit: 'hq' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'r', kind: 'reading-room' }],
      ...['doc-1', 'doc-2'].map((itemId): [string, Record<string, unknown>] => [
        'RegisterReceivedItem',
        {
          itemId,
          title: itemId,
          level: 'SECRET',
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-dir',
          scope: { persons: [] },
        },
      ]),
      ['RecordReading', { itemId: 'doc-1', reader: 'p-clerk', placeId: 'room-1' }],
    ];
    for (const [name, data] of setup) await core.execute(name, { data }, as('p-dir'));
    clock.set(day2);
    return { core, clock };
  };
  const dayTwo = [
    { name: 'RecordReading', body: { data: { itemId: 'doc-2', reader: 'p-dir', placeId: 'room-1' } } },
    { name: 'RecordReading', body: { data: { itemId: 'doc-1', reader: 'p-dir', placeId: 'room-1' } } },
  ];
  /** The store's events in position order, UUIDs (random per run: command ids, incident ids) blanked. */
  const events = async (core: LedgerCore) => {
    const all = await core.store.readAll();
    const blank = (s: string) => s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '*');
    return all.map((e) => `${e.position} ${blank(e.streamId)} ${e.type} ${blank(JSON.stringify(e.data))}`);
  };

  afterAll(async () => {
    for (const core of cores) await core.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('appends the firings after the commands, marks them fired, and leaves what the batch and a scheduler round leave', async () => {
    const apart = await open();
    await apart.core.executeBatch(dayTwo, as('p-dir'));
    expect(await apart.core.fireDueDeadlines()).toBe(1);

    const joined = await open();
    const due = joined.core.readModels.dueDeadlines(joined.clock.now().toISOString(), 100);
    expect(due.map((d) => d.kind)).toEqual(['LEAK_REPORT_LATE']);
    const results = await joined.core.executeBatch(dayTwo, as('p-dir'), { fireDeadlines: due });

    // One result per command, none for the firings; the firings come after the commands' events.
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const last = Math.max(...results.flatMap((r) => (r.ok ? r.response.events.map((e) => e.position) : [])));
    const late = joined.core.readModels.violations.list({}).items.filter((v) => v.code === 'LEAK_REPORT_LATE');
    expect(late).toHaveLength(1);
    expect(late[0].position).toBeGreaterThan(last);
    // Marked fired and projected: the scheduler finds nothing left to fire.
    expect(joined.core.readModels.dueDeadlines(joined.clock.now().toISOString(), 100)).toEqual([]);
    expect(await joined.core.fireDueDeadlines()).toBe(0);

    expect(await events(joined.core)).toEqual(await events(apart.core));
  });
});
