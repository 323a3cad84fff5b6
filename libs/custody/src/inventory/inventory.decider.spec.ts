import { cmd, eventsOf, given, typesOf, violationCodes } from '../testing/custody-spec';
import { itemReceived, personRegistered } from '../incident/incident.fixtures';

const OPEN_AT = '2026-06-10T01:00:00.000Z';
const CLOSE_AT = '2026-06-10T01:30:00.000Z';
const inInventory = (type: string, data: Record<string, unknown>) => ({
  streamId: 'inventory-inv-1',
  event: { type, data: { inventoryId: 'inv-1', ...data } },
});
const opened = (...expected: string[]) =>
  inInventory('InventoryOpened', { scope: { custodian: 'p-zhang' }, expected, by: 'p-mgr', at: OPEN_AT });
const sighted = (itemId: string) =>
  inInventory('ItemSighted', { itemId, placeId: 'vault-1', expected: true, by: 'p-mgr', at: OPEN_AT });
const closed = inInventory('InventoryClosed', { sighted: [], missing: [], by: 'p-mgr', at: CLOSE_AT });
const vault = {
  streamId: 'place-vault-1',
  event: { type: 'PlaceRegistered', data: { placeId: 'vault-1', name: 'vault', kind: 'vault', at: OPEN_AT } },
};
const item = (itemId: string, type: string, data: Record<string, unknown>) => ({
  streamId: `item-${itemId}`,
  event: { type, data: { itemId, ...data } },
});
const destroyed = (itemId: string) =>
  item(itemId, 'ItemDestroyed', {
    method: 'shredding',
    placeId: 'site-1',
    witnesses: ['a', 'b'],
    destroyedBy: 'p-keeper',
    approved: true,
    at: OPEN_AT,
  });
const lost = (itemId: string) =>
  item(itemId, 'ItemLost', { discoveredBy: 'p-zhang', circumstances: 'gone', incidentId: 'inc-old', at: OPEN_AT });
const mgr = (at: string, commandId?: string) => ({ actor: 'p-mgr', at, ...(commandId ? { commandId } : {}) });

describe('no inventory inv-1; Zhang holds doc-1 and doc-2', () => {
  const scope = { lookups: { itemsInScope: ['doc-1', 'doc-2'] } };

  it('opens the inventory expecting the items in scope now', () =>
    given(personRegistered('p-zhang'), scope)
      .when(cmd('OpenInventory', { inventoryId: 'inv-1', scope: { custodian: 'p-zhang' } }, mgr(OPEN_AT)))
      .then([
        {
          streamId: 'inventory-inv-1',
          events: [
            {
              type: 'InventoryOpened',
              data: {
                inventoryId: 'inv-1',
                scope: { custodian: 'p-zhang' },
                expected: ['doc-1', 'doc-2'],
                by: 'p-mgr',
                at: OPEN_AT,
              },
            },
          ],
        },
      ]));

  it('opens an inventory of everything', () =>
    given(scope)
      .when(cmd('OpenInventory', { inventoryId: 'inv-1', scope: { all: true } }, mgr(OPEN_AT)))
      .then((w) => expect(eventsOf(w)[0].data).toMatchObject({ scope: { all: true }, expected: ['doc-1', 'doc-2'] })));

  it('refuses a custodian who is not registered with UNKNOWN_PERSON', () =>
    given(scope)
      .when(cmd('OpenInventory', { inventoryId: 'inv-1', scope: { custodian: 'p-nobody' } }, mgr(OPEN_AT)))
      .thenThrows('UNKNOWN_PERSON'));

  it('refuses a place that is not registered with UNKNOWN_PLACE', () =>
    given(scope)
      .when(cmd('OpenInventory', { inventoryId: 'inv-1', scope: { placeId: 'vault-9' } }, mgr(OPEN_AT)))
      .thenThrows('UNKNOWN_PLACE'));

  it('refuses a malformed scope as an input error', () =>
    given(scope)
      .when(cmd('OpenInventory', { inventoryId: 'inv-1', scope: { all: false } as never }, mgr(OPEN_AT)))
      .thenThrows('INVALID_COMMAND'));

  it('does not know the inventory for a sighting', () =>
    given(itemReceived('doc-1'), vault)
      .when(cmd('RecordSighting', { inventoryId: 'inv-1', itemId: 'doc-1', placeId: 'vault-1' }, mgr(OPEN_AT)))
      .thenThrows('UNKNOWN_INVENTORY'));

  it('does not know the inventory for closing', () =>
    given()
      .when(cmd('CloseInventory', { inventoryId: 'inv-1' }, mgr(CLOSE_AT)))
      .thenThrows('UNKNOWN_INVENTORY'));
});

describe('inventory inv-1 open, expecting doc-1 and doc-2', () => {
  it('refuses opening it again with INVENTORY_EXISTS', () =>
    given(opened('doc-1', 'doc-2'), personRegistered('p-zhang'), { lookups: { itemsInScope: [] } })
      .when(cmd('OpenInventory', { inventoryId: 'inv-1', scope: { custodian: 'p-zhang' } }, mgr(OPEN_AT)))
      .thenThrows('INVENTORY_EXISTS'));

  it('records a sighting on the inventory stream', () =>
    given(opened('doc-1', 'doc-2'), itemReceived('doc-1'), vault)
      .when(
        cmd(
          'RecordSighting',
          { inventoryId: 'inv-1', itemId: 'doc-1', placeId: 'vault-1' },
          mgr('2026-06-10T01:10:00.000Z'),
        ),
      )
      .then([
        {
          streamId: 'inventory-inv-1',
          events: [
            {
              type: 'ItemSighted',
              data: {
                inventoryId: 'inv-1',
                itemId: 'doc-1',
                placeId: 'vault-1',
                expected: true,
                by: 'p-mgr',
                at: '2026-06-10T01:10:00.000Z',
              },
            },
          ],
        },
      ]));

  it('records the sighting of an item it did not expect, all the same (a fact)', () =>
    given(opened('doc-1', 'doc-2'), itemReceived('doc-7'), vault)
      .when(cmd('RecordSighting', { inventoryId: 'inv-1', itemId: 'doc-7', placeId: 'vault-1' }, mgr(OPEN_AT)))
      .then((w) => expect(eventsOf(w)[0].data).toMatchObject({ itemId: 'doc-7', expected: false })));

  it('refuses a sighting of an unregistered item with UNKNOWN_ITEM', () =>
    given(opened('doc-1'), vault)
      .when(cmd('RecordSighting', { inventoryId: 'inv-1', itemId: 'doc-404', placeId: 'vault-1' }, mgr(OPEN_AT)))
      .thenThrows('UNKNOWN_ITEM'));

  it('refuses a sighting at an unregistered place with UNKNOWN_PLACE', () =>
    given(opened('doc-1'), itemReceived('doc-1'))
      .when(cmd('RecordSighting', { inventoryId: 'inv-1', itemId: 'doc-1', placeId: 'vault-9' }, mgr(OPEN_AT)))
      .thenThrows('UNKNOWN_PLACE'));
});

describe('inventory inv-1 open, doc-1 sighted, doc-2 not', () => {
  const history = [opened('doc-1', 'doc-2'), sighted('doc-1'), itemReceived('doc-1'), itemReceived('doc-2')];

  // 001_6188e2007563e3a6.txt 清查保密: 若发现有丢失的,要及时追查处理.
  it('closes it, marks doc-2 missing with ITEM_MISSING and opens a loss incident for it', () =>
    given(...history)
      .when(cmd('CloseInventory', { inventoryId: 'inv-1' }, mgr(CLOSE_AT, 'c-close')))
      .then((w) => {
        expect(w.map((x) => x.streamId)).toEqual(['inventory-inv-1', 'item-doc-2', 'incident-inc-c-close-doc-2']);
        expect(w[0].events).toEqual([
          {
            type: 'InventoryClosed',
            data: { inventoryId: 'inv-1', sighted: ['doc-1'], missing: ['doc-2'], by: 'p-mgr', at: CLOSE_AT },
          },
        ]);
        expect(w[1].events.map((e) => e.type)).toEqual(['ItemMissing', 'ViolationDetected']);
        // The custodian it went missing from is named on the violation (the report's responsible person).
        expect(w[1].events[1].data).toMatchObject({
          violationId: 'c-close:ITEM_MISSING:doc-2',
          code: 'ITEM_MISSING',
          severity: 'critical',
          itemId: 'doc-2',
          personId: 'p-zhang',
          incidentId: 'inc-c-close-doc-2',
        });
        expect(w[2].events[0]).toMatchObject({
          type: 'IncidentOpened',
          data: {
            incidentId: 'inc-c-close-doc-2',
            kind: 'loss',
            itemIds: ['doc-2'],
            discoveredAt: CLOSE_AT,
            causes: [expect.objectContaining({ code: 'ITEM_MISSING', violationId: 'c-close:ITEM_MISSING:doc-2' })],
          },
        });
      }));

  it("joins the loss to doc-2's open incident instead of opening another (一事一报)", () =>
    given(
      ...history,
      { lookups: { openIncidents: { 'doc-2': { incidentId: 'inc-old', kind: 'suspected-leak' } } } },
      {
        streamId: 'incident-inc-old',
        event: {
          type: 'IncidentOpened',
          data: {
            incidentId: 'inc-old',
            kind: 'suspected-leak',
            itemIds: ['doc-2'],
            discoveredAt: OPEN_AT,
            discoveredBy: 'p-mgr',
            description: 'x',
            causes: [],
            at: OPEN_AT,
          },
        },
      },
    )
      .when(cmd('CloseInventory', { inventoryId: 'inv-1' }, mgr(CLOSE_AT)))
      .then((w) => {
        expect(w.map((x) => x.streamId)).toEqual(['inventory-inv-1', 'item-doc-2', 'incident-inc-old']);
        expect(w[2].events[0]).toMatchObject({
          type: 'IncidentCauseAdded',
          data: { kind: 'loss', previousKind: 'suspected-leak' },
        });
        expect(w[1].events[1].data).toMatchObject({ incidentId: 'inc-old' });
      }));
});

describe('inventory inv-1 open, nothing sighted; doc-1 destroyed and doc-2 lost since it opened', () => {
  it('closes it without marking either missing again', () =>
    given(opened('doc-1', 'doc-2'), itemReceived('doc-1'), destroyed('doc-1'), itemReceived('doc-2'), lost('doc-2'))
      .when(cmd('CloseInventory', { inventoryId: 'inv-1' }, mgr(CLOSE_AT)))
      .then((w) => {
        expect(typesOf(w)).toEqual(['InventoryClosed']);
        expect(violationCodes(w)).toEqual([]);
        expect(eventsOf(w)[0].data).toMatchObject({ missing: [] });
      }));
});

// 001 (九)清查保密: an item lent by a recorded loan after the inventory opened is accounted for, not missing.
describe('inventory inv-1 open, nothing sighted; doc-2 lent to the director since it opened', () => {
  const lent = item('doc-2', 'ItemLent', {
    loanId: 'loan-1',
    lender: 'p-zhang',
    borrower: 'p-dir',
    dueAt: '2026-06-12T00:00:00.000Z',
    approved: true,
    at: OPEN_AT,
  });
  it('marks only doc-1 missing', () =>
    given(opened('doc-1', 'doc-2'), itemReceived('doc-1'), itemReceived('doc-2'), lent)
      .when(cmd('CloseInventory', { inventoryId: 'inv-1' }, mgr(CLOSE_AT)))
      .then((w) => {
        expect(violationCodes(w)).toEqual(['ITEM_MISSING']);
        expect(eventsOf(w)[0].data).toMatchObject({ missing: ['doc-1'] });
      }));
});

describe('inventory inv-1 closed', () => {
  it('refuses closing it again with INVENTORY_CLOSED', () =>
    given(opened('doc-1'), closed)
      .when(cmd('CloseInventory', { inventoryId: 'inv-1' }, mgr(CLOSE_AT)))
      .thenThrows('INVENTORY_CLOSED'));
});
