import { openTestLedger, receiveSecret, registerCast, type TestLedger } from './ledger-fixture';
import { exposureOf, type ExposureEntry, type ExposureSet } from '@app/application';

const find = (set: ExposureSet, personId: string, itemId: string, how: string): ExposureEntry => {
  const hit = set.entries.filter((e) => e.personId === personId && e.itemId === itemId && e.how === how);
  expect(hit).toHaveLength(1);
  return hit[0];
};

/**
 * doc-1 (SECRET; directors and above may read) is copied with approval (doc-1-c1), the copy is handed to Li, who
 * copies it again without approval (doc-1-c1-c1, a copy of a copy). The driver reads the second-generation copy;
 * the director reads the first. Two facts are entered late: the director's clearance was lowered at 06:30, and
 * Li was added to the second copy's scope at 07:30 — both entered after the readings they bear on.
 */
describe('an item with two generations of copies', () => {
  let l: TestLedger;
  let set: ExposureSet;

  beforeAll(async () => {
    l = await openTestLedger();
    await registerCast(l, '2026-03-02T01:00:00Z');
    await receiveSecret(l, 'doc-1', 'p-zhang', '2026-03-02T02:00:00Z');
    await l.run('p-zhang', 'RequestCopy', { itemId: 'doc-1', requestId: 'r-1', copies: 1 }, '2026-03-02T03:00:00Z');
    await l.run('p-gm', 'ApproveCopy', { itemId: 'doc-1', requestId: 'r-1' }, '2026-03-02T03:05:00Z');
    await l.run(
      'p-zhang',
      'RecordCopy',
      { itemId: 'doc-1', copyItemId: 'doc-1-c1', requestId: 'r-1' },
      '2026-03-02T03:10:00Z',
    );
    await l.run(
      'p-zhang',
      'HandOver',
      { handoverId: 'h-1', from: 'p-zhang', to: 'p-li', items: ['doc-1-c1'], itemized: true, signedByBoth: true },
      '2026-03-02T04:00:00Z',
    );
    await l.run('p-li', 'RecordCopy', { itemId: 'doc-1-c1', copyItemId: 'doc-1-c1-c1' }, '2026-03-02T05:00:00Z');
    await l.run(
      'p-li',
      'RecordReading',
      { itemId: 'doc-1-c1-c1', reader: 'p-driver', placeId: 'room-1' },
      '2026-03-02T06:00:00Z',
    );
    await l.run(
      'p-li',
      'RecordReading',
      { itemId: 'doc-1-c1', reader: 'p-dir', placeId: 'room-1' },
      '2026-03-02T07:00:00Z',
    );
    await l.run(
      'p-li',
      'RecordReading',
      { itemId: 'doc-1-c1-c1', reader: 'p-li', placeId: 'room-1' },
      '2026-03-02T08:00:00Z',
    );
    await l.run(
      'p-gm',
      'ExtendScope',
      { itemId: 'doc-1-c1-c1', persons: ['p-li'] },
      '2026-03-02T07:30:00Z',
      '2026-03-02T09:00:00Z',
    );
    await l.run(
      'p-registrar',
      'ChangeClearance',
      { personId: 'p-dir', clearance: 'CONFIDENTIAL' },
      '2026-03-02T06:30:00Z',
      '2026-03-02T09:30:00Z',
    );
    await l.run('archive-desk', 'ArchiveItem', { itemId: 'doc-1', placeId: 'vault-1' }, '2026-03-02T10:00:00Z');
    set = (await exposureOf(l.core, ['doc-1']))!;
  });

  afterAll(() => l.close());

  it("gives the copy tree across both generations with each copy's current custodian and status", () => {
    expect(
      set.copyTree.map(({ itemId, copyOf, depth, custodian, status, copyNo }) => ({
        itemId,
        copyOf,
        depth,
        custodian,
        status,
        copyNo,
      })),
    ).toEqual([
      { itemId: 'doc-1', copyOf: null, depth: 0, custodian: 'archive-desk', status: 'archived', copyNo: null },
      { itemId: 'doc-1-c1', copyOf: 'doc-1', depth: 1, custodian: 'p-li', status: 'active', copyNo: 1 },
      // contract §5.1 point 4: copy numbers are unique across the tree descended from one original.
      { itemId: 'doc-1-c1-c1', copyOf: 'doc-1-c1', depth: 2, custodian: 'p-li', status: 'active', copyNo: 2 },
    ]);
  });

  it('finds everyone who held the item or a copy, and how', () => {
    expect(find(set, 'p-zhang', 'doc-1', 'receipt')).toEqual(
      expect.objectContaining({ kind: 'custody', occurredAt: '2026-03-02T02:00:00.000Z' }),
    );
    expect(find(set, 'p-zhang', 'doc-1', 'copying').eventType).toBe('ItemCopied');
    expect(find(set, 'p-zhang', 'doc-1-c1', 'copy').copyOf).toBe('doc-1');
    expect(find(set, 'p-li', 'doc-1-c1', 'handover').occurredAt).toBe('2026-03-02T04:00:00.000Z');
    expect(find(set, 'p-li', 'doc-1-c1', 'copying').violations).toEqual(['COPY_UNAPPROVED']);
    expect(find(set, 'p-li', 'doc-1-c1-c1', 'copy').copyOf).toBe('doc-1-c1');
    expect(find(set, 'archive-desk', 'doc-1', 'archive')).toEqual(
      expect.objectContaining({
        placeId: 'vault-1',
        placeKind: 'archive',
        withinScope: false,
        reason: 'unregistered',
        name: null,
      }),
    );
    // The approver of the copy never held or read anything.
    expect(set.persons.map((p) => p.personId)).not.toContain('p-gm');
  });

  it("flags the driver's reading of the copy of the copy as outside scope, where and when it happened", () => {
    expect(find(set, 'p-driver', 'doc-1-c1-c1', 'reading')).toEqual(
      expect.objectContaining({
        kind: 'reading',
        placeId: 'room-1',
        placeName: 'reading room',
        placeKind: 'reading-room',
        counted: true,
        occurredAt: '2026-03-02T06:00:00.000Z',
        withinScope: false,
        reason: 'not-in-scope',
        violations: ['OUT_OF_SCOPE_ACCESS'],
        name: 'driver',
      }),
    );
    expect(set.persons.find((p) => p.personId === 'p-driver')).toEqual(
      expect.objectContaining({
        readings: 1,
        custody: 0,
        outsideScope: 1,
        reasons: ['not-in-scope'],
        items: ['doc-1-c1-c1'],
      }),
    );
  });

  it('judges each reading by the person and the item as they were when it happened, late entries included', () => {
    // The clearance cut at 06:30 was entered at 09:30: at the time of the 07:00 reading the director was no longer cleared.
    expect(find(set, 'p-dir', 'doc-1-c1', 'reading')).toEqual(
      expect.objectContaining({ withinScope: false, reason: 'clearance', violations: [] }),
    );
    // The extension at 07:30 was entered at 09:00: Li's 08:00 reading was flagged when recorded, but was within scope.
    expect(find(set, 'p-li', 'doc-1-c1-c1', 'reading')).toEqual(
      expect.objectContaining({ withinScope: true, reason: null, violations: ['OUT_OF_SCOPE_ACCESS'] }),
    );
  });

  it('counts who was outside scope', () => {
    expect(set.outsideScope.persons).toEqual(expect.arrayContaining(['p-driver', 'p-dir', 'archive-desk']));
    expect(set.outsideScope.entries).toBe(set.entries.filter((e) => !e.withinScope).length);
    expect(set.entries.map((e) => e.occurredAt)).toEqual([...set.entries.map((e) => e.occurredAt)].sort());
  });

  it('starts from a copy too: the exposure of doc-1-c1 covers it and its copy, not the original', async () => {
    const sub = (await exposureOf(l.core, ['doc-1-c1']))!;
    expect(sub.copyTree.map((n) => n.itemId)).toEqual(['doc-1-c1', 'doc-1-c1-c1']);
    expect(sub.entries.some((e) => e.itemId === 'doc-1')).toBe(false);
  });

  it('answers null for an unknown item', async () => {
    expect(await exposureOf(l.core, ['doc-nope'])).toBeNull();
  });
});

/**
 * contract §5.1 2: the ledger never contradicts itself. The director (in scope for SECRET) departed on 3 March; the
 * reading-room log of 2 March and of 4 March are both typed in on 5 March. The decider and the exposure set judge
 * each reading as things stood when it happened, and agree.
 */
describe('late-entered readings judged alike by the decider and the exposure set', () => {
  let l: TestLedger;
  let set: ExposureSet;
  let onMar2: string[];
  let onMar4: string[];

  beforeAll(async () => {
    l = await openTestLedger();
    await registerCast(l, '2026-03-02T01:00:00Z');
    await receiveSecret(l, 'doc-9', 'p-zhang', '2026-03-02T02:00:00Z');
    await l.run(
      'p-registrar',
      'RecordDeparture',
      { personId: 'p-dir', decontaminationUntil: '2027-03-03T00:00:00Z' },
      '2026-03-03T09:00:00Z',
    );
    const read = (at: string) =>
      l.run(
        'p-zhang',
        'RecordReading',
        { itemId: 'doc-9', reader: 'p-dir', placeId: 'room-1' },
        at,
        '2026-03-05T09:00:00Z',
      );
    onMar2 = (await read('2026-03-02T10:00:00Z')).violations.map((v) => v.code);
    onMar4 = (await read('2026-03-04T10:00:00Z')).violations.map((v) => v.code);
    set = (await exposureOf(l.core, ['doc-9']))!;
  });

  afterAll(() => l.close());

  it('flags only the reading after the departure, and the exposure set says the same of both', () => {
    expect(onMar2).toEqual([]);
    expect(onMar4).toEqual(['ACCESS_AFTER_DEPARTURE']);
    const readings = set.entries.filter((e) => e.personId === 'p-dir' && e.how === 'reading');
    expect(readings.map((e) => [e.occurredAt, e.withinScope, e.reason, e.violations])).toEqual([
      ['2026-03-02T10:00:00.000Z', true, null, []],
      ['2026-03-04T10:00:00.000Z', false, 'departed', ['ACCESS_AFTER_DEPARTURE']],
    ]);
  });

  it('opens the leak incident discovered at the entry, occurred at the reading, not overdue on arrival', () => {
    const [incident] = l.core.readModels.incidents.list('2026-03-05T09:00:00.000Z');
    expect(incident).toMatchObject({
      kind: 'leak',
      discoveredAt: '2026-03-05T09:00:00.000Z',
      occurredAt: '2026-03-04T10:00:00.000Z',
      reportDueAt: '2026-03-06T09:00:00.000Z',
      overdue: false,
    });
  });
});
