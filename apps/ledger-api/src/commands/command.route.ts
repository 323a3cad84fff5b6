/**
 * `POST /api/commands/{Name}` answered below Express (issue 16): the commands route is the one every clerk, gate and
 * scanner calls thousands of times a minute, and Express's request/response prototypes, its router and body parser,
 * `res.json` and Nest's router pipeline were about 40 % of a command's CPU. This route runs the very same parts Nest
 * would run for it — the global guards in their order (rate limit, API key, query), the controller's `run`, the
 * problem filter, the request logger — as the same instances, only without Express in between. No rule lives here.
 *
 * Anything unusual goes to Express untouched, before a byte of its body is read: another method or path, a query
 * string, percent-escapes, a body that is not plain UTF-8 JSON, a compressed or chunked body, one over the limit. So
 * every odd request keeps the answer it had; test/e2e/command-route.e2e.spec.ts holds the two paths to the same
 * answers for the requests both take.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { ForbiddenException, type CanActivate } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Logger } from 'pino';
import { requestLogger } from '../logging/request-logger';
import type { ProblemFilter } from '../http/problem.filter';
import { CommandsController } from './commands.controller';

/** The JSON body limit main.ts gives Express's body parser (`256kb`), in bytes. */
export const COMMAND_BODY_LIMIT = 256 * 1024;

const PATH = /^\/api\/commands\/([A-Za-z][A-Za-z0-9]{0,63})$/;
/** `application/json` or `application/*+json` (what the body parser takes), with at most a UTF-8 charset. */
const JSON_TYPE = /^application\/(?:json|[a-z0-9.!#$%&'*^_`|~-]+\+json)\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** The command name when this route takes the request as it stands, else undefined (Express answers it). */
export const leanCommandName = (req: IncomingMessage): string | undefined => {
  if (req.method !== 'POST' || req.url === undefined) return undefined;
  const name = PATH.exec(req.url)?.[1];
  if (name === undefined) return undefined;
  const h = req.headers;
  const type = h['content-type'];
  if (type === undefined || !JSON_TYPE.test(type)) return undefined;
  const encoding = h['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  if (h['transfer-encoding'] !== undefined) return undefined;
  const length = Number(h['content-length']);
  if (!Number.isInteger(length) || length < 0 || length > COMMAND_BODY_LIMIT) return undefined;
  return name;
};

/**
 * The error the body parser raises for a body that is not JSON (an http-errors error of type `entity.parse.failed`),
 * so the problem mapping answers it exactly as it answers the parser's.
 */
const parseFailed = (cause: unknown): Error =>
  Object.assign(new SyntaxError(cause instanceof Error ? cause.message : 'Unexpected end of JSON input'), {
    type: 'entity.parse.failed',
    status: 400,
    statusCode: 400,
    expose: true,
  });

/**
 * The body as the JSON body parser reads it (strict): empty is `{}`, a UTF-8 BOM is dropped, and only an object or an
 * array is JSON here. Written by hand because body-parser's own steps (type-is, raw-body, iconv) are the part of its
 * cost this route exists to skip, and the requests it would treat differently never reach here (leanCommandName).
 */
export const parseCommandBody = (raw: Buffer): unknown => {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw parseFailed(undefined);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw parseFailed(e);
  }
};

/** What the route runs: the instances Nest would run for `CommandsController.run`. */
export interface CommandRouteParts {
  /** The global guards, in the order Nest runs them (app.module.ts). */
  guards: readonly CanActivate[];
  controller: CommandsController;
  filter: ProblemFilter;
  logger: Logger;
}

/** The request as the guards, the controller and the filter read it (what Express would have added). */
type RouteRequest = IncomingMessage & {
  method: string;
  body?: unknown;
  ip?: string;
  query: Record<string, unknown>;
  originalUrl: string;
  baseUrl: string;
  route: { path: string };
};

/**
 * Puts the route in front of the server's Express handler. `parts` is called once, at the first command (the
 * instances exist only once the application is initialised).
 */
export const installCommandRoute = (server: Server, parts: () => CommandRouteParts): void => {
  const express = server.listeners('request') as RequestListener[];
  if (express.length !== 1)
    throw new Error(`expected one request listener on the HTTP server, found ${express.length}`);
  const next = express[0];
  let route: ((req: IncomingMessage, res: ServerResponse, name: string) => void) | undefined;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const name = leanCommandName(req);
    if (name === undefined) return next(req, res);
    route ??= commandRoute(parts());
    route(req, res, name);
  });
};

const commandRoute = ({ guards, controller, filter, logger }: CommandRouteParts) => {
  const logRequest = requestLogger(logger);
  const handler = controller.run.bind(controller);
  // The guards look their metadata (public, roles, throttling) up on the method itself: it is a key, never called.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- used only as the metadata key, as Nest does
  const method = CommandsController.prototype.run;

  const serve = async (req: RouteRequest, res: ServerResponse, name: string, body: unknown): Promise<void> => {
    const context = new ExecutionContextHost([req, res, undefined], CommandsController, method);
    try {
      req.body = body;
      for (const guard of guards) {
        if (!(await guard.canActivate(context))) throw new ForbiddenException('Forbidden resource');
      }
      const json = JSON.stringify(await handler(name, body, req));
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(json));
      // Headers and body leave in one write.
      res.end(json);
    } catch (error) {
      filter.catch(error, context);
    }
  };

  return (incoming: IncomingMessage, res: ServerResponse, name: string): void => {
    const req = incoming as RouteRequest;
    req.ip = req.socket.remoteAddress;
    req.query = {};
    req.originalUrl = req.url!;
    req.baseUrl = '';
    req.route = { path: '/api/commands/:name' };
    logRequest(req, res, () => undefined);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = parseCommandBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      } catch (error) {
        // As with Express, a body that is not JSON is answered before the guards run.
        filter.catch(error, new ExecutionContextHost([req, res, undefined], CommandsController, method));
        return;
      }
      void serve(req, res, name, body);
    });
  };
};
