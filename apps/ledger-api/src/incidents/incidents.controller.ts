import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { UnknownReference } from '@app/custody';
import { type LedgerCore, buildReportDraft } from '@app/application';
import { LEDGER_CORE } from '../tokens';
import { optionalBoolean, optionalString } from '../shared/query-params';
import { Roles } from '../auth/api-key.guard';

@Controller('api/incidents')
export class IncidentsController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /** Incidents with their report deadline and time left: `?open=true|false&overdue=true|false`. */
  @Get()
  async list(@Query('open') open?: string, @Query('overdue') overdue?: string, @Query('itemId') itemId?: string) {
    await this.core.readModels.catchUp();
    const now = this.core.clock.now().toISOString();
    return {
      now,
      items: this.core.readModels.incidents.list(now, {
        open: optionalBoolean('open', open),
        overdue: optionalBoolean('overdue', overdue),
        itemId,
      }),
    };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    await this.core.readModels.catchUp();
    const incident = this.core.readModels.incidents.get(id, this.core.clock.now().toISOString());
    if (!incident) throw new UnknownReference('UNKNOWN_INCIDENT', 'id', id);
    return incident;
  }

  /**
   * The 24-hour report draft: the seven fields of SubmitIncidentReport, each as editable text with the facts behind
   * it, the deadline and the time left on the ledger's clock. `?to=` fills the supervising office.
   */
  @Get(':id/report-draft')
  @Roles('responder', 'secrecy-officer', 'investigator')
  async reportDraft(@Param('id') id: string, @Query('to') to?: string) {
    const draft = await buildReportDraft(this.core, id, { to: optionalString('to', to) });
    if (!draft) throw new UnknownReference('UNKNOWN_INCIDENT', 'id', id);
    return draft;
  }
}
