import { Controller, Get, Query } from '@nestjs/common';
import { Ledger, type DeliveryStatus } from '@app/application';
import { Roles } from '../auth/api-key.guard';
import { NotificationsQuery, QuerySchema } from '../shared/query.dto';

/** Webhook deliveries (contract §8.1): what responders were told, and what could not be delivered within 24 hours. */
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly ledger: Ledger) {}

  @QuerySchema(NotificationsQuery)
  @Get()
  @Roles('responder', 'secrecy-officer')
  list(@Query('status') status?: DeliveryStatus, @Query('limit') limit?: string) {
    const notifier = this.ledger.notifier;
    return {
      hooks: (notifier?.hooks ?? []).map((h) => ({ name: h.name, kinds: h.kinds })),
      deliveries: notifier?.deliveries(status, limit ? Number(limit) : 100) ?? [],
    };
  }
}
