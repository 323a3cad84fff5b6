import { Controller, Get, Inject } from '@nestjs/common';
import type { LedgerCore } from '../core/ledger-core';
import { verifyLedger } from '../core/verify-ledger';
import { LEDGER_CORE } from '../tokens';
import { Roles } from '../auth/api-key.guard';

@Controller('api/ledger')
export class LedgerController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  /** Recomputes every hash chain and names the first event that does not match. */
  @Get('verify')
  @Roles('auditor', 'investigator', 'secrecy-officer')
  verify() {
    return verifyLedger(this.core.store);
  }
}
