import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/** The little of Express's request/response the request logger reads. */
interface Req {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  baseUrl?: string;
  route?: { path?: unknown };
  principal?: { name: string };
  requestId?: string;
}
interface Res {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  on(event: 'finish' | 'close', listener: () => void): unknown;
}

/** A caller's X-Request-Id is echoed back when it is a plain token; anything else gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Express middleware: one JSON line per request when its response ends — method, route pattern (`/api/items/:id`,
 * so ids in paths are not logged), status, duration, request id, the principal's name. Never headers, bodies or
 * query strings.
 */
export const requestLogger =
  (logger: Logger) =>
  (req: Req, res: Res, next: () => void): void => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    let logged = false;
    const done = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      // At LOG_LEVEL=warn or above, ordinary requests write nothing: do not build their lines either.
      if (res.statusCode < 500 && !logger.isLevelEnabled('info')) return;
      const pattern = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : null;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        msg: 'request',
        requestId,
        method: req.method,
        route: pattern ?? '(unmatched)',
        status: res.statusCode,
        durationMs: Math.round(durationMs * 100) / 100,
        ...(req.principal ? { principal: req.principal.name } : {}),
        ...(aborted ? { aborted: true } : {}),
      };
      if (res.statusCode >= 500) logger.error(line);
      else logger.info(line);
    };
    res.on('finish', () => done(false));
    // A stream (the SSE feed) ends with the client closing the connection, not with 'finish'.
    res.on('close', () => done(true));
    next();
  };
