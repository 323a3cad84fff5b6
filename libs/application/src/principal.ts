/** Who is calling: an API key maps to one principal (contract §8). */
export interface Principal {
  /** The person on whose authority commands are given; approvals need one. */
  personId?: string;
  /** A name for logs and for facts recorded by a non-person (e.g. a gate reader). */
  name: string;
  roles: Role[];
  /**
   * A stable, non-secret id of the API key the principal came with (a prefix of the key's SHA-256), set by the HTTP
   * guard. It scopes the command ids of a key that has no person (contract §8.1); the key itself is never used.
   */
  keyId?: string;
}

export const ROLES = [
  'registrar',
  'custodian',
  'approver',
  'secrecy-officer',
  'responder',
  'investigator',
  'auditor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** The actor recorded on events: the principal's person, else its name. */
export const actorOf = (p: Principal): string => p.personId ?? p.name;

/**
 * Whose command ids these are (contract §8.1): the key's person, or the key itself (by its non-secret id) when it has
 * none. Two keys of one person share the scope, since the person is the one giving the commands.
 */
export const idempotencyScopeOf = (p: Principal): string =>
  p.personId !== undefined ? `person:${p.personId}` : `key:${p.keyId ?? p.name}`;
