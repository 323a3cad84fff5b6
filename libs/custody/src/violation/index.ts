import type { CustodyCommand } from '../commands';
import type { CommandModule } from '../shared/module';
import { decideViolation, planViolation, type ViolationCommand } from './violation.decider';

export { evolveViolationLog, violationStatusIn, withViolationLog, type ViolationLog } from './violation-log';

const isViolationCommand = (c: CustodyCommand): c is ViolationCommand => c.type === 'ResolveViolation';

/** ResolveViolation: appends ViolationResolved to whichever stream holds the violation. */
export const violationCommandModule: CommandModule = {
  commands: ['ResolveViolation'],
  plan: (command, ctx) => {
    if (!isViolationCommand(command)) throw new Error(`violation module cannot plan ${command.type}`);
    return planViolation(command, ctx);
  },
  decide: (command, ctx) => {
    if (!isViolationCommand(command)) throw new Error(`violation module cannot decide ${command.type}`);
    return decideViolation(command, ctx);
  },
};
