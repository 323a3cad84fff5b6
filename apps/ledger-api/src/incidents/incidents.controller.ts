import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { INCIDENT_KINDS, UnknownReference } from '@app/custody';
import {
  type Lang,
  type LedgerCore,
  buildReportDraft,
  incidentFor,
  incidentLabels,
  mayReadReport,
} from '@app/application';
import type { AuthedRequest } from '../auth/api-key.guard';
import { RequestLang } from '../shared/language';
import { LEDGER_CORE } from '../tokens';
import { optionalBoolean, optionalEnum, optionalString } from '../shared/query-params';
import { Roles } from '../auth/api-key.guard';
import { QuerySchema, IncidentsQuery, LangQuery, ReportDraftQuery } from '../shared/query.dto';
import { AnswerCache, jsonText, type JsonResponse } from '../shared/answer-cache';
import { incidentPageJson, incidentParts, type IncidentPageParts } from './incident-page-json';

@Controller('api/incidents')
export class IncidentsController {
  /** Pages as JSON text around their time-dependent values, per read-model version (incident-page-json.ts). */
  private readonly pages = new AnswerCache<IncidentPageParts>();

  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /**
   * Incidents with their report deadline and time left, oldest first, in pages:
   * `?open=true|false&overdue=true|false&kind=&itemId=&cursor=&limit=` (limit 1..1000, default 100).
   */
  @QuerySchema(IncidentsQuery)
  @Get()
  async list(
    @Query() q: Record<string, string | undefined>,
    @RequestLang() lang: Lang,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: JsonResponse,
  ): Promise<string> {
    const filter = {
      open: optionalBoolean('open', q.open),
      overdue: optionalBoolean('overdue', q.overdue),
      kind: optionalEnum('kind', q.kind, INCIDENT_KINDS),
      itemId: optionalString('itemId', q.itemId),
      cursor: q.cursor,
      limit: q.limit === undefined ? undefined : Number(q.limit),
    };
    await this.core.readModels.catchUp();
    const now = this.core.clock.now().toISOString();
    const roles = req.principal?.roles ?? [];
    const build = () => {
      const page = this.core.readModels.incidents.page(now, filter);
      return {
        items: page.items.map((i) => incidentParts(i, incidentLabels(lang, incidentFor(roles, i)))),
        nextCursor: page.nextCursor,
      };
    };
    // Which incidents match `overdue` changes with the instant: that filter is answered afresh each time.
    const parts =
      filter.overdue === undefined
        ? this.pages.get(JSON.stringify([lang, mayReadReport(roles), filter]), this.core.readModels.version(), build)
        : build();
    return jsonText(res, incidentPageJson(parts, now));
  }

  @QuerySchema(LangQuery)
  @Get(':id')
  async get(@Param('id') id: string, @RequestLang() lang: Lang, @Req() req: AuthedRequest) {
    await this.core.readModels.catchUp();
    const incident = this.core.readModels.incidents.get(id, this.core.clock.now().toISOString());
    if (!incident) throw new UnknownReference('UNKNOWN_INCIDENT', 'id', id);
    // The report's content only for the roles that may read it (issue 11); the others see its status.
    return incidentLabels(lang, incidentFor(req.principal?.roles ?? [], incident));
  }

  /**
   * The 24-hour report draft: the seven fields of SubmitIncidentReport, each as editable text with the facts behind
   * it, the deadline and the time left on the ledger's clock. `?to=` fills the supervising office.
   */
  @QuerySchema(ReportDraftQuery)
  @Get(':id/report-draft')
  @Roles('responder', 'secrecy-officer', 'investigator')
  async reportDraft(@Param('id') id: string, @Query('to') to?: string, @RequestLang() lang?: Lang) {
    const draft = await buildReportDraft(this.core, id, { to: optionalString('to', to), lang });
    if (!draft) throw new UnknownReference('UNKNOWN_INCIDENT', 'id', id);
    return draft;
  }
}
