import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import type { ViolationDetectedData } from '../shared/violation';
import { afterCommands, departed, hoursAfter, people, person, received } from './item.fixtures';

const courier = person('p-c', 'staff', 'SECRET');
const courier2 = person('p-d', 'staff', 'SECRET');
const trainee = person('p-b', 'staff', 'SECRET', { probationUntil: '2026-09-01T00:00:00.000Z' });
const trainee2 = person('p-b2', 'staff', 'SECRET', { probationUntil: '2026-09-01T00:00:00.000Z' });
const base = [...people, courier, courier2, trainee, trainee2];
const dispatch = (itemId: string, channel: string, couriers: string[], over: Record<string, unknown> = {}) =>
  cmd('DispatchItem', { itemId, to: 'p-gm', channel, couriers, ...over } as never, { actor: 'p-zhang' });
const violationsOf = (writes: Parameters<typeof eventsOf>[0]) =>
  eventsOf(writes)
    .filter((e) => e.type === 'ViolationDetected')
    .map((e) => e.data as unknown as ViolationDetectedData);

describe('a SECRET item held by Zhang, dispatched', () => {
  const history = [...base, received('doc-s')];

  // 001 (四)传递保密: by a courier, the item is in transit; the first courier holds it.
  it('puts it in transit with the courier, flagging nothing', () =>
    given(...history)
      .when(dispatch('doc-s', 'courier', ['p-c']))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        expect(eventsOf(writes)[0]).toMatchObject({
          type: 'ItemDispatched',
          data: { from: 'p-zhang', to: 'p-gm', custodian: 'p-c', by: 'p-zhang' },
        });
      }));

  // 保密法 第28条; 001: 不得通过普通邮政邮寄 — critical, opens a suspected-leak incident.
  it.each(['ordinary-post', 'express', 'fax', 'email', 'im'])(
    'flags %s as INSECURE_CHANNEL and opens a suspected leak',
    (channel) =>
      given(...history)
        .when(dispatch('doc-s', channel, []))
        .then((writes) => {
          expect(violationCodes(writes)).toEqual(['INSECURE_CHANNEL']);
          const [v] = violationsOf(writes);
          expect(v).toMatchObject({ severity: 'critical', personId: 'p-zhang', itemId: 'doc-s' });
          const opened = eventsOf(writes).find((e) => e.type === 'IncidentOpened');
          expect(opened?.data).toMatchObject({ kind: 'suspected-leak', itemIds: ['doc-s'] });
          expect(v.incidentId).toBe((opened?.data as { incidentId: string }).incidentId);
          expect(eventsOf(writes).find((e) => e.type === 'ItemDispatched')?.data).toMatchObject({ custodian: null });
        }),
  );

  // 保密法 第29条 / contract §5: encrypted fax only with a recorded approval.
  it('flags an encrypted fax without an approval, not with one', () => {
    given(...history)
      .when(dispatch('doc-s', 'encrypted-fax', []))
      .then((w) => expect(violationCodes(w)).toEqual(['INSECURE_CHANNEL']));
    given(...history)
      .when(dispatch('doc-s', 'encrypted-fax', [], { approvalRef: 'A-1' }))
      .then((w) => expect(violationCodes(w)).toEqual([]));
  });

  // 保密法 第29条: the approval may be recorded as the registered person who gave it (docs/decisions.md).
  it('takes a registered approver as the encrypted fax approval, and refuses one nobody registered', () => {
    given(...history)
      .when(dispatch('doc-s', 'encrypted-fax', [], { approvedBy: 'p-gm' }))
      .then((w) => {
        expect(violationCodes(w)).toEqual([]);
        expect(eventsOf(w)[0]).toMatchObject({ type: 'ItemDispatched', data: { approvedBy: 'p-gm' } });
      });
    given(...history)
      .when(dispatch('doc-s', 'encrypted-fax', [], { approvedBy: 'p-nobody' }))
      .thenThrows('UNKNOWN_PERSON');
  });

  it('records a confidential-post dispatch that names no couriers at all', () =>
    given(...history)
      .when(cmd('DispatchItem', { itemId: 'doc-s', to: 'p-gm', channel: 'confidential-post' }, { actor: 'p-zhang' }))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        expect(eventsOf(writes)[0]).toMatchObject({ type: 'ItemDispatched', data: { couriers: [], custodian: null } });
      }));

  // 002 第20条 5: 严禁让试用期员工发送保密文件 — once per courier on probation, naming the courier.
  it('flags TRIAL_EMPLOYEE_TRANSMIT once per courier on probation', () =>
    given(...history)
      .when(dispatch('doc-s', 'courier', ['p-b', 'p-c', 'p-b2']))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TRIAL_EMPLOYEE_TRANSMIT', 'TRIAL_EMPLOYEE_TRANSMIT']);
        const vs = violationsOf(writes);
        expect(vs.map((v) => v.personId)).toEqual(['p-b', 'p-b2']);
        expect(new Set(vs.map((v) => v.violationId)).size).toBe(2);
      }));

  it('does not flag a courier whose probation has ended', () =>
    given(...history)
      .when({ ...dispatch('doc-s', 'courier', ['p-b']), at: '2026-09-02T00:00:00.000Z' })
      .then((w) => expect(violationCodes(w)).toEqual([])));

  // 002 第20条 5: a dispatcher on probation carrying it by hand is the one sending it.
  it('flags the dispatcher on probation who carries it alone by hand', () =>
    given(...history)
      .when({ ...dispatch('doc-s', 'hand', []), actor: 'p-b' })
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TRIAL_EMPLOYEE_TRANSMIT']);
        expect(violationsOf(writes)[0].personId).toBe('p-b');
      }));

  // contract §5: persons named must be registered.
  it('refuses an unregistered courier or addressee', () => {
    given(...history)
      .when(dispatch('doc-s', 'courier', ['p-ghost']))
      .thenThrows('UNKNOWN_PERSON');
    given(...history)
      .when(dispatch('doc-s', 'courier', ['p-c'], { to: 'p-ghost' }))
      .thenThrows('UNKNOWN_PERSON');
  });

  it('refuses an unknown item', () =>
    given(...history)
      .when(dispatch('doc-none', 'courier', ['p-c']))
      .thenThrows('UNKNOWN_ITEM'));
});

describe('a TOP_SECRET item dispatched by hand or courier', () => {
  const history = [...base, received('doc-ts', { level: 'TOP_SECRET', receivedBy: 'p-gm' })];

  // 001: 绝密文件应实行两人护送制.
  it('flags TS_ESCORT_LT2 with one courier', () =>
    given(...history)
      .when(dispatch('doc-ts', 'courier', ['p-c']))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['TS_ESCORT_LT2']);
        expect(violationsOf(w)[0].severity).toBe('high');
      }));

  it('counts the same courier named twice once', () =>
    given(...history)
      .when(dispatch('doc-ts', 'hand', ['p-c', 'p-c']))
      .then((w) => expect(violationCodes(w)).toEqual(['TS_ESCORT_LT2'])));

  it('flags nothing with two couriers', () =>
    given(...history)
      .when(dispatch('doc-ts', 'hand', ['p-c', 'p-d']))
      .then((w) => expect(violationCodes(w)).toEqual([])));

  // 001 机要人员…两人护送制; 000 离岗脱密管理: a courier who has left is not one of the unit's confidential staff.
  it('does not count a courier who has departed', () =>
    given(...history, departed('p-d'))
      .when(dispatch('doc-ts', 'hand', ['p-c', 'p-d']))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['TS_ESCORT_LT2']);
        expect(violationsOf(w)[0].detail).toContain('1 of them departed');
      }));

  it('does not ask for an escort by confidential post', () =>
    given(...history)
      .when(dispatch('doc-ts', 'confidential-post', []))
      .then((w) => expect(violationCodes(w)).toEqual([])));
});

describe('a SECRET item in transit to the general manager', () => {
  const inTransit = () => afterCommands([...base, received('doc-s')], dispatch('doc-s', 'courier', ['p-c']));

  // 001 (一)收文保密 签收: custody passes to the receiver.
  it('gives custody to the receiver and names the dispatch it answers', () =>
    given(...inTransit())
      .when(cmd('AcknowledgeReceipt', { itemId: 'doc-s', by: 'p-gm' }, { at: hoursAfter(1) }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'ReceiptAcknowledged',
            data: { itemId: 'doc-s', by: 'p-gm', dispatchRevision: 1, at: hoursAfter(1) },
          },
        ]),
      ));

  it('refuses a receipt by an unregistered person', () =>
    given(...inTransit())
      .when(cmd('AcknowledgeReceipt', { itemId: 'doc-s', by: 'p-ghost' }))
      .thenThrows('UNKNOWN_PERSON'));
});

describe('two items held by Zhang, handed over to the manager', () => {
  const history = [...base, received('doc-1'), received('doc-2')];
  const handOver = (itemized: boolean, signedByBoth: boolean, supervisor: string | undefined = 'p-dir') =>
    cmd('HandOver', {
      handoverId: 'h-1',
      from: 'p-zhang',
      to: 'p-mgr',
      items: ['doc-1', 'doc-2'],
      itemized,
      signedByBoth,
      ...(supervisor ? { supervisor } : {}),
    });

  // 001 (七)交接保密 / 002 第17条: an itemized, co-signed handover countersigned by a director flags nothing;
  // custody moves per item stream.
  it('writes one handover per item stream', () =>
    given(...history)
      .when(handOver(true, true))
      .then((writes) => {
        expect(writes.map((w) => w.streamId)).toEqual(['item-doc-1', 'item-doc-2']);
        expect(typesOf(writes)).toEqual(['ItemHandedOver', 'ItemHandedOver']);
        expect(eventsOf(writes)[0].data).toMatchObject({ from: 'p-zhang', to: 'p-mgr', handoverId: 'h-1', at: T0 });
      }));

  // 001: 决不能搞"信任交接" — once per item, naming the one handing over.
  it.each([
    [false, true],
    [true, false],
    [false, false],
  ])('flags TRUST_HANDOVER once per item (itemized %s, signed %s)', (itemized, signed) =>
    given(...history)
      .when(handOver(itemized, signed))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TRUST_HANDOVER', 'TRUST_HANDOVER']);
        expect(violationsOf(writes).map((v) => [v.itemId, v.personId])).toEqual([
          ['doc-1', 'p-zhang'],
          ['doc-2', 'p-zhang'],
        ]);
      }),
  );

  // 002 第17条 交由主管领导签字; contract §5.1 point 11: no supervisor, or one below director, is a trust handover too.
  it.each([
    ['no supervisor', undefined, 'no supervisor signed'],
    ['a manager as supervisor', 'p-mgr', 'supervisor p-mgr is manager, not a director or above'],
  ])('flags TRUST_HANDOVER once per item with %s', (_label, supervisor, why) =>
    given(...history)
      .when(handOver(true, true, supervisor ?? ''))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TRUST_HANDOVER', 'TRUST_HANDOVER']);
        expect(violationsOf(writes)[0].detail).toContain(why);
      }),
  );

  // 002 第17条 交由主管领导签字: the supervisor is a third person — the one taking over cannot countersign for himself —
  // and still in office (000 离岗脱密管理).
  it('flags TRUST_HANDOVER once per item when the director taking over signs as supervisor', () =>
    given(...history)
      .when({ ...handOver(true, true, 'p-dir'), data: { ...handOver(true, true, 'p-dir').data, to: 'p-dir' } } as never)
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TRUST_HANDOVER', 'TRUST_HANDOVER']);
        expect(violationsOf(writes)[0].detail).toContain('supervisor p-dir is a party to the handover');
      }));

  it('flags TRUST_HANDOVER once per item when the supervisor has departed', () =>
    given(...history, departed('p-dir'))
      .when(handOver(true, true, 'p-dir'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['TRUST_HANDOVER', 'TRUST_HANDOVER']);
        expect(violationsOf(writes)[0].detail).toContain('supervisor p-dir has departed');
      }));

  it('refuses an unregistered supervisor', () =>
    given(...history)
      .when(handOver(true, true, 'p-ghost'))
      .thenThrows('UNKNOWN_PERSON'));

  // 001 (七)交接保密 造册、核对; 000 离岗脱密管理 and 002 第30条 (a leaver hands everything back): one who has left and
  // takes over the list holds what they may no longer read — a leak (BG99 第2条 (a)), once per item.
  it('flags ACCESS_AFTER_DEPARTURE once per item when the one taking over has departed', () =>
    given(...history, departed('p-mgr'))
      .when(handOver(true, true))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['ACCESS_AFTER_DEPARTURE', 'ACCESS_AFTER_DEPARTURE']);
        expect(violationsOf(writes).map((v) => [v.itemId, v.personId])).toEqual([
          ['doc-1', 'p-mgr'],
          ['doc-2', 'p-mgr'],
        ]);
        expect(typesOf(writes)).toContain('IncidentOpened');
      }));

  // The contract's HandOver names only 信任交接: a taker merely outside the reading scope (the manager, for these
  // SECRET items) is not flagged by the handover (docs/decisions.md).
  it('flags nothing for a taker who is only outside the reading scope', () =>
    given(...history)
      .when(handOver(true, true))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  it('refuses a list naming an unknown item', () =>
    given(...history)
      .when(
        cmd('HandOver', {
          handoverId: 'h',
          from: 'p-zhang',
          to: 'p-mgr',
          items: ['doc-1', 'doc-x'],
          itemized: true,
          signedByBoth: true,
        }),
      )
      .thenThrows('UNKNOWN_ITEM'));
});

describe('a receipt signed by someone other than the addressee (002_c292fe519fc09962.txt 第20条 3; contract §5.1 point 7)', () => {
  // The SECRET item goes to the general manager (leadership); the office director, the driver and a leadership
  // director sign for it in turn.
  const leadDir = person('p-ldir', 'director', 'SECRET', { unit: 'leadership' });
  const gmLead = person('p-gm', 'executive', 'TOP_SECRET', { unit: 'leadership' });
  const history = () =>
    afterCommands([...base, gmLead, leadDir, received('doc-s')], dispatch('doc-s', 'courier', ['p-c']));
  const receipt = (by: string) => cmd('AcknowledgeReceipt', { itemId: 'doc-s', by });

  it('flags nothing when the addressee signs', () =>
    given(...history())
      .when(receipt('p-gm'))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  // 000 离岗脱密管理; 002 第30条: the addressee left while the item was on its way; signing for it now puts it in the
  // hands of one who may no longer read it (BG99 第2条 (a)) — not RECEIPT_BY_OTHER, it is the addressee.
  it('flags ACCESS_AFTER_DEPARTURE when the addressee has departed since the dispatch', () =>
    given(...history(), departed('p-gm'))
      .when(receipt('p-gm'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['ACCESS_AFTER_DEPARTURE']);
        expect(violationsOf(writes)[0]).toMatchObject({ personId: 'p-gm', severity: 'high' });
        expect(typesOf(writes)).toContain('IncidentOpened');
      }));

  // 由发文部门负责人…签收: a director of the addressee's unit may sign.
  it("accepts a director of the addressee's unit", () =>
    given(...history())
      .when(receipt('p-ldir'))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  // 不得交给其他人: the driver (clearance NONE) signs — recorded, he is custodian, and he is out of scope.
  it('flags RECEIPT_BY_OTHER and OUT_OF_SCOPE_ACCESS when the driver signs, and makes him custodian', () =>
    given(...history())
      .when(receipt('p-driver'))
      .then((writes) => {
        expect(eventsOf(writes)[0]).toMatchObject({ type: 'ReceiptAcknowledged', data: { by: 'p-driver' } });
        expect(violationCodes(writes)).toEqual(['RECEIPT_BY_OTHER', 'OUT_OF_SCOPE_ACCESS']);
        expect(violationsOf(writes)[0]).toMatchObject({ severity: 'medium', personId: 'p-driver' });
        expect(typesOf(writes)).toContain('IncidentOpened');
      }));

  // 000 离岗脱密管理: a director of the addressee's unit who has left is no 负责人 there, and may read nothing.
  it("flags RECEIPT_BY_OTHER and ACCESS_AFTER_DEPARTURE for a departed director of the addressee's unit", () =>
    given(...history(), departed('p-ldir'))
      .when(receipt('p-ldir'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['RECEIPT_BY_OTHER', 'ACCESS_AFTER_DEPARTURE'])));

  // A director of another unit is not the addressee's designee, though entitled to read a SECRET item.
  it('flags only RECEIPT_BY_OTHER for an entitled director of another unit', () =>
    given(...history())
      .when(receipt('p-dir'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['RECEIPT_BY_OTHER'])));
});

describe('a probationer dispatching (002_c292fe519fc09962.txt 第20条 5; contract §5.1 point 13)', () => {
  const history = [...base, received('doc-s', { receivedBy: 'p-b' })];
  // 严禁让试用期员工发送保密文件: by any channel, not only by hand.
  it.each(['confidential-post', 'courier', 'ordinary-post'])('flags TRIAL_EMPLOYEE_TRANSMIT by %s', (channel) =>
    given(...history)
      .when(
        cmd(
          'DispatchItem',
          { itemId: 'doc-s', to: 'p-gm', channel, couriers: channel === 'courier' ? ['p-c'] : [] } as never,
          { actor: 'p-b' },
        ),
      )
      .then((writes) => {
        expect(violationCodes(writes)).toContain('TRIAL_EMPLOYEE_TRANSMIT');
        expect(violationsOf(writes).find((v) => v.code === 'TRIAL_EMPLOYEE_TRANSMIT')).toMatchObject({
          personId: 'p-b',
        });
      }),
  );

  it('flags nothing of the kind once the probation has ended', () =>
    given(...history)
      .when(
        cmd(
          'DispatchItem',
          { itemId: 'doc-s', to: 'p-gm', channel: 'confidential-post', couriers: [] },
          { actor: 'p-b', at: '2026-09-02T00:00:00.000Z' },
        ),
      )
      .then((writes) => expect(violationCodes(writes)).toEqual([])));
});

// contract §5.1 2 (as for a report entered late): 001 (一)收文保密 — a receipt signed within the 48 hours, typed in after
// RECEIPT_MISSING fired, resolves the flag with the same command.
describe('a receipt signed in time, entered after RECEIPT_MISSING fired', () => {
  const due = hoursAfter(48);
  const fire = cmd(
    'FireDeadline',
    {
      deadline: {
        key: 'RECEIPT_MISSING:item-doc-s',
        kind: 'RECEIPT_MISSING',
        streamId: 'item-doc-s',
        dueAt: due,
        itemId: 'doc-s',
      },
    },
    { actor: 'scheduler', at: due },
  );
  const flagged = () => afterCommands([...base, received('doc-s')], dispatch('doc-s', 'confidential-post', []), fire);
  const receipt = (at: string) => cmd('AcknowledgeReceipt', { itemId: 'doc-s', by: 'p-gm' }, { actor: 'p-gm', at });

  it('records the receipt and resolves the flag', () =>
    given(...flagged())
      .when(receipt(hoursAfter(20)))
      .then((writes) => {
        expect(typesOf(writes)).toEqual(['ReceiptAcknowledged', 'ViolationResolved']);
        expect(eventsOf(writes)[1].data).toMatchObject({
          violationId: `${fire.commandId}:RECEIPT_MISSING:doc-s`,
          resolvedBy: 'p-gm',
        });
      }));

  // 保密法 第24条 自行解密: declassified in transit, it is no state secret; no missing receipt is flagged.
  it('flags nothing at 48 h when the item was declassified in transit', () =>
    given(
      ...afterCommands(
        [...base, received('doc-s')],
        dispatch('doc-s', 'confidential-post', []),
        cmd('RecordOriginatorNotice', { itemId: 'doc-s', decision: 'declassified', noticeRef: 'n-1' }),
      ),
    )
      .when(fire)
      .then((writes) => expect(writes).toEqual([])));

  it('leaves the flag open for a receipt signed after the 48 hours', () =>
    given(...flagged())
      .when(receipt(hoursAfter(49)))
      .then((writes) => expect(typesOf(writes)).toEqual(['ReceiptAcknowledged'])));
});
