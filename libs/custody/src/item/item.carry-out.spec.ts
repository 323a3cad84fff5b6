import { cmd, eventsOf, given, T0, typesOf, violationCodes } from '../testing/custody-spec';
import { afterCommands, hoursAfter, people, places, received } from './item.fixtures';

const base = [...people, ...places, received('doc-1')];
const UNTIL = hoursAfter(8);
const approveCarryOut = (actor: string, destination = 'office-1', person = 'p-zhang') =>
  cmd('ApproveCarryOut', { itemId: 'doc-1', person, destination, until: UNTIL }, { actor });
const carryOut = (destination: string, at = hoursAfter(1), person = 'p-zhang') =>
  cmd('RecordCarryOut', { itemId: 'doc-1', person, destination }, { actor: 'p-zhang', at });
const gate = (direction: 'out' | 'in', at = hoursAfter(2)) =>
  cmd('RecordGatePassage', { itemId: 'doc-1', gate: 'east', direction }, { actor: 'rfid', at });

describe('approving a carry-out (001_6188e2007563e3a6.txt (五)携带保密)', () => {
  // 001: 要经领导审批 — director+.
  it("records a director's approval bound to item, person and destination", () =>
    given(...base)
      .when(approveCarryOut('p-dir'))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          {
            type: 'CarryOutApproved',
            data: {
              itemId: 'doc-1',
              person: 'p-zhang',
              destination: 'office-1',
              until: UNTIL,
              approvedBy: 'p-dir',
              at: T0,
            },
          },
        ]),
      ));

  it('refuses a manager', () =>
    given(...base)
      .when(approveCarryOut('p-mgr'))
      .thenThrows('APPROVER_NOT_AUTHORIZED'));

  // 001: 不准携带秘密文件出入公共场所 — never to public places or home.
  it.each(['restaurant', 'home-1'])('refuses %s as DESTINATION_NOT_APPROVABLE', (destination) =>
    given(...base)
      .when(approveCarryOut('p-gm', destination))
      .thenThrows('DESTINATION_NOT_APPROVABLE'),
  );

  it('refuses an unknown destination', () =>
    given(...base)
      .when(approveCarryOut('p-gm', 'nowhere'))
      .thenThrows('UNKNOWN_PLACE'));
});

describe('Zhang carrying the item out', () => {
  // 001 secretary case: to a restaurant, unapproved — high, opens a suspected-leak incident.
  it('flags CARRY_OUT_UNAPPROVED to a restaurant and opens a suspected leak', () =>
    given(...base)
      .when(carryOut('restaurant'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED']);
        expect(eventsOf(writes)[1].data).toMatchObject({ personId: 'p-zhang', severity: 'high' });
        expect(eventsOf(writes).find((e) => e.type === 'IncidentOpened')?.data).toMatchObject({
          kind: 'suspected-leak',
          itemIds: ['doc-1'],
        });
      }));

  // contract §5 leak rule: only a carry-out to a public place or home opens a suspected leak.
  it('flags a carry-out to an unapproved office without an incident', () =>
    given(...base)
      .when(carryOut('office-1'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED']);
        expect(typesOf(writes)).not.toContain('IncidentOpened');
      }));

  it('flags nothing under an active approval', () =>
    given(...afterCommands(base, approveCarryOut('p-dir')))
      .when(carryOut('office-1'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual([]);
        expect(eventsOf(writes)[0]).toMatchObject({
          type: 'ItemCarriedOut',
          data: { approved: true, destination: 'office-1', destinationKind: 'office' },
        });
      }));

  // contract §5: approvals are used up by the fact they approve, and bound to the person.
  it('flags a second carry-out under the same approval', () =>
    given(...afterCommands(base, approveCarryOut('p-dir'), carryOut('office-1')))
      .when(carryOut('office-1', hoursAfter(3)))
      .then((writes) => expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED'])));

  it('flags a carry-out after the approval expired', () =>
    given(...afterCommands(base, approveCarryOut('p-dir')))
      .when(carryOut('office-1', hoursAfter(9)))
      .then((writes) => expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED'])));

  it('flags a carry-out by another person than the approved one', () =>
    given(...afterCommands(base, approveCarryOut('p-dir')))
      .when(carryOut('office-1', hoursAfter(1), 'p-mgr'))
      .then((writes) => expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED'])));
});

describe('the RFID gate', () => {
  // contract §5: an exit flags CARRY_OUT_UNAPPROVED unless an approval is active or the item is out under one.
  it('flags an exit with no approval', () =>
    given(...base)
      .when(gate('out'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED']);
        expect(eventsOf(writes)[1].data).toMatchObject({ personId: 'p-zhang' });
      }));

  it('lets an exit pass under an active approval without using it up', () => {
    const approved = afterCommands(base, approveCarryOut('p-dir'));
    given(...approved)
      .when(gate('out'))
      .then((writes) => expect(typesOf(writes)).toEqual(['GatePassed']));
    given(...afterCommands(approved, gate('out')))
      .when(carryOut('office-1', hoursAfter(3)))
      .then((writes) => expect(violationCodes(writes)).toEqual([]));
  });

  it('lets an item carried out under an approval pass after the approval was used', () =>
    given(...afterCommands(base, approveCarryOut('p-dir'), carryOut('office-1')))
      .when(gate('out'))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));

  it('flags nothing on the way in', () =>
    given(...base)
      .when(gate('in'))
      .then((writes) => expect(typesOf(writes)).toEqual(['GatePassed'])));
});

describe('bringing back and archiving', () => {
  it('records a bring-back to a place', () =>
    given(...afterCommands(base, carryOut('restaurant')))
      .when(cmd('RecordBringBack', { itemId: 'doc-1', person: 'p-zhang', placeId: 'office-1' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          { type: 'ItemBroughtBack', data: { itemId: 'doc-1', person: 'p-zhang', placeId: 'office-1', at: T0 } },
        ]),
      ));

  // contract §5: the archive keeper (the actor) becomes custodian.
  it('makes the archive keeper custodian', () =>
    given(...base)
      .when(cmd('ArchiveItem', { itemId: 'doc-1', placeId: 'vault-1' }, { actor: 'p-keeper' }))
      .then((writes) =>
        expect(eventsOf(writes)).toEqual([
          { type: 'ItemArchived', data: { itemId: 'doc-1', placeId: 'vault-1', keeper: 'p-keeper', at: T0 } },
        ]),
      ));

  it('refuses an unknown archive', () =>
    given(...base)
      .when(cmd('ArchiveItem', { itemId: 'doc-1', placeId: 'nowhere' }))
      .thenThrows('UNKNOWN_PLACE'));
});

describe('an unapproved carry-out outside the unit (BG99 第2条 (b); contract §5.1 point 10)', () => {
  const ministry = {
    streamId: 'place-ministry',
    event: { type: 'PlaceRegistered', data: { placeId: 'ministry', name: 'ministry', kind: 'external', at: T0 } },
  };
  it('opens a suspected-leak incident for an external place, as for home and public', () =>
    given(...base, ministry)
      .when(carryOut('ministry'))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['CARRY_OUT_UNAPPROVED']);
        expect(eventsOf(writes).find((e) => e.type === 'IncidentOpened')?.data).toMatchObject({
          kind: 'suspected-leak',
        });
      }));

  it('opens nothing for an approved carry-out to the external place', () =>
    given(...afterCommands([...base, ministry], approveCarryOut('p-dir', 'ministry')))
      .when(carryOut('ministry'))
      .then((writes) => expect(typesOf(writes)).toEqual(['ItemCarriedOut'])));
});

describe('an unapproved gate exit not brought back (BG99 第2条 (b); contract §5.1 point 10)', () => {
  const EXIT = hoursAfter(2);
  const DUE = hoursAfter(26);
  const itemRevisions = (history: ReturnType<typeof afterCommands>) =>
    history.filter((h) => 'streamId' in h && h.streamId === 'item-doc-1').length;
  // The ref is the GatePassed's revision, as item.deadlines.ts sets it.
  const fire = (ref: number) =>
    cmd(
      'FireDeadline',
      {
        deadline: {
          key: 'ITEM_NOT_BROUGHT_BACK:item-doc-1',
          kind: 'ITEM_NOT_BROUGHT_BACK',
          streamId: 'item-doc-1',
          dueAt: DUE,
          itemId: 'doc-1',
          ref: String(ref),
        },
      },
      { actor: 'system:scheduler', at: DUE },
    );
  const exitRef = itemRevisions(base);
  const exited = afterCommands(base, gate('out', EXIT));

  it('flags ITEM_NOT_BROUGHT_BACK (high) 24 h after the exit and opens a suspected leak', () =>
    given(...exited)
      .when(fire(exitRef))
      .then((writes) => {
        expect(violationCodes(writes)).toEqual(['ITEM_NOT_BROUGHT_BACK']);
        const opened = eventsOf(writes).find((e) => e.type === 'IncidentOpened')?.data;
        expect(opened).toMatchObject({ kind: 'suspected-leak', itemIds: ['doc-1'], occurredAt: DUE });
        expect(eventsOf(writes)[0].data).toMatchObject({
          personId: 'p-zhang',
          severity: 'high',
          at: DUE,
          incidentId: (opened as { incidentId: string }).incidentId,
        });
      }));

  it('flags once', () =>
    given(...afterCommands(exited, fire(exitRef)))
      .when(fire(exitRef))
      .then((writes) => expect(writes).toEqual([])));

  it.each([
    ['a gate passage in', gate('in', hoursAfter(5))],
    [
      'a bring-back',
      cmd('RecordBringBack', { itemId: 'doc-1', person: 'p-zhang', placeId: 'office-1' }, { at: hoursAfter(5) }),
    ],
    [
      'an archiving',
      cmd('ArchiveItem', { itemId: 'doc-1', placeId: 'vault-1' }, { actor: 'p-keeper', at: hoursAfter(5) }),
    ],
  ])('flags nothing once the item came back by %s', (_, back) =>
    given(...afterCommands(exited, back))
      .when(fire(exitRef))
      .then((writes) => expect(writes).toEqual([])),
  );

  it('flags nothing for an exit under an active approval', () => {
    const approved = afterCommands(base, approveCarryOut('p-dir'));
    given(...afterCommands(approved, gate('out', EXIT)))
      .when(fire(itemRevisions(approved)))
      .then((writes) => expect(writes).toEqual([]));
  });

  it('flags nothing for a stale deadline of an earlier exit', () =>
    given(...afterCommands(exited, gate('in', hoursAfter(3)), gate('out', hoursAfter(4))))
      .when(fire(exitRef))
      .then((writes) => expect(writes).toEqual([])));

  // 004_d1fc20a45ee67265.txt 一事一报: the item's open, unreported incident takes the cause.
  it('joins the unreported incident already open on the item', () => {
    const leaked = afterCommands(base, carryOut('restaurant', hoursAfter(1)));
    const incidentId = leaked
      .filter((h) => 'event' in h && h.event.type === 'IncidentOpened')
      .map((h) => ('event' in h ? (h.event.data as { incidentId: string }).incidentId : ''))[0];
    const history = afterCommands(leaked, cmd('RecordBringBack', { itemId: 'doc-1', person: 'p-zhang' }, { at: EXIT }));
    given(...afterCommands(history, gate('out', EXIT)), {
      lookups: { openIncidents: { 'doc-1': { incidentId, kind: 'suspected-leak' } } },
    })
      .when(fire(itemRevisions(history)))
      .then((writes) => {
        expect(typesOf(writes)).toEqual(['ViolationDetected', 'IncidentCauseAdded']);
        expect(eventsOf(writes)[1].data).toMatchObject({ incidentId, code: 'ITEM_NOT_BROUGHT_BACK' });
        expect(eventsOf(writes)[0].data).toMatchObject({ incidentId });
      });
  });
});
