import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { UnknownReference } from '@app/custody/shared/errors';
import type { LedgerCore } from '../core/ledger-core';
import { readHistory } from '../core/history';
import { LEDGER_CORE } from '../tokens';
import { Roles } from '../auth/api-key.guard';
import { optionalInstant } from '../shared/query-params';

@Controller('api')
export class ItemsController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  @Get('items')
  async search(@Query('status') status?: string, @Query('custodian') custodian?: string, @Query('q') q?: string, @Query('limit') limit?: string) {
    await this.core.readModels.catchUp();
    return { items: this.core.readModels.custody.items({ status, custodian, q, limit: limit ? Math.min(Number(limit) || 100, 1000) : 100 }) };
  }

  @Get('items/:id')
  async item(@Param('id') id: string) {
    await this.core.readModels.catchUp();
    const item = this.core.readModels.custody.item(id);
    if (!item) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    return item;
  }

  @Get('items/:id/readers')
  async readers(@Param('id') id: string) {
    await this.core.readModels.catchUp();
    const readers = this.core.readModels.custody.readers(id);
    if (!readers) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    return { itemId: id, readers };
  }

  @Get('items/:id/history')
  @Roles('investigator', 'auditor', 'secrecy-officer', 'responder')
  async history(@Param('id') id: string, @Query('asOf') asOf?: string, @Query('occurredBefore') occurredBefore?: string, @Query('copies') copies?: string) {
    const h = await readHistory(this.core, id, {
      asOf: optionalInstant('asOf', asOf),
      occurredBefore: optionalInstant('occurredBefore', occurredBefore),
      copies: copies === 'true' || copies === '1',
    });
    if (!h) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    return h;
  }

  @Get('persons/:id/items')
  async muster(@Param('id') id: string) {
    await this.core.readModels.catchUp();
    if (!this.core.readModels.custody.person(id)) throw new UnknownReference('UNKNOWN_PERSON', 'id', id);
    return { personId: id, items: this.core.readModels.custody.heldBy(id) };
  }

  @Get('persons/:id/access')
  async access(@Param('id') id: string) {
    await this.core.readModels.catchUp();
    const items = this.core.readModels.custody.access(id);
    if (!items) throw new UnknownReference('UNKNOWN_PERSON', 'id', id);
    return { personId: id, items };
  }
}
