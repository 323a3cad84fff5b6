/** Stream names, one helper each (contract §4). */
export const itemStream = (itemId: string): string => `item-${itemId}`;
export const personStream = (personId: string): string => `person-${personId}`;
export const placeStream = (placeId: string): string => `place-${placeId}`;
export const incidentStream = (incidentId: string): string => `incident-${incidentId}`;
export const inventoryStream = (inventoryId: string): string => `inventory-${inventoryId}`;

export type StreamKind = 'item' | 'person' | 'place' | 'incident' | 'inventory';
const KINDS: StreamKind[] = ['item', 'person', 'place', 'incident', 'inventory'];

/** The kind of a stream (`item` for `item-doc-1`), null for streams the domain does not own; nothing allocated. */
export const streamKindOf = (streamId: string): StreamKind | null => {
  const dash = streamId.indexOf('-');
  if (dash < 0) return null;
  // By length first: the folds ask this for every event they fold.
  for (const kind of KINDS) if (kind.length === dash && streamId.startsWith(kind)) return kind;
  return null;
};

/** Splits `item-doc-1` into `{ kind: 'item', id: 'doc-1' }`; null for streams the domain does not own. */
export const parseStream = (streamId: string): { kind: StreamKind; id: string } | null => {
  const dash = streamId.indexOf('-');
  if (dash < 0) return null;
  const kind = streamId.slice(0, dash) as StreamKind;
  return KINDS.includes(kind) ? { kind, id: streamId.slice(dash + 1) } : null;
};
