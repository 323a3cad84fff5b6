/**
 * What a person may read now, from the item_access index (issue 16: it read and decided on every item). The pages,
 * walked to the end, must be exactly what the reading-scope rule admits over every item — the old answer — for every
 * person, after every kind of change the rule reads (scope extended, level changed, declassified, destroyed,
 * clearance changed, departure); and a page is index range reads, never a sort of every item.
 */
import { mayRead } from '@app/custody';
import { itemGates, personGates } from '@app/read-models';
import { openTestLedger, person, type TestLedger } from '../investigation/ledger-fixture';

const H = 3600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * H).toISOString();

describe("a person's access, paged from the item-by-person index", () => {
  let l: TestLedger;
  const ranks = ['staff', 'manager', 'director', 'executive'];
  const clearances = ['NONE', 'CONFIDENTIAL', 'SECRET', 'TOP_SECRET'];
  const levels = ['CONFIDENTIAL', 'SECRET', 'TOP_SECRET'];

  const receive = (itemId: string, level: string, scope: Record<string, unknown>, hours: number) =>
    l.run(
      'p-0',
      'RegisterReceivedItem',
      {
        itemId,
        title: `directive ${itemId}`,
        level,
        periodYears: 10,
        basis: 'catalogue 2.1',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-15',
        scope,
      },
      at(hours),
    );

  /** The old answer: every item, decided by the rule on each. */
  const expected = (personId: string): string[] => {
    const custody = l.core.readModels.custody;
    const p = custody.person(personId)!;
    return custody
      .items({})
      .filter((i) => mayRead(p, i))
      .map((i) => i.itemId);
  };

  const paged = (personId: string, limit: number): { ids: string[]; pages: number } => {
    const custody = l.core.readModels.custody;
    const ids: string[] = [];
    let cursor = '';
    let pages = 0;
    for (;;) {
      const page = custody.access(personId, cursor, limit)!;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      ids.push(...page.items.map((i) => i.itemId));
      pages++;
      if (!page.nextCursor) break;
      expect(page.nextCursor).toBe(page.items[page.items.length - 1].itemId);
      cursor = page.nextCursor;
    }
    return { ids, pages };
  };

  const everyoneAgrees = () => {
    let multiPage = 0;
    let nonEmpty = 0;
    for (const p of l.core.readModels.custody.persons()) {
      const want = expected(p.personId);
      for (const limit of [1, 3, 100]) {
        const got = paged(p.personId, limit);
        expect({ person: p.personId, limit, ids: got.ids }).toEqual({ person: p.personId, limit, ids: want });
        if (got.pages > 2) multiPage++;
      }
      if (want.length) nonEmpty++;
    }
    return { multiPage, nonEmpty };
  };

  beforeAll(async () => {
    l = await openTestLedger();
    // 32 persons of every rank and clearance.
    for (let i = 0; i < 32; i++)
      await l.run('p-registrar', 'RegisterPerson', person(`p-${i}`, ranks[i % 4], clearances[(i >> 2) % 4]), at(1));
    // Items of every level, with the level's default scope, a scope of its own ranks, and named persons.
    let n = 0;
    for (const level of levels) {
      for (const scope of [
        { persons: [] },
        { persons: [], ranks: ['staff'] },
        { persons: ['p-4', 'p-30'] },
        { persons: ['p-9'], ranks: ['manager', 'executive'] },
      ])
        await receive(`doc-${String(n++).padStart(2, '0')}`, level, scope, 2);
    }
    await l.core.readModels.catchUp();
  }, 120_000);
  afterAll(() => l.close());

  it('pages exactly what the rule admits over every item, for every person', () => {
    const { multiPage, nonEmpty } = everyoneAgrees();
    expect(nonEmpty).toBeGreaterThan(15);
    expect(multiPage).toBeGreaterThan(15);
    // Nobody without a clearance reads anything; an executive with TOP_SECRET reads most.
    expect(paged('p-0', 100).ids).toEqual([]);
    expect(paged('p-31', 100).ids.length).toBeGreaterThan(6);
    expect(l.core.readModels.custody.access('p-nobody')).toBeNull();
  });

  it('follows every change the rule reads: scope, level, declassification, destruction, clearance, departure', async () => {
    const before = paged('p-6', 100).ids;
    await l.run('p-31', 'ExtendScope', { itemId: 'doc-05', persons: ['p-6', 'p-1'] }, at(3));
    // Received items were classified elsewhere: their level and period change by the originator's notice (§5.1 5).
    const notice = (itemId: string, decision: string, level?: string) =>
      l.run(
        'p-31',
        'RecordOriginatorNotice',
        { itemId, decision, ...(level ? { level } : {}), noticeRef: `n ${itemId}` },
        at(3),
      );
    await notice('doc-09', 'level-changed', 'CONFIDENTIAL');
    await notice('doc-01', 'level-changed', 'TOP_SECRET');
    await notice('doc-10', 'declassified');
    await l.run(
      'p-registrar',
      'RegisterPlace',
      { placeId: 'site-1', name: 'shredder', kind: 'destruction-site' },
      at(3),
    );
    await l.run(
      'p-0',
      'RecordDestruction',
      { itemId: 'doc-04', method: 'shredding', placeId: 'site-1', witnesses: ['p-30', 'p-31'] },
      at(3),
    );
    await l.run('p-registrar', 'ChangeClearance', { personId: 'p-3', clearance: 'TOP_SECRET' }, at(3));
    await l.run('p-registrar', 'ChangeClearance', { personId: 'p-31', clearance: 'CONFIDENTIAL' }, at(3));
    await l.run('p-registrar', 'RecordDeparture', { personId: 'p-27', decontaminationUntil: '2027-03-02' }, at(3));
    await l.core.readModels.catchUp();
    const custody = l.core.readModels.custody;
    expect(custody.item('doc-10')!.status).toBe('declassified');
    expect(custody.item('doc-04')!.status).toBe('destroyed');
    expect(custody.item('doc-05')!.extendedTo).toContain('p-6');
    expect(custody.item('doc-09')!.level).toBe('CONFIDENTIAL');
    expect(custody.item('doc-01')!.level).toBe('TOP_SECRET');
    // The changes reached someone's answer (so the walk below checks an index that moved).
    expect(paged('p-6', 100).ids).not.toEqual(before);
    expect(paged('p-0', 100).ids).toEqual(['doc-10']);
    everyoneAgrees();
  });

  it('reads a page as merged ranges of the index, never sorting every item a person may read', () => {
    const sql = `SELECT item_id FROM item_access WHERE gate = ? AND item_id > ?`;
    const plan = (
      l.core.readModels.db
        .prepare(`EXPLAIN QUERY PLAN ${sql} UNION ${sql} ORDER BY 1 LIMIT 3`)
        .all('r:director:2', '', 'p-6:2', '') as { detail: string }[]
    ).map((r) => r.detail);
    expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
    expect(plan.join(' | ')).toMatch(/MERGE/);
  });

  it("gives an item's gates and a person's gates so that they meet exactly when the rule admits", () => {
    const custody = l.core.readModels.custody;
    let admitted = 0;
    for (const p of custody.persons())
      for (const i of custody.items({})) {
        const meet = personGates(p).some((g) => itemGates(i).includes(g));
        expect({ p: p.personId, i: i.itemId, meet }).toEqual({ p: p.personId, i: i.itemId, meet: mayRead(p, i) });
        if (meet) admitted++;
      }
    expect(admitted).toBeGreaterThan(50);
  });
});
