import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { CommandResponse } from '@app/application';
import type { AuthedRequest } from '../auth/api-key.guard';
import { MetricsService } from '../metrics/metrics.service';
import { ExecuteLedgerCommand } from './execute-command';

@Controller('api/commands')
export class CommandsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * `POST /api/commands/{CommandName}` with `{ data, occurredAt?, commandId? }`; the principal is the actor. Timed
   * and counted here for /metrics (it runs only past authentication), not by a global interceptor: an interceptor
   * makes Nest wrap every request of every route in an RxJS pipe and an AsyncResource (a measured ~4 % of a command).
   */
  @Post(':name')
  @HttpCode(200)
  async run(@Param('name') name: string, @Body() body: unknown, @Req() req: AuthedRequest): Promise<CommandResponse> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const response = await this.commandBus.execute<ExecuteLedgerCommand, CommandResponse>(
        new ExecuteLedgerCommand(name, body, req.principal!),
      );
      this.metrics.observeCommand(name, seconds());
      return response;
    } catch (error) {
      this.metrics.observeCommand(name, seconds(), error);
      throw error;
    }
  }
}
