/**
 * The commands the crash suites drive the service with: a fixed cast registered first, then the life of one item
 * after another, each command carrying a commandId chosen by the client (so a command whose answer was lost in a
 * kill is resent with the same id). Shared by the SQLite and the EventStoreDB crash suites.
 */

/** A command as sent: its name (`POST /api/commands/{name}`) and its body. */
export interface Sent {
  name: string;
  body: { commandId: string; data: Record<string, unknown> };
}

/** A command the service answered 2xx, with the events it was answered with. */
export interface Acked extends Sent {
  events: { type: string; streamId: string; revision: number; position: number }[];
}

/**
 * The life of one item: a receipt, a reading out of scope (it opens an incident: a command writing two streams), a
 * reading in scope, a clerk registered; with `copies` a copy requested, approved and made; with `dispatch` the item
 * sent by confidential post, and with `dispatch: 'acknowledged'` its receipt acknowledged.
 */
export const itemScript = (
  itemId: string,
  opts: { copies?: boolean; dispatch?: false | 'sent' | 'acknowledged' } = {},
): Sent[] => {
  const c = (step: string, name: string, data: Record<string, unknown>): Sent => ({
    name,
    body: { commandId: `c-${itemId}-${step}`, data },
  });
  return [
    c('receive', 'RegisterReceivedItem', {
      itemId,
      title: `report ${itemId}`,
      level: 'SECRET',
      periodYears: 10,
      basis: 'catalogue 2.1',
      carrier: 'paper',
      sender: 'bureau',
      receivedBy: 'p-a',
      scope: { persons: ['p-b'] },
      copyAllowed: true,
    }),
    c('read-out-of-scope', 'RecordReading', { itemId, reader: 'p-out', placeId: 'room-1' }),
    c('read', 'RecordReading', { itemId, reader: 'p-b', placeId: 'room-1' }),
    ...(opts.copies
      ? [
          c('request-copy', 'RequestCopy', { itemId, requestId: 'r1', copies: 1 }),
          c('approve-copy', 'ApproveCopy', { itemId, requestId: 'r1' }),
          c('copy', 'RecordCopy', { itemId, copyItemId: `${itemId}-c1`, requestId: 'r1' }),
        ]
      : []),
    c('register-person', 'RegisterPerson', {
      personId: `p-${itemId}`,
      name: `clerk of ${itemId}`,
      rank: 'staff',
      clearance: 'CONFIDENTIAL',
      unit: 'office',
    }),
    ...(opts.dispatch
      ? [c('dispatch', 'DispatchItem', { itemId, to: 'p-b', channel: 'confidential-post', couriers: [] })]
      : []),
    ...(opts.dispatch === 'acknowledged' ? [c('ack', 'AcknowledgeReceipt', { itemId, by: 'p-b' })] : []),
  ];
};

/** The cast every item script needs, and the reading room. */
export const SETUP: Sent[] = [
  ['p-reg', 'Registrar', 'executive', 'TOP_SECRET', 'hq'],
  ['p-a', 'A', 'manager', 'SECRET', 'office'],
  ['p-b', 'B', 'staff', 'SECRET', 'office'],
  ['p-out', 'Out', 'staff', 'NONE', 'motor-pool'],
]
  .map(([personId, name, rank, clearance, unit]): Sent => ({
    name: 'RegisterPerson',
    body: { commandId: `setup-${personId}`, data: { personId, name, rank, clearance, unit } },
  }))
  .concat([
    {
      name: 'RegisterPlace',
      body: { commandId: 'setup-room-1', data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } },
    },
  ]);
