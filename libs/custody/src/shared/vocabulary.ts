/** The closed vocabularies of contract §5. Order matters where a comparison is made (levels, ranks). */

export const LEVELS = ['CONFIDENTIAL', 'SECRET', 'TOP_SECRET'] as const;
export type Level = (typeof LEVELS)[number];

export const CLEARANCES = ['NONE', ...LEVELS] as const;
export type Clearance = (typeof CLEARANCES)[number];

/** Lowest first. */
export const RANKS = ['staff', 'manager', 'director', 'executive'] as const;
export type Rank = (typeof RANKS)[number];

export const PLACE_KINDS = [
  'reading-room',
  'office',
  'vault',
  'archive',
  'destruction-site',
  'public',
  'home',
  'external',
] as const;
export type PlaceKind = (typeof PLACE_KINDS)[number];

export const CARRIERS = ['paper', 'magnetic', 'optical', 'electronic', 'device'] as const;
export type Carrier = (typeof CARRIERS)[number];

export const SECURE_CHANNELS = ['hand', 'courier', 'confidential-post'] as const;
export const INSECURE_CHANNELS = ['ordinary-post', 'express', 'fax', 'email', 'im'] as const;
/** `encrypted-fax` is allowed only with a recorded approval. */
export const CHANNELS = [...SECURE_CHANNELS, ...INSECURE_CHANNELS, 'encrypted-fax'] as const;
export type Channel = (typeof CHANNELS)[number];

export const INCIDENT_KINDS = ['suspected-leak', 'loss', 'leak'] as const;

export const ITEM_STATUSES = [
  'draft',
  'active',
  'in-transit',
  'on-loan',
  'carried-out',
  'archived',
  'missing',
  'destroyed',
  'declassified',
] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/**
 * Statuses in which the custodian of record still holds the item (a muster counts these; 002_c292fe519fc09962.txt
 * 第30条: what must be handed back on leaving). Out on loan or carried out, it is still theirs to bring back.
 */
export const HELD_STATUSES: readonly ItemStatus[] = ['active', 'in-transit', 'on-loan', 'carried-out', 'archived'];

export const SEVERITIES = ['critical', 'high', 'medium'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const levelRank = (l: Clearance): number => CLEARANCES.indexOf(l);
export const rankOrder = (r: Rank): number => RANKS.indexOf(r);
export const atLeastRank = (r: Rank, min: Rank): boolean => rankOrder(r) >= rankOrder(min);
