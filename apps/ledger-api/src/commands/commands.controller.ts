import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { AuthedRequest } from '../auth/api-key.guard';
import { ExecuteLedgerCommand } from './execute-command';

@Controller('api/commands')
export class CommandsController {
  constructor(private readonly commandBus: CommandBus) {}

  /** `POST /api/commands/{CommandName}` with `{ data, occurredAt?, commandId? }`; the principal is the actor. */
  @Post(':name')
  @HttpCode(200)
  run(@Param('name') name: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    return this.commandBus.execute(new ExecuteLedgerCommand(name, body, req.principal!));
  }
}
