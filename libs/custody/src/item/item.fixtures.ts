/** Small fixture factories for item specs (test-only; not exported from the folder's index). */
import type { CustodyCommand } from '../commands';
import type { DomainEvent } from '../shared/command';
import type { Clearance, Level, PlaceKind, Rank } from '../shared/vocabulary';
import { decideCommand } from '../domain';
import { contextFor, T0, type HistoryEntry } from '../testing/custody-spec';

/** T0 moved by whole hours. */
export const hoursAfter = (hours: number, from = T0): string =>
  new Date(new Date(from).getTime() + hours * 3_600_000).toISOString();

export const person = (
  personId: string,
  rank: Rank,
  clearance: Clearance,
  over: { unit?: string; probationUntil?: string } = {},
): HistoryEntry => ({
  streamId: `person-${personId}`,
  event: {
    type: 'PersonRegistered',
    data: {
      personId,
      name: personId,
      rank,
      clearance,
      unit: over.unit ?? 'hq',
      probationUntil: over.probationUntil ?? null,
      at: T0,
    },
  },
});

export const departed = (personId: string): HistoryEntry => ({
  streamId: `person-${personId}`,
  event: { type: 'PersonDeparted', data: { personId, decontaminationUntil: '2027-03-02T00:00:00.000Z', at: T0 } },
});

export const place = (placeId: string, kind: PlaceKind): HistoryEntry => ({
  streamId: `place-${placeId}`,
  event: { type: 'PlaceRegistered', data: { placeId, name: placeId, kind, at: T0 } },
});

/** The usual people: a general manager, a director, a manager, a secretary and a driver; and the usual places. */
export const gm = person('p-gm', 'executive', 'TOP_SECRET');
export const dir = person('p-dir', 'director', 'SECRET');
export const mgr = person('p-mgr', 'manager', 'SECRET');
export const zhang = person('p-zhang', 'staff', 'SECRET', { unit: 'office' });
export const driver = person('p-driver', 'staff', 'NONE', { unit: 'motor-pool' });
export const people = [gm, dir, mgr, zhang, driver];
export const room = place('room-1', 'reading-room');
export const office = place('office-1', 'office');
export const vault = place('vault-1', 'vault');
export const restaurant = place('restaurant', 'public');
export const home = place('home-1', 'home');
export const site = place('site-1', 'destruction-site');
export const places = [room, office, vault, restaurant, home, site];

/** An item received (签收) by p-zhang at T0 unless told otherwise. */
export const received = (
  itemId: string,
  over: {
    level?: Level;
    receivedBy?: string;
    persons?: string[];
    ranks?: Rank[];
    copyAllowed?: boolean;
    declassifyOn?: string;
    /** When it was received (default T0). */
    at?: string;
  } = {},
): HistoryEntry => ({
  streamId: `item-${itemId}`,
  event: {
    type: 'ItemReceived',
    data: {
      itemId,
      title: itemId,
      level: over.level ?? 'SECRET',
      periodYears: null,
      basis: 'catalogue 2.1',
      carrier: 'paper',
      sender: 'superior office',
      receivedBy: over.receivedBy ?? 'p-zhang',
      scope: { persons: over.persons ?? [], ...(over.ranks ? { ranks: over.ranks } : {}) },
      copyNo: null,
      copyAllowed: over.copyAllowed ?? true,
      issuedAt: T0,
      declassifyOn: over.declassifyOn ?? '2036-03-02T09:00:00.000Z',
      at: over.at ?? T0,
    },
  },
});

/** Any event on an item stream. */
export const onItem = (itemId: string, type: string, data: Record<string, unknown>): HistoryEntry => ({
  streamId: `item-${itemId}`,
  event: { type, data: { itemId, at: T0, ...data } },
});

/** Runs commands through the domain, one after the other, and returns the history they leave (for long set-ups). */
export const afterCommands = (history: HistoryEntry[], ...commands: CustodyCommand[]): HistoryEntry[] => {
  const out = [...history];
  for (const c of commands) {
    for (const w of decideCommand(c, contextFor(c, out)))
      out.push(...w.events.map((event: DomainEvent) => ({ streamId: w.streamId, event })));
  }
  return out;
};
