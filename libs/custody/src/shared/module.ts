import type { CommandName, CustodyCommand } from '../commands';
import type { DecisionContext, DomainEvent, Needs, StreamEvents } from './command';
import type { StreamKind } from './streams';

/** How one kind of stream folds: `evolve` must accept every event that can be stored in that stream. */
export interface StreamModule<S = unknown> {
  kind: StreamKind;
  initialState(): S;
  evolve(state: S, event: DomainEvent): S;
}

/** The commands one part of the domain decides. */
export interface CommandModule {
  commands: readonly CommandName[];
  /** What must be loaded before `decide`; asked again with what was loaded until it asks for nothing new. */
  plan(command: CustodyCommand, ctx: DecisionContext): Needs;
  /** The events to append, per stream; throws a DomainError to refuse. A repeated command that changes nothing → []. */
  decide(command: CustodyCommand, ctx: DecisionContext): StreamEvents[];
}
