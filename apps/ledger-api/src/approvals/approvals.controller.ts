import { Controller, Get, Inject } from '@nestjs/common';
import { type Lang, type LedgerCore, labelOf, pendingRequests } from '@app/application';
import { LEDGER_CORE } from '../tokens';
import { Roles } from '../auth/api-key.guard';
import { RequestLang } from '../shared/language';

@Controller('api/approvals')
export class ApprovalsController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /** Requests awaiting a decision (copy requests, classifications to review or approve), oldest first. */
  @Get()
  @Roles('approver')
  async list(@RequestLang() lang: Lang) {
    const items = await pendingRequests(this.core);
    const name = (id: string | null) => (id ? (this.core.readModels.custody.person(id)?.name ?? null) : null);
    return {
      items: items.map((r) => ({
        ...r,
        requesterName: name(r.kind === 'copy' ? r.requestedBy : r.proposedBy),
        labels: { kind: labelOf(lang, 'requestKinds', r.kind), level: labelOf(lang, 'levels', r.level) },
      })),
    };
  }
}
