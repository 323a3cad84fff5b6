import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { SEVERITIES } from '@app/custody';
import { type Lang, type LedgerCore, violationLabels } from '@app/application';
import { RequestLang } from '../shared/language';
import { LEDGER_CORE } from '../tokens';
import { optionalEnum, optionalInstant, optionalString } from '../shared/query-params';
import { RequestValidationError } from '@app/application';
import { QuerySchema, ViolationsQuery } from '../shared/query.dto';
import { AnswerCache, jsonText, type JsonResponse } from '../shared/answer-cache';

@Controller('api/violations')
export class ViolationsController {
  /** Pages as JSON text, per read-model version (the dashboard asks for the same open ones on every refresh). */
  private readonly pages = new AnswerCache<string>();

  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /**
   * Violations with filters and cursor paging: `?status=&code=&severity=&itemId=&personId=&since=&cursor=&limit=`,
   * oldest first, or newest first with `order=desc`.
   */
  @QuerySchema(ViolationsQuery)
  @Get()
  async list(
    @Query() q: Record<string, string | undefined>,
    @RequestLang() lang: Lang,
    @Res({ passthrough: true }) res: JsonResponse,
  ): Promise<string> {
    const known = ['lang', 'status', 'code', 'severity', 'itemId', 'personId', 'since', 'cursor', 'limit', 'order'];
    const unknown = Object.keys(q).filter((k) => !known.includes(k));
    if (unknown.length)
      throw new RequestValidationError(unknown.map((field) => ({ field, reason: 'is not a known query parameter' })));
    if (q.cursor !== undefined && !/^\d{1,15}$/.test(q.cursor))
      throw new RequestValidationError([{ field: 'cursor', reason: 'must be a cursor from a previous page' }]);
    if (q.limit !== undefined && !/^\d{1,4}$/.test(q.limit))
      throw new RequestValidationError([{ field: 'limit', reason: 'must be an integer 1..1000' }]);
    const filter = {
      status: optionalEnum('status', q.status, ['open', 'resolved'] as const),
      code: optionalString('code', q.code),
      severity: optionalEnum('severity', q.severity, SEVERITIES),
      itemId: optionalString('itemId', q.itemId),
      personId: optionalString('personId', q.personId),
      since: optionalInstant('since', q.since),
      cursor: q.cursor,
      limit: q.limit ? Number(q.limit) : undefined,
      order: optionalEnum('order', q.order, ['asc', 'desc'] as const),
    };
    await this.core.readModels.catchUp();
    const json = this.pages.get(JSON.stringify([lang, filter]), this.core.readModels.version(), () => {
      const page = this.core.readModels.violations.list(filter);
      return JSON.stringify({ ...page, items: page.items.map((v) => violationLabels(lang, v)) });
    });
    return jsonText(res, json);
  }
}
