/** Who is calling: an API key maps to one principal (DESIGN §8). */
export interface Principal {
  /** The person on whose authority commands are given; approvals need one. */
  personId?: string;
  /** A name for logs and for facts recorded by a non-person (e.g. a gate reader). */
  name: string;
  roles: Role[];
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
