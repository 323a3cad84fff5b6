import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { itemMissingEvents } from './item.decider';
import { afterCommands, departed, people, person, places, received } from './item.fixtures';

const w1 = person('p-w1', 'staff', 'CONFIDENTIAL');
const w2 = person('p-w2', 'staff', 'CONFIDENTIAL');
const base = [
  ...people,
  ...places,
  w1,
  w2,
  received('doc-1'),
  received('doc-ts', { level: 'TOP_SECRET', receivedBy: 'p-gm' }),
];
const approve = (actor: string, itemId = 'doc-1') => cmd('ApproveDestruction', { itemId }, { actor });
const destroy = (witnesses: string[], itemId = 'doc-1') =>
  cmd('RecordDestruction', { itemId, method: 'shredding', placeId: 'site-1', witnesses }, { actor: 'p-keeper' });

describe('approving a destruction (001_6188e2007563e3a6.txt (十)销毁保密: 必须先经领导审批)', () => {
  it('lets a director approve a SECRET item', () =>
    given(...base)
      .when(approve('p-dir'))
      .then((w) => expect(typesOf(w)).toEqual(['DestructionApproved'])));
  it('refuses a manager', () =>
    given(...base)
      .when(approve('p-mgr'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  // contract §5: executive for TOP_SECRET.
  it('refuses a director on a TOP_SECRET item', () =>
    given(...base)
      .when(approve('p-dir', 'doc-ts'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  it('refuses an unregistered approver', () =>
    given(...base)
      .when(approve('p-ghost'))
      .thenThrows('UNKNOWN_PERSON'));
  // 000 离岗脱密管理: one who has left holds no office, so approves nothing, whatever the rank was.
  it('refuses an executive who has departed', () =>
    given(...base, departed('p-gm'))
      .when(approve('p-gm', 'doc-ts'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));
  // A paper approval signed while in office, typed in after the departure, was given with authority.
  it('takes an approval dated before the approver departed', () =>
    given(...base, departed('p-gm'))
      .when({ ...approve('p-gm', 'doc-ts'), at: '2026-03-01T09:00:00.000Z' })
      .then((w) => expect(typesOf(w)).toEqual(['DestructionApproved'])));
});

describe('destroying a SECRET item', () => {
  // 002 第25条 5: 两人以上参加; approved first.
  it('flags nothing when approved and supervised by two', () =>
    given(...afterCommands(base, approve('p-dir')))
      .when(destroy(['p-w1', 'p-w2']))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ItemDestroyed',
            data: {
              itemId: 'doc-1',
              method: 'shredding',
              placeId: 'site-1',
              witnesses: ['p-w1', 'p-w2'],
              destroyedBy: 'p-keeper',
              approved: true,
              at: T0,
            },
          },
        ]);
      }));

  it('flags DESTRUCTION_WITNESSES_LT2 with one witness', () =>
    given(...afterCommands(base, approve('p-dir')))
      .when(destroy(['p-w1']))
      .then((w) => expect(violationCodes(w)).toEqual(['DESTRUCTION_WITNESSES_LT2'])));

  // 002 第25条: the destroyer does not supervise themself; a witness named twice counts once.
  it('does not count the destroyer nor a repeated witness', () =>
    given(...afterCommands(base, approve('p-dir')), person('p-keeper', 'staff', 'SECRET'))
      .when(destroy(['p-keeper', 'p-w1', 'p-w1']))
      .then((w) => expect(violationCodes(w)).toEqual(['DESTRUCTION_WITNESSES_LT2'])));

  // 002 第25条 5 指定专人监销; 000 离岗脱密管理: one who has left the unit is nobody's designee and supervises nothing.
  it('does not count a witness who has departed', () =>
    given(...afterCommands(base, approve('p-dir')), departed('p-w2'))
      .when(destroy(['p-w1', 'p-w2']))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['DESTRUCTION_WITNESSES_LT2']);
        expect(eventsOf(w)[1].data).toMatchObject({ detail: '1 supervising witness(es), 1 more departed' });
      }));

  // 001 (十): destruction without an approval.
  it('flags DESTRUCTION_UNAPPROVED without an approval', () =>
    given(...base)
      .when(destroy(['p-w1', 'p-w2']))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['DESTRUCTION_UNAPPROVED']);
        expect(eventsOf(w)[1].data).toMatchObject({ severity: 'high', personId: 'p-keeper' });
      }));

  it('refuses an unregistered witness', () =>
    given(...base)
      .when(destroy(['p-w1', 'p-ghost']))
      .thenThrows('UNKNOWN_PERSON'));
});

describe('a destroyed item', () => {
  const destroyed = () => afterCommands(base, approve('p-dir'), destroy(['p-w1', 'p-w2']));

  // contract §5: any later fact is recorded and flags ACTIVITY_AFTER_DESTRUCTION and nothing else.
  it('records a reading by an unentitled person in public with only ACTIVITY_AFTER_DESTRUCTION', () =>
    given(...destroyed())
      .when(cmd('RecordReading', { itemId: 'doc-1', reader: 'p-driver', placeId: 'restaurant' }))
      .then((writes) => {
        expect(typesOf(writes)).toEqual(['ItemRead', 'ViolationDetected']);
        expect(violationCodes(writes)).toEqual(['ACTIVITY_AFTER_DESTRUCTION']);
        expect(eventsOf(writes)[1].data).toMatchObject({ personId: 'p-driver', severity: 'high' });
      }));

  it('records a carry-out to a restaurant with only ACTIVITY_AFTER_DESTRUCTION and no incident', () =>
    given(...destroyed())
      .when(cmd('RecordCarryOut', { itemId: 'doc-1', person: 'p-zhang', destination: 'restaurant' }))
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemCarriedOut', 'ViolationDetected'])));

  it('records a loss with only ACTIVITY_AFTER_DESTRUCTION', () =>
    given(...destroyed())
      .when(cmd('RecordLoss', { itemId: 'doc-1', discoveredBy: 'p-zhang', circumstances: '?' }))
      .then((writes) => expect(violationCodes(writes)).toEqual(['ACTIVITY_AFTER_DESTRUCTION'])));

  // contract §5 (our code): requests on a destroyed item are refused.
  it.each([
    ['ApproveDestruction', { itemId: 'doc-1' }],
    ['ExtendScope', { itemId: 'doc-1', persons: ['p-zhang'] }],
    ['RequestCopy', { itemId: 'doc-1', requestId: 'r', copies: 1 }],
    ['DeclassifyItem', { itemId: 'doc-1', reason: 'r' }],
  ])('refuses %s with ITEM_DESTROYED', (type, data) =>
    given(...destroyed())
      .when(cmd(type as never, data as never, { actor: 'p-gm' }))
      .thenThrows('ITEM_DESTROYED'),
  );
});

describe('losing an item (001 (九)清查保密: 发现有丢失的要及时追查)', () => {
  // contract §5: RecordLoss → ItemLost, nobody holds it, a loss incident, no violation.
  it('records the loss and opens a loss incident', () =>
    given(...base)
      .when(cmd('RecordLoss', { itemId: 'doc-1', discoveredBy: 'p-zhang', circumstances: 'taken from a chair' }))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        const opened = eventsOf(writes).find((e) => e.type === 'IncidentOpened');
        expect(opened?.data).toMatchObject({ kind: 'loss', itemIds: ['doc-1'] });
        expect(eventsOf(writes)[0]).toEqual({
          type: 'ItemLost',
          data: {
            itemId: 'doc-1',
            discoveredBy: 'p-zhang',
            circumstances: 'taken from a chair',
            incidentId: (opened?.data as { incidentId: string }).incidentId,
            at: T0,
          },
        });
      }));

  // 保密法 第24条: a declassified item is no longer secret — its loss opens no incident.
  it('records the loss of a declassified item without an incident', () =>
    given(...base, {
      streamId: 'item-doc-1',
      event: { type: 'ItemDeclassified', data: { itemId: 'doc-1', reason: 'r', automatic: true, by: null, at: T0 } },
    })
      .when(cmd('RecordLoss', { itemId: 'doc-1', discoveredBy: 'p-zhang', circumstances: '' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ItemLost',
            data: { itemId: 'doc-1', discoveredBy: 'p-zhang', circumstances: '', incidentId: null, at: T0 },
          },
        ]),
      ));

  it('refuses an unregistered discoverer', () =>
    given(...base)
      .when(cmd('RecordLoss', { itemId: 'doc-1', discoveredBy: 'p-ghost', circumstances: '' }))
      .thenThrows('UNKNOWN_PERSON'));
});

describe('an inventory closing without sighting the item', () => {
  // contract §5: ITEM_MISSING, critical, beside ItemMissing, with the loss incident's id.
  it('builds ItemMissing and its ITEM_MISSING violation', () =>
    expect(
      itemMissingEvents({
        itemId: 'doc-3',
        inventoryId: 'inv-1',
        at: T0,
        violationId: 'c9:ITEM_MISSING:doc-3',
        incidentId: 'inc-1',
      }),
    ).toEqual([
      { type: 'ItemMissing', data: { itemId: 'doc-3', inventoryId: 'inv-1', at: T0, incidentId: 'inc-1' } },
      {
        type: 'ViolationDetected',
        data: {
          violationId: 'c9:ITEM_MISSING:doc-3',
          code: 'ITEM_MISSING',
          severity: 'critical',
          itemId: 'doc-3',
          personId: null,
          source: expect.stringContaining('001_6188e2007563e3a6.txt'),
          detail: expect.any(String),
          at: T0,
          incidentId: 'inc-1',
        },
      },
    ]));
});

describe('where destruction happens (001_6188e2007563e3a6.txt (十)销毁保密; contract §5.1 point 8)', () => {
  const extra = [
    person('p-w3', 'staff', 'TOP_SECRET'),
    {
      streamId: 'place-ministry',
      event: { type: 'PlaceRegistered', data: { placeId: 'ministry', name: 'm', kind: 'external', at: T0 } },
    },
  ];
  const approved = () => afterCommands([...base, ...extra], approve('p-dir'), approve('p-gm', 'doc-ts'));
  const destroyAt = (placeId: string, itemId = 'doc-1') =>
    cmd(
      'RecordDestruction',
      { itemId, method: 'burning', placeId, witnesses: ['p-w1', 'p-w2'] },
      { actor: 'p-keeper' },
    );

  // 秘密、机密级文件应…到指定的造纸厂监督销毁: a SECRET item only at a destruction site.
  it('flags nothing for a SECRET item at the destruction site', () =>
    given(...approved())
      .when(destroyAt('site-1'))
      .then((w) => expect(violationCodes(w)).toEqual([])));

  it.each(['vault-1', 'office-1'])('flags DESTRUCTION_PLACE_NOT_APPROVED (high) for a SECRET item at %s', (placeId) =>
    given(...approved())
      .when(destroyAt(placeId))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['DESTRUCTION_PLACE_NOT_APPROVED']);
        expect(eventsOf(w).find((e) => e.type === 'ViolationDetected')?.data).toMatchObject({ severity: 'high' });
        expect(typesOf(w)).not.toContain('IncidentOpened');
      }),
  );

  // 绝密文件…应指定专人在本单位焚烧干净: inside the unit.
  it.each(['vault-1', 'office-1', 'site-1'])('flags nothing for a TOP_SECRET item at %s', (placeId) =>
    given(...approved())
      .when(destroyAt(placeId, 'doc-ts'))
      .then((w) => expect(violationCodes(w)).toEqual([])),
  );

  // 000 不私自销毁: a stove at home, two witnesses or not, is beyond the permitted range — a suspected leak.
  it.each([
    ['home-1', 'doc-1'],
    ['restaurant', 'doc-1'],
    ['ministry', 'doc-ts'],
  ])('opens a suspected-leak incident for a destruction at %s (%s)', (placeId, itemId) =>
    given(...approved())
      .when(destroyAt(placeId, itemId))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['DESTRUCTION_PLACE_NOT_APPROVED']);
        expect(eventsOf(w).find((e) => e.type === 'IncidentOpened')?.data).toMatchObject({
          kind: 'suspected-leak',
          itemIds: [itemId],
        });
      }),
  );
});
