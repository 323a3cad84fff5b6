import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { Roles } from '../auth/api-key.guard';
import { RequestValidationError, type Principal } from '@app/application';
import { FeedService, type FeedSink } from './feed.service';
import { QuerySchema, FeedQuery } from '../shared/query.dto';

/** Roles that may watch the feed: it carries every event, classified titles included. */
export const FEED_ROLES = ['investigator', 'auditor', 'secrecy-officer', 'responder'] as const;

const POSITION = /^\d{1,15}$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

const list = (name: string, value: string | undefined, pattern: RegExp): string[] => {
  if (value === undefined || value === '') return [];
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = parts.filter((p) => !pattern.test(p));
  if (bad.length || parts.length > 50)
    throw new RequestValidationError([{ field: name, reason: 'must be a comma-separated list of at most 50 names' }]);
  return parts;
};

interface SseResponse extends FeedSink {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
  flushHeaders(): void;
}

@Controller('api/feed')
export class FeedController {
  constructor(private readonly feed: FeedService) {}

  /**
   * Server-sent events: every stored event as `id: <position>`, `event: <type>`, `data: <json>`. Resume with the
   * `Last-Event-ID` header (or `?after=`; `after=0` replays the whole log); without either the stream starts at the
   * head. Filter with `?streams=item-,incident-` and `?types=ViolationDetected,…`.
   */
  @QuerySchema(FeedQuery)
  @Get()
  @Roles(...FEED_ROLES)
  open(
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('after') after: string | undefined,
    @Query('streams') streams: string | undefined,
    @Query('types') types: string | undefined,
    @Req() req: { on(event: 'close', listener: () => void): unknown; principal?: Principal },
    @Res() res: SseResponse,
  ): void {
    const resume = lastEventId ?? after;
    if (resume !== undefined && resume !== '' && !POSITION.test(resume)) {
      throw new RequestValidationError([
        {
          field: lastEventId !== undefined ? 'Last-Event-ID' : 'after',
          reason: 'must be a global position (a non-negative integer)',
        },
      ]);
    }
    const request = {
      after: resume ? Number(resume) : undefined,
      streams: list('streams', streams, PREFIX),
      types: list('types', types, TYPE),
    };
    // Refused (429 TOO_MANY_STREAMS) before anything is written, so the answer is still a problem+json.
    const release = this.feed.admit(req.principal?.keyId ?? req.principal?.name ?? 'anonymous');
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    // A reconnecting EventSource waits this long (ms) before trying again.
    res.write('retry: 3000\n\n');
    this.feed.stream(request, res, (listener) => req.on('close', listener), release);
  }
}
