import { itemStream } from '../shared/streams';
import { cmd, T0, type HistoryEntry } from '../testing/custody-spec';
import { foldStream } from '../domain';
import { afterCommands, hoursAfter, people, places, received } from './item.fixtures';
import { itemView, type ItemState } from './item.state';

const viewOf = (history: HistoryEntry[], itemId = 'doc-1') =>
  itemView(
    foldStream(
      itemStream(itemId),
      history
        .filter((h): h is { streamId: string; event: never } => 'streamId' in h && h.streamId === itemStream(itemId))
        .map((h) => h.event),
    ) as ItemState,
  );

const base = [...people, ...places, received('doc-1')];

describe('the item view, through its life', () => {
  it('is null before the item exists', () => expect(viewOf([])).toBeNull());

  // contract §5 签收: custody with the receiver; every field filled.
  it('shows a received item active with the receiver', () =>
    expect(viewOf(base)).toEqual({
      itemId: 'doc-1',
      title: 'doc-1',
      level: 'SECRET',
      status: 'active',
      custodian: 'p-zhang',
      placeId: null,
      carrier: 'paper',
      basis: 'catalogue 2.1',
      scope: { persons: [] },
      extendedTo: [],
      issuedAt: T0,
      declassifyOn: '2036-03-02T09:00:00.000Z',
      copyOf: null,
      original: null,
      copyNo: null,
      copies: [],
      proposedBy: null,
      approvedBy: null,
      classifiedBy: null,
      longTerm: false,
      lastSightedAt: null,
    }));

  // contract §6: in-transit until a receipt; the courier holds it.
  it('is in transit with the courier, then active with the receiver', () => {
    const sent = afterCommands(
      base,
      cmd('DispatchItem', { itemId: 'doc-1', to: 'p-gm', channel: 'courier', couriers: ['p-mgr'] }),
    );
    expect(viewOf(sent)).toMatchObject({ status: 'in-transit', custodian: 'p-mgr' });
    expect(viewOf(afterCommands(sent, cmd('AcknowledgeReceipt', { itemId: 'doc-1', by: 'p-gm' })))).toMatchObject({
      status: 'active',
      custodian: 'p-gm',
    });
  });

  it('is carried out with the person at the destination, then back', () => {
    const out = afterCommands(
      base,
      cmd('RecordCarryOut', { itemId: 'doc-1', person: 'p-zhang', destination: 'restaurant' }),
    );
    expect(viewOf(out)).toMatchObject({ status: 'carried-out', custodian: 'p-zhang', placeId: 'restaurant' });
    expect(
      viewOf(afterCommands(out, cmd('RecordBringBack', { itemId: 'doc-1', person: 'p-zhang', placeId: 'office-1' }))),
    ).toMatchObject({ status: 'active', placeId: 'office-1' });
  });

  // contract §5: a loss leaves nobody holding it.
  it('is missing with nobody holding it after a loss', () =>
    expect(
      viewOf(afterCommands(base, cmd('RecordLoss', { itemId: 'doc-1', discoveredBy: 'p-zhang', circumstances: '' }))),
    ).toMatchObject({ status: 'missing', custodian: null }));

  it('is on loan with the borrower, then back with the lender', () => {
    const lent = afterCommands(
      base,
      cmd('RecordLoan', { itemId: 'doc-1', loanId: 'l', borrower: 'p-dir', dueAt: hoursAfter(24) }),
    );
    expect(viewOf(lent)).toMatchObject({ status: 'on-loan', custodian: 'p-dir' });
    expect(viewOf(afterCommands(lent, cmd('RecordReturn', { itemId: 'doc-1', loanId: 'l' })))).toMatchObject({
      status: 'active',
      custodian: 'p-zhang',
    });
  });

  // contract §5: a destroyed item stays destroyed whatever is recorded later.
  it('stays destroyed, with nobody holding it, after later facts', () => {
    const gone = afterCommands(
      base,
      cmd('RecordDestruction', { itemId: 'doc-1', method: 'shred', placeId: 'site-1', witnesses: [] }),
      cmd('RecordCarryOut', { itemId: 'doc-1', person: 'p-zhang', destination: 'restaurant' }),
    );
    expect(viewOf(gone)).toMatchObject({ status: 'destroyed', custodian: null, placeId: 'site-1' });
  });

  // 保密法 第24条: declassified stays visible through custody moves.
  it('stays declassified through a handover', () => {
    const open = afterCommands(
      base,
      cmd('DeclassifyItem', { itemId: 'doc-1', reason: 'r' }, { actor: 'p-gm' }),
      cmd('HandOver', {
        handoverId: 'h',
        from: 'p-zhang',
        to: 'p-mgr',
        items: ['doc-1'],
        itemized: true,
        signedByBoth: true,
      }),
      cmd('ArchiveItem', { itemId: 'doc-1', placeId: 'vault-1' }, { actor: 'p-keeper' }),
    );
    expect(viewOf(open)).toMatchObject({ status: 'declassified', custodian: 'p-keeper' });
  });

  it('lists its copies and the copy points back', () => {
    const copied = afterCommands(
      base,
      cmd('RecordCopy', { itemId: 'doc-1', copyItemId: 'doc-1-c1' }, { actor: 'p-mgr' }),
    );
    expect(viewOf(copied)?.copies).toEqual(['doc-1-c1']);
    expect(viewOf(copied, 'doc-1-c1')).toMatchObject({
      copyOf: 'doc-1',
      copyNo: 1,
      custodian: 'p-mgr',
      status: 'active',
    });
  });
});
