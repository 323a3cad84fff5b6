import type { CustodyCommand } from '../commands';
import type { DecisionContext, Needs, StreamEvents } from '../shared/command';
import { refuse, UnknownReference } from '../shared/errors';
import { resolution } from '../rules/violations';
import { requireText, stateOf, writeTo } from '../incident/input';
import { violationStatusIn } from './violation-log';

export type ViolationCommand = Extract<CustodyCommand, { type: 'ResolveViolation' }>;

/** First where the violation lives (the violations read model), then that stream, whose log is the truth. */
export const planViolation = (command: ViolationCommand, ctx: DecisionContext): Needs => {
  const id = command.data.violationId;
  const ref = ctx.violations[id];
  return ref ? { violations: [id], streams: [ref.streamId] } : { violations: [id] };
};

export const decideViolation = (command: ViolationCommand, ctx: DecisionContext): StreamEvents[] => {
  switch (command.type) {
    case 'ResolveViolation': {
      const data = command.data as unknown as Record<string, unknown>;
      const violationId = requireText(data, 'violationId');
      // contract §5: a violation is open until a secrecy officer resolves it with a note.
      const note = requireText(data, 'note');
      const ref = ctx.violations[violationId];
      if (!ref) throw new UnknownReference('UNKNOWN_VIOLATION', 'violationId', violationId);
      // The stream's own log decides when it keeps one (the read model may lag a resolution just made).
      const status = violationStatusIn(stateOf(ctx, ref.streamId), violationId) ?? ref.status;
      if (status === 'resolved') {
        throw refuse('ALREADY_RESOLVED', `violation ${violationId} is already resolved`, 'violationId');
      }
      return writeTo(ref.streamId, [resolution(command, violationId, note)]);
    }
    default: {
      const unexpected: never = command.type;
      throw new Error(`violation module cannot decide ${String(unexpected)}`);
    }
  }
};
