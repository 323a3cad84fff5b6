/**
 * The contract between the pure domain and the shell that runs it (apps/, via the ledger's decider runner).
 *
 * The shell gives every command an id, an actor and `at` (occurredAt). The domain says, in rounds, what it needs to
 * read (`plan`), then decides from what it was given (`decide`). It never reads a clock, a store or a random source.
 */

/** A command as the domain receives it. */
export interface Command<T extends string = string, D = Record<string, unknown>> {
  type: T;
  data: D;
  commandId: string;
  /** The person (or principal) on whose authority the command is given. */
  actor: string;
  /** When it happened in the world (occurredAt), ISO-8601 UTC. */
  at: string;
}

/** An event as the domain produces it: the ledger adds the envelope (ids, metadata, hashes). */
export interface DomainEvent<T extends string = string, D = Record<string, unknown>> {
  type: T;
  data: D;
}

/** Events to append to one stream. */
export interface StreamEvents {
  streamId: string;
  events: DomainEvent[];
}

export type InventoryScope = { all: true } | { custodian: string } | { placeId: string };

export type IncidentKind = 'suspected-leak' | 'loss' | 'leak';

/** What the domain asks the shell to load before it decides. Asked again with what was loaded, until nothing new. */
export interface Needs {
  /** Streams to fold (a stream that does not exist folds to its initial state). */
  streams?: string[];
  /** Items whose currently open incident (if any) the decision needs. */
  openIncidentsFor?: string[];
  /**
   * Persons whose items the decision needs: every item each has ever been custodian of record of, so that the
   * decision can fold each item as it stood at the fact's instant (a departure entered late, contract §5.1 2) —
   * the items held now would miss one handed back after the instant and count one received after it.
   */
  itemsEverHeldBy?: string[];
  /** Items held (active or archived) within an inventory scope, now. */
  itemsInScope?: InventoryScope;
  /** Violations to locate (which stream they live in, whether open). */
  violations?: string[];
}

export interface OpenIncidentRef {
  incidentId: string;
  kind: IncidentKind;
}

export interface ViolationRef {
  violationId: string;
  streamId: string;
  code: string;
  itemId: string | null;
  status: 'open' | 'resolved';
}

/** What the shell loaded, keyed as asked. Missing keys mean "not asked yet". */
export interface DecisionContext {
  /**
   * Folded state and last revision (-1: no stream) of each loaded stream; `asOf` is the stream as it stood at the
   * command's occurredAt, filled for the streams a late fact is judged by (contract §5.1 2; see judgedAsOf).
   */
  streams: Record<string, { state: unknown; revision: number; asOf?: unknown; now?: unknown }>;
  /**
   * When the ledger records the decision (the shell's clock, given in like every time): an incident opened now is
   * discovered then (contract §5.1 1). Absent, the command's own instant stands in.
   */
  recordedAt?: string;
  openIncidents: Record<string, OpenIncidentRef | null>;
  itemsEverHeldBy: Record<string, string[]>;
  itemsInScope?: string[];
  violations: Record<string, ViolationRef | null>;
}

export const emptyContext = (): DecisionContext => ({
  streams: {},
  openIncidents: {},
  itemsEverHeldBy: {},
  violations: {},
});
