import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { type LedgerCore, RequestValidationError, type FieldError } from '@app/application';
import type { AuthedRequest } from '../auth/api-key.guard';
import { LEDGER_CORE } from '../tokens';
import { toProblem } from '../http/problem';

/** Commands one batch may carry: a gate's or a scanner's burst, small enough to answer within a request. */
export const MAX_BATCH = 1_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

@Controller('api')
export class CommandBatchController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /**
   * `POST /api/commands:batch` with `{ commands: [{ name, data, occurredAt?, commandId? }, …] }` (1..1000): each
   * command is run as `POST /api/commands/{name}` would run it, with its own result in the same place of `results`
   * (`status` 200 and the command's answer, or the status and problem it would have had on its own).
   */
  @Post('commands\\:batch')
  @HttpCode(200)
  async batch(@Body() body: unknown, @Req() req: AuthedRequest) {
    const commands = isObject(body) ? body.commands : undefined;
    if (!Array.isArray(commands) || commands.length === 0 || commands.length > MAX_BATCH)
      throw new RequestValidationError([
        { field: 'body.commands', reason: `must be an array of 1..${MAX_BATCH} commands` },
      ]);
    const errors: FieldError[] = [];
    commands.forEach((c, i) => {
      if (!isObject(c)) errors.push({ field: `body.commands[${i}]`, reason: 'must be an object' });
      else if (typeof c.name !== 'string' || c.name === '')
        errors.push({ field: `body.commands[${i}].name`, reason: 'must be a command name' });
    });
    if (errors.length) throw new RequestValidationError(errors.slice(0, 20));
    const outcomes = await this.core.executeBatch(
      (commands as Record<string, unknown>[]).map(({ name, ...rest }) => ({ name: name as string, body: rest })),
      req.principal!,
    );
    let failed = 0;
    const results = outcomes.map((o) => {
      if (o.ok) return { status: 200, ...o.response };
      failed++;
      const problem = toProblem(o.error);
      return { status: problem.status, problem: problem.body };
    });
    return { ok: results.length - failed, failed, results };
  }
}
