import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { UnknownReference } from '@app/custody';
import {
  type Lang,
  type LedgerCore,
  RequestValidationError,
  readHistory,
  readReaders,
  exposureOf,
  itemLabels,
  summarizeEvent,
  violationLabels,
} from '@app/application';
import { RequestLang } from '../shared/language';
import { LEDGER_CORE } from '../tokens';
import { Roles } from '../auth/api-key.guard';
import { optionalBoolean, optionalInstant } from '../shared/query-params';
import {
  QuerySchema,
  ItemsQuery,
  LangQuery,
  ItemHistoryQuery,
  ItemReadersQuery,
  PersonAccessQuery,
} from '../shared/query.dto';
import { jsonText, type JsonResponse } from '../shared/answer-cache';
import { readersAnswer } from './readers-json';

@Controller('api')
export class ItemsController {
  constructor(@Inject(LEDGER_CORE) private readonly core: LedgerCore) {}

  @QuerySchema(ItemsQuery)
  @Get('items')
  async search(
    @Query('status') status?: string,
    @Query('custodian') custodian?: string,
    @Query('q') q?: string,
    @Query('limit') limit?: string,
    @RequestLang() lang?: Lang,
  ) {
    await this.core.readModels.catchUp();
    return {
      items: this.core.readModels.custody
        .items({
          status,
          custodian,
          q,
          // Bounded 1..1000 by ItemsQuery before this runs.
          limit: limit ? Number(limit) : 100,
        })
        .map((i) => itemLabels(lang ?? 'en', i)),
    };
  }

  @QuerySchema(LangQuery)
  @Get('items/:id')
  async item(@Param('id') id: string, @RequestLang() lang: Lang) {
    await this.core.readModels.catchUp();
    const item = this.core.readModels.custody.item(id);
    if (!item) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    return itemLabels(lang, item);
  }

  /**
   * Who may read the item, a page at a time in person id order (`limit` 1..1000, default 100; `cursor` = the previous
   * page's `nextCursor`): now, or at an instant (`asOf`, `occurredBefore`, as for the history). No total: counting
   * would decide on every person in scope (docs/decisions.md).
   */
  @QuerySchema(ItemReadersQuery)
  @Get('items/:id/readers')
  async readers(
    @Param('id') id: string,
    @Query('asOf') asOf?: string,
    @Query('occurredBefore') occurredBefore?: string,
    @Query('cursor') cursor?: string,
    @Query('limit') limit?: string,
    @Res({ passthrough: true }) res?: JsonResponse,
  ): Promise<string> {
    // Each checked by ItemReadersQuery before this runs.
    const page = await readReaders(this.core, id, {
      asOf: optionalInstant('asOf', asOf),
      occurredBefore: optionalInstant('occurredBefore', occurredBefore),
      cursor: cursor || undefined,
      limit: limit ? Number(limit) : undefined,
    });
    if (!page) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    return jsonText(res!, readersAnswer(page));
  }

  /**
   * Every event of the item (and with `copies=true` of its copies, recursively), each with its two times, actor,
   * command, the violations it raised and its verification state; plus the state and readers at the instant:
   * `asOf` = as the ledger knew it then (recordedAt), `occurredBefore` = as the world was then (occurredAt).
   * `limit` (1..1000) pages the events; `cursor` is the previous page's `nextCursor`.
   */
  @QuerySchema(ItemHistoryQuery)
  @Get('items/:id/history')
  @Roles('investigator', 'auditor', 'secrecy-officer', 'responder')
  async history(
    @Param('id') id: string,
    @Query('asOf') asOf?: string,
    @Query('occurredBefore') occurredBefore?: string,
    @Query('copies') copies?: string,
    @RequestLang() lang?: Lang,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    // limit and cursor are checked by ItemHistoryQuery; a cursor means nothing without the page size it came with.
    if (cursor !== undefined && cursor !== '' && (limit === undefined || limit === ''))
      throw new RequestValidationError([{ field: 'query.cursor', reason: 'is only meaningful with limit' }]);
    const h = await readHistory(this.core, id, {
      asOf: optionalInstant('asOf', asOf),
      occurredBefore: optionalInstant('occurredBefore', occurredBefore),
      copies: optionalBoolean('copies', copies) ?? false,
      limit: limit === undefined || limit === '' ? undefined : Number(limit),
      cursor: cursor === '' ? undefined : cursor,
    });
    if (!h) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    // Each event in words, in the asked language (persons and places by their names now).
    const names = {
      personName: (p: string) => this.core.readModels.custody.person(p)?.name ?? null,
      place: (p: string) => this.core.readModels.custody.place(p),
    };
    return {
      ...h,
      events: h.events.map((e) => ({
        ...e,
        summary: summarizeEvent(lang ?? 'en', e, names),
        violations: e.violations.map((v) => violationLabels(lang ?? 'en', v)),
      })),
    };
  }

  /** Everyone who held or read the item or any copy of it, when, where, how, and whether within scope then; the copy tree. */
  @QuerySchema(LangQuery)
  @Get('items/:id/exposure')
  @Roles('investigator', 'auditor', 'secrecy-officer', 'responder')
  async exposure(@Param('id') id: string) {
    const set = await exposureOf(this.core, [id]);
    if (!set) throw new UnknownReference('UNKNOWN_ITEM', 'id', id);
    return { itemId: id, ...set };
  }

  @QuerySchema(LangQuery)
  @Get('persons/:id/items')
  async muster(@Param('id') id: string) {
    await this.core.readModels.catchUp();
    if (!this.core.readModels.custody.person(id)) throw new UnknownReference('UNKNOWN_PERSON', 'id', id);
    return { personId: id, items: this.core.readModels.custody.heldBy(id) };
  }

  /**
   * The items the person may read now, a page at a time in item id order (`limit` 1..1000, default 100; `cursor` =
   * the previous page's `nextCursor`), like the readers of an item. No total (docs/decisions.md).
   */
  @QuerySchema(PersonAccessQuery)
  @Get('persons/:id/access')
  async access(@Param('id') id: string, @Query('cursor') cursor?: string, @Query('limit') limit?: string) {
    await this.core.readModels.catchUp();
    // Each checked by PersonAccessQuery before this runs.
    const page = this.core.readModels.custody.access(id, cursor || '', limit ? Number(limit) : 100);
    if (!page) throw new UnknownReference('UNKNOWN_PERSON', 'id', id);
    return { personId: id, ...page };
  }
}
