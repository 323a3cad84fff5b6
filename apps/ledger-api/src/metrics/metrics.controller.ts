import { Controller, Get, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Roles } from '../auth/api-key.guard';
import { MetricsService } from './metrics.service';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * Prometheus text format. Not public: counts of open violations and overdue leak reports are themselves sensitive,
   * so a scraper holds an auditor key (`authorization: { credentials: … }` in its scrape config). No label carries
   * an item id or a title.
   */
  @Get()
  @Roles('auditor')
  @SkipThrottle()
  async scrape(@Res({ passthrough: true }) res: { setHeader(n: string, v: string): unknown }): Promise<string> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
