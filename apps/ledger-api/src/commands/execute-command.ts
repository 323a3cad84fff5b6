import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandResponse, LedgerCore, Principal } from '@app/application';
import { LEDGER_CORE } from '../tokens';

/** The one command the HTTP shell puts on the CommandBus: "run this named ledger command for this principal". */
export class ExecuteLedgerCommand {
  constructor(
    readonly name: string,
    readonly body: unknown,
    readonly principal: Principal,
  ) {}
}

/** Thin handler: everything else (validation, decider runner, read-your-writes) lives in LedgerCore. */
@CommandHandler(ExecuteLedgerCommand)
export class ExecuteLedgerCommandHandler implements ICommandHandler<ExecuteLedgerCommand, CommandResponse> {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  execute(command: ExecuteLedgerCommand): Promise<CommandResponse> {
    return this.core.execute(command.name, command.body, command.principal);
  }
}
