import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock, SqliteEventStore, ConcurrencyConflict } from '@app/ledger';
import { LedgerCore, ROLES } from '@app/application';

/**
 * Two service instances on one store, each with its own read models (the clustered set-up of contract §3, here on one
 * SQLite file through two connections): writers on the same item race across instances, the store's expected-revision
 * check catches it, and the runner re-reads and decides again.
 */
describe('two instances writing the same item', () => {
  let root: string;
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const as = (personId: string) => ({ personId, name: personId, roles: [...ROLES] });
  let a: LedgerCore;
  let b: LedgerCore;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'two-instances-'));
    const file = path.join(root, 'ledger.sqlite');
    const open = (name: string) => {
      fs.mkdirSync(path.join(root, name));
      return LedgerCore.open({
        dataDir: path.join(root, name),
        clock,
        store: SqliteEventStore.open(file, { pollIntervalMs: 20 }),
      });
    };
    a = await open('a');
    b = await open('b');
    await a.execute(
      'RegisterPerson',
      { data: { personId: 'p-zhang', name: 'Zhang', rank: 'director', clearance: 'SECRET', unit: 'office' } },
      as('p-registrar'),
    );
    await a.execute(
      'RegisterPlace',
      { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } },
      as('p-registrar'),
    );
    await a.execute(
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
    await b.readModels.catchUp();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('records every reading once, in dense revisions, and both read models agree', async () => {
    const reading = (i: number) =>
      (i % 2 ? a : b).execute(
        'RecordReading',
        { commandId: `read-${i}`, data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' } },
        as('p-zhang'),
      );
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => reading(i)));
    // A conflict that outlasts the runner's retries is an honest answer (409), never a lost or doubled write.
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failures) expect(f.reason).toBeInstanceOf(ConcurrencyConflict);
    for (let i = 0; i < 40; i++) if (results[i].status === 'rejected') await reading(i); // the client retries with the same id

    const stream = await a.store.readStream('item-doc-1');
    expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => i));
    const readings = stream.filter((e) => e.type === 'ItemRead');
    expect(readings).toHaveLength(40);
    expect(new Set(readings.map((e) => e.metadata.commandId)).size).toBe(40);

    const head = await a.store.headPosition();
    await a.readModels.runner.waitFor(head!);
    await b.readModels.runner.waitFor(head!);
    expect(b.readModels.custody.item('doc-1')).toEqual(a.readModels.custody.item('doc-1'));
  });

  // A reading's lookup (the item's open incident) catches the read models up to the store's head: right after this
  // instance's own commit, that commit is the head (no query); once it is older than 20 ms, the head is asked for,
  // so a write of the other instance's is waited for.
  it("catches a reading's lookup up to its own last commit without a query, and asks the store once it is old", async () => {
    const reading = (core: LedgerCore, commandId: string) =>
      core.execute(
        'RecordReading',
        { commandId, data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' } },
        as('p-zhang'),
      );
    const heads = jest.spyOn(a.store, 'headPosition');
    try {
      await reading(a, 'lookup-1');
      heads.mockClear();
      await reading(a, 'lookup-2');
      expect(heads).not.toHaveBeenCalled();

      await reading(b, 'lookup-other');
      await new Promise((r) => setTimeout(r, 40));
      heads.mockClear();
      await reading(a, 'lookup-3');
      expect(heads).toHaveBeenCalled();
    } finally {
      heads.mockRestore();
    }
  });
});
