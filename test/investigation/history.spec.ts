import { openTestLedger, receiveSecret, registerCast, type TestLedger } from './ledger-fixture';
import { readHistory, type ItemHistory } from '@app/application';

const DAY = 24 * 3600_000;
const types = (h: ItemHistory) => h.events.map((e) => e.type);
const readers = (h: ItemHistory) => h.readers.map((r) => r.personId);

/**
 * doc-1 (SECRET, no named persons: directors and above may read) received by Zhang on 2 March. Three paper-log
 * facts are entered late: a handover to Li at 06:00 (entered next day 09:00), a scope extension to Li at 04:00
 * (entered next day 10:00) and a reading by the GM at 05:00 (entered two days later). The director departs at 08:00
 * (entered next day 09:30).
 */
describe('an item whose paper-log facts were entered late', () => {
  let l: TestLedger;

  beforeAll(async () => {
    l = await openTestLedger();
    await registerCast(l, '2026-03-02T01:00:00Z');
    await receiveSecret(l, 'doc-1', 'p-zhang', '2026-03-02T02:00:00Z');
    await l.run(
      'p-zhang',
      'RecordReading',
      { itemId: 'doc-1', reader: 'p-dir', placeId: 'room-1' },
      '2026-03-02T03:00:00Z',
    );
    await l.run(
      'p-zhang',
      'RecordReading',
      { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' },
      '2026-03-02T07:00:00Z',
    );
    // Entered late, in the order the registry got round to them.
    await l.run(
      'p-zhang',
      'HandOver',
      {
        handoverId: 'h-1',
        from: 'p-zhang',
        to: 'p-li',
        items: ['doc-1'],
        itemized: true,
        signedByBoth: true,
        supervisor: 'p-dir',
      },
      '2026-03-02T06:00:00Z',
      '2026-03-03T09:00:00Z',
    );
    await l.run(
      'p-registrar',
      'RecordDeparture',
      { personId: 'p-dir', decontaminationUntil: '2027-03-02T00:00:00Z' },
      '2026-03-02T08:00:00Z',
      '2026-03-03T09:30:00Z',
    );
    await l.run(
      'p-gm',
      'ExtendScope',
      { itemId: 'doc-1', persons: ['p-li'] },
      '2026-03-02T04:00:00Z',
      '2026-03-03T10:00:00Z',
    );
    await l.run('p-li', 'RequestCopy', { itemId: 'doc-1', requestId: 'r-1', copies: 1 }, '2026-03-03T12:00:00Z');
    await l.run('p-gm', 'ApproveCopy', { itemId: 'doc-1', requestId: 'r-1' }, '2026-03-03T12:05:00Z');
    await l.run(
      'p-li',
      'RecordCopy',
      { itemId: 'doc-1', copyItemId: 'doc-1-c1', requestId: 'r-1' },
      '2026-03-03T12:10:00Z',
    );
    await l.run(
      'p-zhang',
      'RecordReading',
      { itemId: 'doc-1', reader: 'p-gm', placeId: 'room-1' },
      '2026-03-02T05:00:00Z',
      '2026-03-04T05:00:00Z',
    );
  });

  afterAll(() => l.close());

  it('lists every event in the order the ledger stored it, each verified, with both times and the violations it raised', async () => {
    const h = (await readHistory(l.core, 'doc-1'))!;
    expect(h.order).toBe('recorded');
    expect(types(h)).toEqual([
      'ItemReceived',
      'ItemRead',
      'ItemRead',
      'ViolationDetected',
      'ItemHandedOver',
      'ScopeExtended',
      'CopyRequested',
      'CopyApproved',
      'ItemCopied',
      'ItemRead',
    ]);
    expect(h.events.every((e) => e.verified && e.verification.hashRecomputes && e.verification.linksToPrevious)).toBe(
      true,
    );
    expect(h.verification).toEqual({ ok: true, eventsChecked: 10, firstFailure: null });
    const driverReading = h.events[2];
    expect((driverReading.data as { reader: string }).reader).toBe('p-driver');
    expect(driverReading.violations).toEqual([
      expect.objectContaining({ code: 'OUT_OF_SCOPE_ACCESS', personId: 'p-driver', severity: 'high' }),
    ]);
    expect(driverReading.violations[0].violationId).toBe((h.events[3].data as { violationId: string }).violationId);
    expect(driverReading.violations[0].incidentId).toEqual(expect.any(String));
    const late = h.events[9];
    expect(late).toEqual(
      expect.objectContaining({
        occurredAt: '2026-03-02T05:00:00.000Z',
        recordedAt: '2026-03-04T05:00:00.000Z',
        lateByMs: 2 * DAY,
        actor: 'p-zhang',
      }),
    );
    expect(late.commandId).toEqual(expect.any(String));
    expect(h.state).toEqual(expect.objectContaining({ custodian: 'p-li', status: 'active' }));
    // Now: the director has departed, Li was added to the scope.
    expect(readers(h)).toEqual(['p-gm', 'p-li']);
  });

  it('as of the first evening shows what the ledger knew then: no late fact, Zhang holds it', async () => {
    const h = (await readHistory(l.core, 'doc-1', { asOf: '2026-03-03T00:00:00Z' }))!;
    expect(types(h)).toEqual(['ItemReceived', 'ItemRead', 'ItemRead', 'ViolationDetected']);
    expect(h.state).toEqual(expect.objectContaining({ custodian: 'p-zhang', status: 'active' }));
    expect(readers(h)).toEqual(['p-dir', 'p-gm']);
  });

  it('occurred before 06:30 shows the world then: the late handover moved custody, the late reading and extension are in it', async () => {
    const h = (await readHistory(l.core, 'doc-1', { occurredBefore: '2026-03-02T06:30:00Z' }))!;
    expect(h.order).toBe('occurred');
    expect(types(h)).toEqual(['ItemReceived', 'ItemRead', 'ScopeExtended', 'ItemRead', 'ItemHandedOver']);
    expect(h.events.map((e) => e.occurredAt.slice(11, 16))).toEqual(['02:00', '03:00', '04:00', '05:00', '06:00']);
    expect((h.events[3].data as { reader: string }).reader).toBe('p-gm');
    expect(h.state).toEqual(expect.objectContaining({ custodian: 'p-li', status: 'active' }));
    expect(readers(h)).toEqual(['p-dir', 'p-gm', 'p-li']);
  });

  it('combines both: what the ledger knew on the 3rd at 09:15 about the world at 06:30', async () => {
    const h = (await readHistory(l.core, 'doc-1', {
      asOf: '2026-03-03T09:15:00Z',
      occurredBefore: '2026-03-02T06:30:00Z',
    }))!;
    expect(types(h)).toEqual(['ItemReceived', 'ItemRead', 'ItemHandedOver']);
    expect(h.state?.custodian).toBe('p-li');
    // The extension to Li was not entered yet.
    expect(readers(h)).toEqual(['p-dir', 'p-gm']);
  });

  it('folds persons to the same instant: a departure entered late removes the director from the readers from when it happened', async () => {
    expect(readers((await readHistory(l.core, 'doc-1', { occurredBefore: '2026-03-02T07:59:00Z' }))!)).toEqual([
      'p-dir',
      'p-gm',
      'p-li',
    ]);
    expect(readers((await readHistory(l.core, 'doc-1', { occurredBefore: '2026-03-02T08:00:00Z' }))!)).toEqual([
      'p-gm',
      'p-li',
    ]);
    // Before the departure was entered the ledger still counted him.
    expect(readers((await readHistory(l.core, 'doc-1', { asOf: '2026-03-03T09:29:00Z' }))!)).toEqual(['p-dir', 'p-gm']);
  });

  it('shows the copy with copies=true, but not as of an instant before it was registered', async () => {
    const now = (await readHistory(l.core, 'doc-1', { copies: true }))!;
    expect(now.copyTree).toEqual([
      { itemId: 'doc-1', copyOf: null, depth: 0 },
      { itemId: 'doc-1-c1', copyOf: 'doc-1', depth: 1 },
    ]);
    expect(now.copies).toEqual([expect.objectContaining({ itemId: 'doc-1-c1', custodian: 'p-li', copyOf: 'doc-1' })]);
    expect(now.events.filter((e) => e.itemId === 'doc-1-c1').map((e) => e.type)).toEqual(['CopyRegistered']);
    const before = (await readHistory(l.core, 'doc-1', { copies: true, asOf: '2026-03-03T12:09:00Z' }))!;
    expect(before.copyTree.map((n) => n.itemId)).toEqual(['doc-1']);
    expect(before.copies).toEqual([]);
    expect(before.events.some((e) => e.type === 'CopyRegistered' || e.type === 'ItemCopied')).toBe(false);
  });

  it('answers null for an item that was never recorded', async () => {
    expect(await readHistory(l.core, 'doc-nope')).toBeNull();
  });
});
