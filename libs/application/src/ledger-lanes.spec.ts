import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock, type RecordedEvent } from '@app/ledger';
import { LedgerCore } from './ledger-core';
import { ROLES } from './principal';

/**
 * `LedgerCore.executeLanes` (the scale build's bulk load): lanes run as `executeBatch` runs each, one after another
 * in positions, but a lane is decided while the lane before it is being appended.
 */
describe('LedgerCore.executeLanes', () => {
  const dirs: string[] = [];
  const cores: LedgerCore[] = [];
  const admin = { personId: 'p-dir', name: 'p-dir', roles: [...ROLES] };
  const reading = (itemId: string) => ({
    name: 'RecordReading',
    body: { data: { itemId, reader: 'p-dir', placeId: 'room-1' } },
  });

  const open = async (): Promise<LedgerCore> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-lanes-'));
    dirs.push(dir);
    const core = await LedgerCore.open({ dataDir: dir, clock: new ManualClock('2026-03-02T09:00:00Z') });
    cores.push(core);
    const setup: [string, Record<string, unknown>][] = [
      ['RegisterPerson', { personId: 'p-dir', name: 'd', rank: 'director', clearance: 'SECRET', unit: 'hq' }],
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
    ];
    for (const [name, data] of setup) await core.execute(name, { data }, admin);
    return core;
  };
  const stored = async (core: LedgerCore) =>
    (await core.store.readAll()).map((e: RecordedEvent) => `${e.position} ${e.streamId}@${e.revision} ${e.type}`);

  afterAll(async () => {
    for (const core of cores) await core.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('decides the next lane while the one before it is being appended, and stores them in lane order', async () => {
    const core = await open();
    const log: string[] = [];
    const store = core.store as { appendCommands: NonNullable<typeof core.store.appendCommands> };
    const append = store.appendCommands.bind(core.store);
    store.appendCommands = (writes) => {
      log.push('append begun');
      return append(writes).finally(() => log.push('append ended'));
    };
    const runBatch = core.runner.runBatch.bind(core.runner);
    core.runner.runBatch = (...args) => {
      log.push('lane deciding');
      return runBatch(...args);
    };

    const answers = await core.executeLanes(
      [{ commands: [reading('doc-1'), reading('doc-1')] }, { commands: [reading('doc-2')] }],
      admin,
    );

    expect(answers.map((lane) => lane.map((a) => a.ok))).toEqual([[true, true], [true]]);
    // The second lane was decided (and even queued its append) before the first lane's append ended.
    expect(log.slice(0, 3)).toEqual(['lane deciding', 'append begun', 'lane deciding']);
    expect(log.filter((l) => l === 'append ended')).toHaveLength(2);
    expect((await stored(core)).slice(4)).toEqual([
      '5 item-doc-1@1 ItemRead',
      '6 item-doc-1@2 ItemRead',
      '7 item-doc-2@1 ItemRead',
    ]);
  });

  it('decides a command again alone when its lane decided on a stream the lane before it was still appending', async () => {
    const core = await open();
    const answers = await core.executeLanes(
      [{ commands: [reading('doc-1')] }, { commands: [reading('doc-1'), reading('doc-2')] }],
      admin,
    );

    expect(answers.map((lane) => lane.map((a) => a.ok))).toEqual([[true], [true, true]]);
    const events = await stored(core);
    // The conflicting reading lands after the other lane's, on the next revision: nothing lost, nothing twice.
    expect(events.filter((e) => e.includes('item-doc-1@'))).toEqual([
      '3 item-doc-1@0 ItemReceived',
      '5 item-doc-1@1 ItemRead',
      expect.stringMatching(/^\d+ item-doc-1@2 ItemRead$/),
    ]);
    expect(events.filter((e) => e.includes('ItemRead'))).toHaveLength(3);
  });
});
