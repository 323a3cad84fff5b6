import 'reflect-metadata';
import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Logger,
  Module,
  NotFoundException,
  Param,
  Post,
  UnauthorizedException,
  type ArgumentsHost,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApproverNotAuthorized, CommandRefused, InvalidCommand, UnknownReference } from '@app/custody';
import { ConcurrencyConflict, StoreUnavailable } from '@app/ledger';
import { RequestValidationError } from '@app/application';
import { PROBLEM_CONTENT_TYPE, problemType, toProblem } from './problem';
import { ProblemFilter, problemErrorHandler, type ProblemResponse } from './problem.filter';
import { validateCommandData, validateEnvelope } from '@app/application';

/** A response that records what the filter wrote. */
class RecordingResponse implements ProblemResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  headers: Record<string, string> = {};
  body: string | undefined;
  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
  end(body?: string): void {
    this.body = body;
    this.writableEnded = true;
    this.headersSent = true;
  }
  get json(): Record<string, unknown> {
    return JSON.parse(this.body ?? 'null') as Record<string, unknown>;
  }
}

const hostFor = (
  response: RecordingResponse,
  url = '/api/commands/RegisterPerson?x=1',
  method = 'POST',
): ArgumentsHost =>
  ({
    getType: () => 'http',
    getArgs: () => [{ url, originalUrl: url, method }, response],
    getArgByIndex: (i: number) => [{ url, originalUrl: url, method }, response][i],
    switchToHttp: () => ({
      getRequest: () => ({ url, originalUrl: url, method }),
      getResponse: () => response,
      getNext: () => undefined,
    }),
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
  }) as unknown as ArgumentsHost;

const filter = new ProblemFilter();
const send = (error: unknown): RecordingResponse => {
  const response = new RecordingResponse();
  filter.catch(error, hostFor(response));
  return response;
};

class Boom extends Error {}
const bodyParserError = (type: string, status: number, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(status === 400 ? new SyntaxError(message) : new Error(message), {
    type,
    status,
    statusCode: status,
    expose: true,
    ...extra,
  });

let logged: jest.SpyInstance[] = [];
beforeEach(() => {
  logged = [
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
  ];
});
afterEach(() => logged.forEach((s) => s.mockRestore()));

describe('the problem filter, per kind of error', () => {
  it.each<[string, () => unknown, number, string, Record<string, unknown>]>([
    [
      'a request validation error',
      () => new RequestValidationError([{ field: 'data.scope.persons[1]', reason: 'must be an id' }]),
      400,
      'VALIDATION_FAILED',
      { errors: [{ field: 'data.scope.persons[1]', reason: 'must be an id' }] },
    ],
    [
      'malformed JSON from the body parser',
      () =>
        bodyParserError('entity.parse.failed', 400, 'Unexpected token } in JSON at position 9', {
          body: '{"secret":}',
        }),
      400,
      'MALFORMED_JSON',
      { detail: 'The request body is not valid JSON.' },
    ],
    [
      'malformed JSON as Nest maps it',
      () => new BadRequestException('Unexpected token \'}\', "{"a":}" is not valid JSON'),
      400,
      'MALFORMED_JSON',
      {},
    ],
    [
      'a body over the limit',
      () => bodyParserError('entity.too.large', 413, 'request entity too large', { limit: 102400, length: 999999 }),
      413,
      'PAYLOAD_TOO_LARGE',
      { detail: 'The request body is larger than the limit of 102400 bytes.' },
    ],
    [
      'an unsupported charset',
      () => bodyParserError('charset.unsupported', 415, 'unsupported charset "LATIN-9"'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      {},
    ],
    [
      'a refusal',
      () => new CommandRefused('ALREADY_REPORTED', 'incident inc-1 was reported at 2026-03-02T10:00:00Z'),
      409,
      'ALREADY_REPORTED',
      { detail: 'incident inc-1 was reported at 2026-03-02T10:00:00Z' },
    ],
    [
      'an approver without the rank',
      () => new ApproverNotAuthorized('p-dir may not approve copies of TOP_SECRET items'),
      403,
      'APPROVER_NOT_AUTHORIZED',
      { title: 'Approver not authorized' },
    ],
    [
      'an unknown person',
      () => new UnknownReference('UNKNOWN_PERSON', 'reader', 'p-ghost'),
      404,
      'UNKNOWN_PERSON',
      { errors: [{ field: 'data.reader', reason: 'p-ghost is not registered' }] },
    ],
    [
      'an invalid command',
      () => new InvalidCommand('until', 'ends before the carry-out starts'),
      400,
      'INVALID_COMMAND',
      { errors: [{ field: 'data.until', reason: 'ends before the carry-out starts' }] },
    ],
    [
      'a refusal with a 422 and a field',
      () => new CommandRefused('PERIOD_EXCEEDS_MAXIMUM', 'CONFIDENTIAL allows at most 10 years', 'periodYears'),
      422,
      'PERIOD_EXCEEDS_MAXIMUM',
      { errors: [{ field: 'data.periodYears', reason: 'CONFIDENTIAL allows at most 10 years' }] },
    ],
    ['a concurrency conflict', () => new ConcurrencyConflict('item-doc-1', 3, 4), 409, 'CONCURRENCY_CONFLICT', {}],
    [
      'an unavailable store',
      () => new StoreUnavailable('SQLITE_FULL: /var/lib/ledger/events.sqlite', new Error('disk full')),
      503,
      'STORE_UNAVAILABLE',
      {},
    ],
    [
      'a route that does not exist',
      () => new NotFoundException('Cannot GET /api/nothing'),
      404,
      'NOT_FOUND',
      { detail: 'Cannot GET /api/nothing' },
    ],
    ['a missing key', () => new UnauthorizedException(), 401, 'UNAUTHENTICATED', {}],
    [
      'a role that may not',
      () => new ForbiddenException('role custodian may not give ApproveCopy'),
      403,
      'FORBIDDEN',
      {},
    ],
    [
      'too many requests',
      () => new HttpException({ message: 'slow down', retryAfter: 2.5 }, HttpStatus.TOO_MANY_REQUESTS),
      429,
      'RATE_LIMITED',
      { detail: 'slow down' },
    ],
    [
      'an HttpException with its own code',
      () => new HttpException({ code: 'KEY_REVOKED', detail: 'the key was revoked' }, 401),
      401,
      'KEY_REVOKED',
      { detail: 'the key was revoked' },
    ],
    [
      'an unexpected error',
      () => new Boom('SQLITE_CORRUPT at /var/lib/ledger/read-models.sqlite'),
      500,
      'INTERNAL',
      {},
    ],
    ['a thrown string', () => 'oops', 500, 'INTERNAL', {}],
    ['a thrown null', () => null, 500, 'INTERNAL', {}],
    [
      'an HttpException 500 with an internal message',
      () => new HttpException('pool exhausted: db-7.internal', 500),
      500,
      'INTERNAL',
      {},
    ],
  ])('%s', (_label, make, status, code, expected) => {
    const response = send(make());
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    const body = response.json;
    expect(body).toMatchObject({
      type: problemType(code),
      status,
      code,
      instance: '/api/commands/RegisterPerson',
      ...expected,
    });
    expect(body.type).toMatch(/^https:\/\/custody-ledger\.dev\/problems\/[a-z0-9-]+$/);
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    expect(
      Object.keys(body).every((k) => ['type', 'title', 'status', 'code', 'detail', 'errors', 'instance'].includes(k)),
    ).toBe(true);
    if (!expected.errors) expect(body.errors).toBeUndefined();
  });

  it('adds Retry-After when the store is unavailable, and hides the store path', () => {
    const response = send(new StoreUnavailable('SQLITE_FULL: /var/lib/ledger/events.sqlite'));
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).not.toContain('/var/lib');
    expect(response.body).not.toContain('SQLITE');
  });

  it('adds Retry-After to a 429 that says when, and WWW-Authenticate to a 401', () => {
    expect(send(new HttpException({ message: 'slow down', retryAfter: 2.5 }, 429)).headers['retry-after']).toBe('3');
    expect(send(new UnauthorizedException()).headers['www-authenticate']).toBe('Bearer realm="custody-ledger"');
  });

  it("never shows an unexpected error's message or stack, but logs them", () => {
    const error = new Boom('SQLITE_CORRUPT at /var/lib/ledger/read-models.sqlite');
    const response = send(error);
    expect(response.body).not.toContain('SQLITE_CORRUPT');
    expect(response.body).not.toContain('Boom');
    expect(response.body).not.toContain('.ts:');
    expect(response.json.detail).toMatch(/unexpected error/);
    expect(logged[0]).toHaveBeenCalledWith(expect.stringContaining('SQLITE_CORRUPT'), error.stack);
  });

  it('does not echo what the parser saw in a malformed body', () => {
    const response = send(
      bodyParserError('entity.parse.failed', 400, 'Unexpected token } in JSON at position 9', { body: '{"secret":}' }),
    );
    expect(response.body).not.toContain('secret');
    expect(response.body).not.toContain('position');
  });

  it('does not log client errors', () => {
    send(new RequestValidationError([{ field: 'data.x', reason: 'is not an allowed field' }]));
    send(new ApproverNotAuthorized('no'));
    logged.forEach((s) => expect(s).not.toHaveBeenCalled());
  });

  it('a plain BadRequestException that is not about JSON stays BAD_REQUEST', () => {
    expect(send(new BadRequestException("Failed to decode param '%FF'")).json).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
    });
  });

  it('a response already streaming (SSE) is ended, not written over', () => {
    const response = new RecordingResponse();
    response.headersSent = true;
    filter.catch(new Boom('feed broke'), hostFor(response, '/api/feed', 'GET'));
    expect(response.writableEnded).toBe(true);
    expect(response.body).toBeUndefined();
    expect(response.statusCode).toBe(200);
  });

  it('the Express error handler writes the same problem', () => {
    const response = new RecordingResponse();
    problemErrorHandler(
      bodyParserError('entity.too.large', 413, 'too large', { limit: 10 }),
      { originalUrl: '/api/commands/X' },
      response,
      () => undefined,
    );
    expect(response.statusCode).toBe(413);
    expect(response.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', instance: '/api/commands/X' });
  });

  it('toProblem is pure and leaves out instance when none is known', () => {
    expect(toProblem(new ConcurrencyConflict('item-a', 1, 2))).toEqual({
      status: 409,
      headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
      body: {
        type: 'https://custody-ledger.dev/problems/concurrency-conflict',
        title: 'Concurrency conflict',
        status: 409,
        code: 'CONCURRENCY_CONFLICT',
        detail: expect.stringContaining('Retry'),
      },
    });
  });
});

// A real Nest app (NestFactory, Express, its body parser and router) with the filter registered globally: proves the
// mapping on the error shapes Nest really produces, which the fakes above only imitate.
describe('the filter in a running Nest app', () => {
  @Controller('api/commands')
  class CommandsController {
    @Post(':name')
    run(@Param('name') name: string, @Body() body: unknown): unknown {
      const envelope = validateEnvelope(body);
      if (!envelope.ok) throw new RequestValidationError(envelope.errors);
      const checked = validateCommandData(name, envelope.data);
      if (!checked.ok) {
        if ('unknownCommand' in checked)
          throw new NotFoundException({ code: 'UNKNOWN_COMMAND', detail: `there is no command named ${name}` });
        throw new RequestValidationError(checked.errors);
      }
      if (checked.data.reason === 'explode') throw new Boom('internal detail');
      return { ok: true };
    }
  }
  @Module({ controllers: [CommandsController] })
  class AppModule {}

  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    app.useGlobalFilters(new ProblemFilter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => app?.close());

  const post = async (path: string, body: string) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  it('answers a valid command', async () => {
    const res = await post(
      '/api/commands/DeclassifyItem',
      JSON.stringify({ data: { itemId: 'doc-1', reason: 'published' } }),
    );
    expect(res).toMatchObject({ status: 201, body: { ok: true } });
  });

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const res = await post('/api/commands/DeclassifyItem', '{"data": {"itemId": }');
    expect(res.status).toBe(400);
    expect(res.type).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.body).toMatchObject({ code: 'MALFORMED_JSON', status: 400, instance: '/api/commands/DeclassifyItem' });
  });

  it('a body over the parser limit → 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await post(
      '/api/commands/DeclassifyItem',
      JSON.stringify({ data: { itemId: 'doc-1', reason: 'x'.repeat(200_000) } }),
    );
    expect(res).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('field errors → 400 VALIDATION_FAILED naming the fields', async () => {
    const res = await post(
      '/api/commands/DeclassifyItem',
      JSON.stringify({ data: { itemId: 'doc/1', reason: 1, x: 1 }, occurredAt: 'yesterday' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'body.occurredAt', reason: expect.any(String) }]);
    const res2 = await post(
      '/api/commands/DeclassifyItem',
      JSON.stringify({ data: { itemId: 'doc/1', reason: 1, x: 1 } }),
    );
    expect((res2.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'data.itemId',
      'data.reason',
      'data.x',
    ]);
  });

  it('a prototype-pollution body is refused and pollutes nothing', async () => {
    const res = await post(
      '/api/commands/DeclassifyItem',
      '{"data":{"itemId":"doc-1","reason":"r","__proto__":{"polluted":true}}}',
    );
    expect(res).toMatchObject({ status: 400, body: { errors: [{ field: 'data.__proto__' }] } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an unknown command → 404 UNKNOWN_COMMAND; an unknown route → 404 NOT_FOUND', async () => {
    expect(await post('/api/commands/FireDeadline', '{"data":{}}')).toMatchObject({
      status: 404,
      body: { code: 'UNKNOWN_COMMAND' },
    });
    expect(await post('/api/nothing', '{}')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('an unexpected error → 500 INTERNAL without its message', async () => {
    const res = await post(
      '/api/commands/DeclassifyItem',
      JSON.stringify({ data: { itemId: 'doc-1', reason: 'explode' } }),
    );
    expect(res).toMatchObject({ status: 500, body: { code: 'INTERNAL' } });
    expect(JSON.stringify(res.body)).not.toContain('internal detail');
  });
});
