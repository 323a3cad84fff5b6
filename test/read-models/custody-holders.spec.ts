/**
 * The custody holders index: every person who has been custodian of record of an item, so that a departure entered
 * late is judged by what was held when the person left (002_c292fe519fc09962.txt 第30条, contract §5.1 2). It must
 * hold every holder, also one who held the item only between two events of one batch, and come out the same from a
 * rebuild (where each stream's rows are written once per page).
 */
import { openTestLedger, person, receiveSecret, type TestLedger } from '../investigation/ledger-fixture';

const H = 3600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * H).toISOString();

const handOver = (l: TestLedger, id: string, from: string, to: string, hours: number) =>
  l.run(
    from,
    'HandOver',
    { handoverId: id, from, to, items: ['doc-1'], itemized: true, signedByBoth: true, supervisor: 'p-dir' },
    at(hours),
  );

describe('the custody holders index', () => {
  let l: TestLedger;

  beforeAll(async () => {
    l = await openTestLedger();
    for (const p of ['p-a', 'p-b', 'p-c'])
      await l.run('p-registrar', 'RegisterPerson', person(p, 'staff', 'SECRET'), at(1));
    await l.run('p-registrar', 'RegisterPerson', person('p-dir', 'director', 'SECRET'), at(1));
    await receiveSecret(l, 'doc-1', 'p-a', at(2));
    await receiveSecret(l, 'doc-2', 'p-b', at(2));
    await handOver(l, 'h-1', 'p-a', 'p-b', 3);
    await handOver(l, 'h-2', 'p-b', 'p-c', 4);
  });
  afterAll(() => l.close());

  const holders = () => ({
    a: l.core.readModels.custody.everHeldBy('p-a'),
    b: l.core.readModels.custody.everHeldBy('p-b'),
    c: l.core.readModels.custody.everHeldBy('p-c'),
    dir: l.core.readModels.custody.everHeldBy('p-dir'),
  });

  it('names every custodian of record an item has had, the current one too', () => {
    expect(holders()).toEqual({ a: ['doc-1'], b: ['doc-1', 'doc-2'], c: ['doc-1'], dir: [] });
    expect(l.core.readModels.custody.heldBy('p-b').map((i) => i.itemId)).toEqual(['doc-2']);
  });

  it('comes out the same from a rebuild, where a stream is written once per page', async () => {
    const before = holders();
    await l.core.readModels.rebuild(undefined, { pageSize: 1_000 });
    expect(holders()).toEqual(before);
  });

  it('judges a departure entered late by what was held then: p-a held doc-1 at hour 2.5', async () => {
    const result = await l.run(
      'p-registrar',
      'RecordDeparture',
      { personId: 'p-a', decontaminationUntil: '2027-03-02T00:00:00Z' },
      at(2.5),
      at(5),
    );
    expect(result.violations.map((v) => [v.code, v.itemId])).toEqual([['DEPARTURE_ITEMS_UNRETURNED', 'doc-1']]);
  });
});
