import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import type { ViolationDetectedData } from '../shared/violation';
import { afterCommands, onItem, people, places, person, received } from './item.fixtures';

const request = (requestId: string, copies: number, itemId = 'doc-ts') =>
  cmd('RequestCopy', { itemId, requestId, copies }, { actor: 'p-mgr' });
const approveCopy = (actor: string, requestId = 'r1', itemId = 'doc-ts') =>
  cmd('ApproveCopy', { itemId, requestId }, { actor });
const copy = (copyItemId: string, requestId?: string, itemId = 'doc-ts') =>
  cmd('RecordCopy', { itemId, copyItemId, ...(requestId ? { requestId } : {}) }, { actor: 'p-mgr' });
const violationData = (writes: Parameters<typeof eventsOf>[0]) =>
  eventsOf(writes)
    .filter((e) => e.type === 'ViolationDetected')
    .map((e) => e.data as unknown as ViolationDetectedData);

const base = [...people, ...places, person('p-mgr2', 'manager', 'CONFIDENTIAL')];
const ts = received('doc-ts', { level: 'TOP_SECRET', receivedBy: 'p-mgr', persons: ['p-dir'] });
const conf = received('doc-c', { level: 'CONFIDENTIAL', receivedBy: 'p-mgr' });

describe('copy requests and approvals (002_c292fe519fc09962.txt 第21条)', () => {
  it('records a request', () =>
    given(...base, ts)
      .when(request('r1', 2))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'CopyRequested',
            data: { itemId: 'doc-ts', requestId: 'r1', copies: 2, requestedBy: 'p-mgr', at: T0 },
          },
        ]),
      ));

  // 第21条 1: 绝密/机密 copies only with the general manager's approval.
  it('refuses a director approving a TOP_SECRET copy', () =>
    given(...afterCommands([...base, ts], request('r1', 1)))
      .when(approveCopy('p-dir'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));

  it('records the general manager approving it', () =>
    given(...afterCommands([...base, ts], request('r1', 1)))
      .when(approveCopy('p-gm'))
      .then((writes) => expect(typesOf(writes)).toEqual(['CopyApproved'])));

  // 第21条 4: 一般文件复印应有部门负责人签字 — a manager approves a CONFIDENTIAL copy.
  it('lets a manager approve a CONFIDENTIAL copy', () =>
    given(...afterCommands([...base, conf], request('r1', 1, 'doc-c')))
      .when(approveCopy('p-mgr2', 'r1', 'doc-c'))
      .then((writes) => expect(typesOf(writes)).toEqual(['CopyApproved'])));

  it('refuses an approval of a request never made', () =>
    given(...base, ts)
      .when(approveCopy('p-gm', 'r9'))
      .thenThrows('NOT_REQUESTED'));

  // 001: an item marked copyAllowed false may not be reproduced (our reading: the request is refused, 422).
  it('refuses a request for an item that may not be copied', () =>
    given(...base, received('doc-n', { copyAllowed: false }))
      .when(request('r1', 1, 'doc-n'))
      .thenThrows('COPY_NOT_ALLOWED'));

  // 001 不得擅自多印多留: an approval may allow fewer copies than requested, never more.
  it('approves fewer copies than requested, and the count is what was approved', () =>
    given(
      ...afterCommands(
        [...base, ts],
        request('r1', 3),
        cmd('ApproveCopy', { itemId: 'doc-ts', requestId: 'r1', copies: 1 }, { actor: 'p-gm' }),
        copy('doc-ts-c1', 'r1'),
      ),
    )
      .when(copy('doc-ts-c2', 'r1'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['COPY_COUNT_EXCEEDED'])));

  it('refuses an approval of more copies than requested', () =>
    given(...afterCommands([...base, ts], request('r1', 1)))
      .when(cmd('ApproveCopy', { itemId: 'doc-ts', requestId: 'r1', copies: 2 }, { actor: 'p-gm' }))
      .thenThrows('INVALID_COMMAND'));

  it('appends nothing for the same request made twice', () =>
    given(...afterCommands([...base, ts], request('r1', 2)))
      .when(request('r1', 2))
      .then((w) => expect(w).toEqual([])));

  // A request id names one request: reusing it for another number of copies would blur what was approved.
  it('refuses a request id reused for a different number of copies', () =>
    given(...afterCommands([...base, ts], request('r1', 2)))
      .when(request('r1', 5))
      .thenThrows('REQUEST_EXISTS'));

  it('appends nothing for an approval given twice', () =>
    given(...afterCommands([...base, ts], request('r1', 1), approveCopy('p-gm')))
      .when(approveCopy('p-gm'))
      .then((w) => expect(w).toEqual([])));
});

// 002_c292fe519fc09962.txt 第21条 1: the general manager who may approve a copy may also refuse it.
describe('a copy request refused', () => {
  const refuse = (actor: string, reason = '无工作需要', requestId = 'r1') =>
    cmd('RefuseCopy', { itemId: 'doc-ts', requestId, reason }, { actor });
  const requested = () => afterCommands([...base, ts], request('r1', 1));

  it('records the refusal with its reason', () =>
    given(...requested())
      .when(refuse('p-gm'))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'CopyRefused',
            data: { itemId: 'doc-ts', requestId: 'r1', refusedBy: 'p-gm', reason: '无工作需要', at: T0 },
          },
        ]),
      ));

  it('refuses a refusal by someone who could not approve it', () =>
    given(...requested())
      .when(refuse('p-dir'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));

  it('needs a reason', () =>
    given(...requested())
      .when(refuse('p-gm', '  '))
      .thenThrows('INVALID_COMMAND'));

  it('refuses refusing a request already approved', () =>
    given(...afterCommands(requested(), approveCopy('p-gm')))
      .when(refuse('p-gm'))
      .thenThrows('ALREADY_APPROVED'));

  it('then refuses approving it', () =>
    given(...afterCommands(requested(), refuse('p-gm')))
      .when(approveCopy('p-gm'))
      .thenThrows('ALREADY_REFUSED'));

  it('then flags a copy made under it COPY_UNAPPROVED', () =>
    given(...afterCommands(requested(), refuse('p-gm')))
      .when(copy('doc-ts-c1', 'r1'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['COPY_UNAPPROVED'])));

  it('appends nothing for the same refusal given twice', () =>
    given(...afterCommands(requested(), refuse('p-gm')))
      .when(refuse('p-gm'))
      .then((writes) => expect(eventsOf(writes)).toEqual([])));
});

describe('a TOP_SECRET item with an approved request for one copy', () => {
  const approved = () =>
    afterCommands(
      [...base, ts, onItem('doc-ts', 'ScopeExtended', { persons: ['p-zhang'], approvedBy: 'p-gm' })],
      request('r1', 1),
      approveCopy('p-gm'),
    );

  // 001 (三): 复印件要等同原件一样管理 — the copy inherits level, period, scope, extensions; its custodian is the actor.
  it('registers the copy as the first event of its own stream, flagging nothing (copying is not reading)', () =>
    given(...approved())
      .when(copy('doc-ts-c1', 'r1'))
      .then((writes) => {
        expect(writes.map((w) => w.streamId)).toEqual(['item-doc-ts', 'item-doc-ts-c1']);
        expect(violationCodes(writes)).toEqual([]);
        expect(writes[0].events).toEqual([
          {
            type: 'ItemCopied',
            data: { itemId: 'doc-ts', copyItemId: 'doc-ts-c1', requestId: 'r1', by: 'p-mgr', at: T0, copyNo: 1 },
          },
        ]);
        expect(writes[1].events[0]).toMatchObject({
          type: 'CopyRegistered',
          data: {
            itemId: 'doc-ts-c1',
            copyOf: 'doc-ts',
            level: 'TOP_SECRET',
            scope: { persons: ['p-dir'] },
            extendedTo: ['p-zhang'],
            issuedAt: T0,
            declassifyOn: '2036-03-02T09:00:00.000Z',
            custodian: 'p-mgr',
            copyNo: 1,
          },
        });
      }));

  // 001 不得擅自多印多留: the approval is used up by the copies it approves.
  it('flags only COPY_COUNT_EXCEEDED for a second copy under it', () =>
    given(...afterCommands(approved(), copy('doc-ts-c1', 'r1')))
      .when(copy('doc-ts-c2', 'r1'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['COPY_COUNT_EXCEEDED']);
        expect(violationData(writes)[0]).toMatchObject({ itemId: 'doc-ts', personId: 'p-mgr', severity: 'medium' });
      }));

  // 002 第21条: a copy without a request is unapproved — critical on TOP_SECRET, flagged on the source.
  it('flags only COPY_UNAPPROVED, critical, for a copy without a request', () =>
    given(...approved())
      .when(copy('doc-ts-c3'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['COPY_UNAPPROVED']);
        expect(violationData(writes)[0]).toMatchObject({ itemId: 'doc-ts', severity: 'critical' });
        expect(writes[0].streamId).toBe('item-doc-ts');
      }));

  // contract §5: a copy needs a new id.
  it('refuses a copy id already in use', () =>
    given(...afterCommands(approved(), copy('doc-ts-c1', 'r1')))
      .when(copy('doc-ts-c1', 'r1'))
      .thenThrows('ITEM_EXISTS'));
});

describe('a SECRET item with a request not yet approved', () => {
  // 002 第21条: unapproved is unapproved — high below TOP_SECRET.
  it('flags COPY_UNAPPROVED, high', () =>
    given(...afterCommands([...base, received('doc-s', { receivedBy: 'p-mgr' })], request('r1', 1, 'doc-s')))
      .when(copy('doc-s-c1', 'r1', 'doc-s'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['COPY_UNAPPROVED']);
        expect(violationData(writes)[0].severity).toBe('high');
      }));
});

// contract §5.1 points 2 and 4: a copy entered late still takes the next number of its tree — copy numbers stay unique
// — and the original as it is now.
describe('a copy recorded late, after a later copy was recorded', () => {
  it('takes copy No. 2, not No. 1 again', () => {
    const history = afterCommands(
      [...people, ...places, received('doc-c', { level: 'CONFIDENTIAL' })],
      request('r1', 2, 'doc-c'),
      approveCopy('p-mgr', 'r1', 'doc-c'),
      { ...copy('doc-c-2', 'r1', 'doc-c'), at: '2026-03-03T10:00:00.000Z' },
    );
    given(...history)
      .when({ ...copy('doc-c-1', 'r1', 'doc-c'), at: '2026-03-02T12:00:00.000Z' })
      .then((writes) =>
        expect(eventsOf(writes).find((e) => e.type === 'CopyRegistered')?.data).toMatchObject({ copyNo: 2 }),
      );
  });
});

// contract §5.1 2: a copy is judged against the approval as it stood when it was made.
describe('a copy made before the approval, entered after it', () => {
  const history = () =>
    afterCommands([...people, ...places, received('doc-s', { receivedBy: 'p-mgr' })], request('r1', 1, 'doc-s'), {
      ...approveCopy('p-gm', 'r1', 'doc-s'),
      at: '2026-03-02T11:00:00.000Z',
    });

  it('flags COPY_UNAPPROVED, naming both instants', () =>
    given(...history())
      .when({ ...copy('doc-s-c1', 'r1', 'doc-s'), at: '2026-03-02T10:30:00.000Z' })
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['COPY_UNAPPROVED']);
        expect(violationData(writes)[0].detail).toContain('before request r1 was approved at 2026-03-02T11:00:00.000Z');
      }));

  it('flags nothing for a copy made at the approval or after it', () =>
    given(...history())
      .when({ ...copy('doc-s-c1', 'r1', 'doc-s'), at: '2026-03-02T11:00:00.000Z' })
      .then((writes) => expect(violationCodes(writes)).toEqual([])));
});

// contract §5.1 4 (001 (三)5 复印件等同原件管理): a copy follows its original's declassification, whenever it was made.
describe('a copy of a declassified original', () => {
  const declassified = () =>
    afterCommands(
      [...people, ...places, received('doc-s', { receivedBy: 'p-mgr' })],
      request('r1', 1, 'doc-s'),
      approveCopy('p-gm', 'r1', 'doc-s'),
      {
        ...cmd('DeclassifyItem', { itemId: 'doc-s', reason: 'published' }, { actor: 'p-gm' }),
        at: '2026-04-01T00:00:00.000Z',
      },
    );

  it('is registered and declassified in the same write, from the original', () =>
    given(...declassified())
      .when({ ...copy('doc-s-c1', 'r1', 'doc-s'), at: '2026-04-02T00:00:00.000Z' })
      .then((writes) => {
        const onCopy = writes.find((w) => w.streamId === 'item-doc-s-c1');
        expect(onCopy?.events.map((e) => e.type)).toEqual(['CopyRegistered', 'ItemDeclassified']);
        expect(onCopy?.events[1].data).toMatchObject({
          itemId: 'doc-s-c1',
          followsOriginal: 'doc-s',
          at: '2026-04-02T00:00:00.000Z',
        });
      }));

  it('made before the declassification and entered after it, is declassified as of the original', () =>
    given(...declassified())
      .when({ ...copy('doc-s-c1', 'r1', 'doc-s'), at: '2026-03-20T00:00:00.000Z' })
      .then((writes) => {
        const onCopy = writes.find((w) => w.streamId === 'item-doc-s-c1');
        expect(onCopy?.events[1]).toMatchObject({
          type: 'ItemDeclassified',
          data: { itemId: 'doc-s-c1', at: '2026-04-01T00:00:00.000Z' },
        });
      }));

  it('is not declassified when the original is not', () =>
    given(
      ...afterCommands(
        [...people, ...places, received('doc-s', { receivedBy: 'p-mgr' })],
        request('r1', 1, 'doc-s'),
        approveCopy('p-gm', 'r1', 'doc-s'),
      ),
    )
      .when(copy('doc-s-c1', 'r1', 'doc-s'))
      .then((writes) =>
        expect(writes.find((w) => w.streamId === 'item-doc-s-c1')?.events.map((e) => e.type)).toEqual([
          'CopyRegistered',
        ]),
      ));
});
