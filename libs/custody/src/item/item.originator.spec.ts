/**
 * Items classified elsewhere (contract §5.1 point 5): the period counts from the marked issue date (001: 自标明的制发日
 * 起算; 不能标明制发日的, 自通知之日算起); only the originating organ decides (002 第6篇: 不得自行决定), and its notice is
 * recorded as a fact and applied to the item and every copy.
 */
import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { afterCommands, people, places, received } from './item.fixtures';

const receive = (over: Record<string, unknown> = {}) =>
  cmd(
    'RegisterReceivedItem',
    {
      itemId: 'doc-r',
      title: 'provincial directive No. 3',
      level: 'SECRET',
      periodYears: 10,
      basis: 'provincial catalogue 4.2',
      carrier: 'paper',
      sender: 'provincial office',
      receivedBy: 'p-zhang',
      scope: { persons: [] },
      ...over,
    } as never,
    { actor: 'p-zhang' },
  );
const base = [...people, ...places];
const withReceived = (over: Record<string, unknown> = {}) =>
  afterCommands(
    base,
    receive(over),
    cmd('RecordCopy', { itemId: 'doc-r', copyItemId: 'doc-r-c1' }, { actor: 'p-zhang' }),
  );

describe('registering an item classified elsewhere', () => {
  it('counts the period from the marked issue date, and records the originator (default the sender)', () =>
    given(...base)
      .when(receive({ issuedOn: '2026-01-15T00:00:00Z' }))
      .then((writes) =>
        expect(eventsOf(writes)[0].data).toMatchObject({
          issuedAt: '2026-01-15T00:00:00.000Z',
          declassifyOn: '2036-01-15T00:00:00.000Z',
          classifiedBy: 'provincial office',
        }),
      ));

  it('reads a marked date without a time as 00:00 UTC', () =>
    given(...base)
      .when(receive({ issuedOn: '2026-01-15' }))
      .then((writes) =>
        expect(eventsOf(writes)[0].data).toMatchObject({
          issuedAt: '2026-01-15T00:00:00.000Z',
          declassifyOn: '2036-01-15T00:00:00.000Z',
        }),
      ));

  it('counts from the receipt when no issue date is marked, and takes a named originator', () =>
    given(...base)
      .when(receive({ classifiedBy: 'provincial secrecy bureau' }))
      .then((writes) =>
        expect(eventsOf(writes)[0].data).toMatchObject({
          issuedAt: T0,
          declassifyOn: '2036-03-02T09:00:00.000Z',
          classifiedBy: 'provincial secrecy bureau',
        }),
      ));

  // QX90 第3条 counted from the issue date: 20 years marked in 2005 is over already — flagged, not refused.
  it('flags PERIOD_INVALID for a period counted from an issue date that has run out', () =>
    given(...base)
      .when(receive({ issuedOn: '2005-01-01T00:00:00Z', periodYears: 20 }))
      .then((writes) => expect(violationCodes(writes)).toEqual(['PERIOD_INVALID'])));

  // 001 自标明的制发日起算: issued before received; a marked date after the receipt is flagged (a day's grace for a date
  // read as 00:00 UTC), the period still counted from it as marked.
  it('flags PERIOD_INVALID for a marked issue date after the receipt', () =>
    given(...base)
      .when(receive({ issuedOn: '2030-01-01T00:00:00Z' }))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['PERIOD_INVALID']);
        expect(eventsOf(writes)[0].data).toMatchObject({ declassifyOn: '2040-01-01T00:00:00.000Z' });
      }));

  // Issued on 3 March and received at 07:30 Beijing time that day (23:30 UTC on the 2nd): the same office day.
  it("does not flag a marked issue date on the receipt's own office day, read as 00:00 UTC", () =>
    given(...base)
      .when({ ...receive({ issuedOn: '2026-03-03' }), at: '2026-03-02T23:30:00.000Z' })
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  // 长期: no fixed period, so no automatic declassification.
  it('records a 长期 item with no end to its period', () =>
    given(...base)
      .when(receive({ periodYears: undefined, longTerm: true }))
      .then((writes) => expect(eventsOf(writes)[0].data).toMatchObject({ declassifyOn: null, longTerm: true })));

  // contract §5.1 point 13: a place, so place-scoped inventories expect it.
  it('keeps the place it is registered at', () =>
    given(...base)
      .when(receive({ placeId: 'vault-1' }))
      .then((writes) => expect(eventsOf(writes)[0].data).toMatchObject({ placeId: 'vault-1' })));

  it('refuses an unregistered place', () =>
    given(...base)
      .when(receive({ placeId: 'vault-9' }))
      .thenThrows('UNKNOWN_PLACE'));
});

describe('decisions on an item another organ classified (002_c292fe519fc09962.txt 第6篇)', () => {
  // A copy of it as well: the originator decides, whichever copy the request names.
  it('refuses a declassification of its copy with NOT_ORIGINATOR', () =>
    given(...withReceived())
      .when(cmd('DeclassifyItem', { itemId: 'doc-r-c1' }, { actor: 'p-gm' }))
      .thenThrows('NOT_ORIGINATOR'));

  it.each([
    cmd('DeclassifyItem', { itemId: 'doc-r' }, { actor: 'p-gm' }),
    cmd('ExtendSecrecyPeriod', { itemId: 'doc-r', newDeclassifyOn: '2040-01-01T00:00:00Z' }, { actor: 'p-gm' }),
    cmd('ChangeLevel', { itemId: 'doc-r', level: 'CONFIDENTIAL' }, { actor: 'p-gm' }),
  ])('refuses $type with NOT_ORIGINATOR (409), even for the general manager', (command) =>
    given(...withReceived())
      .when(command)
      .thenThrows('NOT_ORIGINATOR'),
  );
});

describe("recording the originator's notice", () => {
  const notice = (data: Record<string, unknown>) =>
    cmd('RecordOriginatorNotice', { itemId: 'doc-r', noticeRef: '省保密局〔2026〕7号', ...data } as never, {
      actor: 'p-registrar',
    });

  it('records an extension and applies it to the item and its copy', () =>
    given(...withReceived())
      .when(notice({ decision: 'extended', newDeclassifyOn: '2040-03-02T09:00:00Z' }))
      .then((writes) => {
        expect(writes.map((w) => w.streamId)).toEqual(['item-doc-r', 'item-doc-r-c1']);
        expect(typesOf(writes)).toEqual(['OriginatorNoticeRecorded', 'SecrecyPeriodExtended', 'SecrecyPeriodExtended']);
        expect(eventsOf(writes)[2].data).toMatchObject({
          itemId: 'doc-r-c1',
          newDeclassifyOn: '2040-03-02T09:00:00.000Z',
          followsOriginal: 'doc-r',
          noticeRef: '省保密局〔2026〕7号',
          approvedBy: 'provincial office',
        });
      }));

  it('records a declassification and applies it to the copy too', () =>
    given(...withReceived())
      .when(notice({ decision: 'declassified' }))
      .then((writes) =>
        expect(typesOf(writes)).toEqual(['OriginatorNoticeRecorded', 'ItemDeclassified', 'ItemDeclassified']),
      ));

  it('records a level change on the item and the copy', () =>
    given(...withReceived())
      .when(notice({ decision: 'level-changed', level: 'CONFIDENTIAL' }))
      .then((writes) =>
        expect(
          eventsOf(writes)
            .filter((e) => e.type === 'LevelChanged')
            .map((e) => e.data.to),
        ).toEqual(['CONFIDENTIAL', 'CONFIDENTIAL']),
      ));

  it('applies a notice naming the copy to the original it follows', () =>
    given(...withReceived())
      .when(notice({ itemId: 'doc-r-c1', decision: 'declassified' }))
      .then((writes) => expect(writes.map((w) => w.streamId)).toEqual(['item-doc-r', 'item-doc-r-c1'])));

  // contract §5.1 point 5 (applies like the decision would); 保密法 第24条: an extension ends later than the period.
  it('refuses an "extended" notice whose new date is not later than the current period (400)', () => {
    given(...withReceived())
      .when(notice({ decision: 'extended', newDeclassifyOn: '2030-01-01T00:00:00Z' }))
      .thenThrows('INVALID_COMMAND');
    given(...withReceived())
      .when(notice({ decision: 'extended', newDeclassifyOn: '2036-03-02T09:00:00Z' }))
      .thenThrows('INVALID_COMMAND');
  });

  it('refuses an extension without its new date, and a level change without its level (400)', () => {
    given(...withReceived())
      .when(notice({ decision: 'extended' }))
      .thenThrows('INVALID_COMMAND');
    given(...withReceived())
      .when(notice({ decision: 'level-changed' }))
      .thenThrows('INVALID_COMMAND');
  });
});

describe('changing the level re-checks the period maximum from the issue date (QX90 第3条; contract §5.1 point 13)', () => {
  // A SECRET item of this unit with 15 years left: CONFIDENTIAL allows at most 10 from its issue date.
  const own = [...base, received('doc-s', { declassifyOn: '2041-03-02T09:00:00.000Z' })];
  it('refuses CONFIDENTIAL for a period of 15 years', () =>
    given(...own)
      .when(cmd('ChangeLevel', { itemId: 'doc-s', level: 'CONFIDENTIAL' }, { actor: 'p-gm' }))
      .thenThrows('PERIOD_EXCEEDS_MAXIMUM'));
  it('accepts TOP_SECRET for the same period', () =>
    given(...own)
      .when(cmd('ChangeLevel', { itemId: 'doc-s', level: 'TOP_SECRET' }, { actor: 'p-gm' }))
      .then((writes) => expect(typesOf(writes)).toEqual(['LevelChanged'])));
});
