import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';
import { leanCommandName, parseCommandBody } from '../../apps/ledger-api/src/commands/command.route';
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';

/**
 * `POST /api/commands/{Name}` is answered below Express (command.route.ts); the same request with a query string is
 * still Express's (Nest's router, body parser, guards and filter). Each request here is sent both ways and the two
 * answers must be the same: status, body byte for byte, and the headers a client reads.
 */
describe('the commands route below Express', () => {
  let svc: SurfaceApp;

  beforeAll(async () => {
    svc = await bootSurfaceApp({ RATE_LIMIT_PER_MINUTE: '100000' });
  });
  afterAll(() => svc.close());

  const send = (name: string, via: 'lean' | 'express', body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${svc.base}/api/commands/${name}${via === 'express' ? '?via=express' : ''}`, {
      method: 'POST',
      headers,
      body,
    });

  const READ_HEADERS = ['content-type', 'content-language', 'retry-after', 'www-authenticate'];

  /** Sends the request both ways; returns the two answers after checking they agree. */
  const bothWays = async (name: string, body: string | Buffer, headers: Record<string, string>) => {
    const lean = await send(name, 'lean', body, headers);
    const express = await send(name, 'express', body, headers);
    // Express marks its answers; the route below it does not (so this spec knows each path was taken).
    expect(lean.headers.get('x-powered-by')).toBeNull();
    expect(express.headers.get('x-powered-by')).toBe('Express');
    // A retried commandId answers the first result, marked as the retry it is.
    const [a, b] = [await lean.text(), (await express.text()).replace('"duplicate":true', '"duplicate":false')];
    expect({ status: lean.status, body: a }).toEqual({ status: express.status, body: b });
    for (const h of READ_HEADERS) expect([h, lean.headers.get(h)]).toEqual([h, express.headers.get(h)]);
    // A request id is the caller's when it gave one, else a fresh one on each answer.
    if (headers['x-request-id']) expect(lean.headers.get('x-request-id')).toBe(headers['x-request-id']);
    expect(lean.headers.get('x-request-id')).toMatch(/./);
    return { status: lean.status, body: a, headers: lean.headers };
  };

  const json = { 'content-type': 'application/json', authorization: 'Bearer k-admin' };

  it('records a command, and a retry of its commandId answers the first result the same way on both paths', async () => {
    const body = JSON.stringify({ commandId: 'c-route-1', data: { placeId: 'room-r', name: 'room', kind: 'office' } });
    const answer = await bothWays('RegisterPlace', body, json);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toMatchObject({ events: [{ type: 'PlaceRegistered', streamId: 'place-room-r' }] });
  });

  it.each([
    ['no key', 'RegisterPlace', '{}', { 'content-type': 'application/json' }, 401],
    ['an unknown key', 'RegisterPlace', '{}', { ...json, authorization: 'Bearer k-nobody' }, 401],
    ['a body that is not JSON', 'RegisterPlace', '{"data": ', json, 400],
    ['JSON that is not an object', 'RegisterPlace', '"data"', json, 400],
    ['an empty body', 'RegisterPlace', '', json, 400],
    ['a field out of its rule', 'RegisterPlace', '{"data":{"placeId":"p","name":"n","kind":"moon"}}', json, 400],
    ['an unknown command', 'LaunchRocket', '{"data":{}}', json, 404],
    [
      'a role that may not give it',
      'RegisterPlace',
      '{"data":{"placeId":"p2","name":"n","kind":"office"}}',
      { ...json, authorization: 'Bearer k-auditor' },
      403,
    ],
    [
      'a Chinese client',
      'RegisterPlace',
      '{"data":{"placeId":"p","kind":"moon"}}',
      { ...json, 'accept-language': 'zh-CN' },
      400,
    ],
    ['a request id to echo', 'RegisterPlace', '{"data":{}}', { ...json, 'x-request-id': 'req-42' }, 400],
    [
      'a +json type with a charset',
      'RegisterPlace',
      '{"data":{}}',
      { ...json, 'content-type': 'application/x+json; charset=UTF-8' },
      400,
    ],
  ])('answers %s the same way', async (_what, name, body, headers, status) => {
    const answer = await bothWays(name, body, headers);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  });

  it('reads a body with a UTF-8 byte order mark as the body parser does', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        JSON.stringify({ commandId: 'c-route-bom', data: { placeId: 'room-b', name: '阅览室', kind: 'office' } }),
      ),
    ]);
    expect((await bothWays('RegisterPlace', body, json)).status).toBe(200);
  });

  it('survives a client that leaves half way through its body, writing nothing for it', async () => {
    const head = async () => ((await (await fetch(`${svc.base}/health`)).json()) as { head: number }).head;
    const before = await head();
    const { port } = new URL(svc.base);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /api/commands/RegisterPlace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Authorization: Bearer k-admin\r\nContent-Length: 200\r\n\r\n{"data":{"placeId":"half"',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on('error', reject);
    });
    const next = await send('RegisterPlace', 'lean', '{"data":{"placeId":"whole","name":"n","kind":"office"}}', json);
    expect(next.status).toBe(200);
    expect(await head()).toBe(before + 1);
  });

  it('shares one rate-limit budget with the Express path', async () => {
    const limited = await bootSurfaceApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const go = (via: 'lean' | 'express') =>
        fetch(`${limited.base}/api/commands/RegisterPlace${via === 'express' ? '?via=express' : ''}`, {
          method: 'POST',
          headers: json,
          body: '{"data":{}}',
        });
      expect([(await go('lean')).status, (await go('express')).status, (await go('lean')).status]).toEqual([
        400, 400, 400,
      ]);
      const over = await go('lean');
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await over.json()) as { code: string }).code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });

  it('leaves to Express what it does not take as it stands', () => {
    const req = (method: string, url: string, headers: Record<string, string>) =>
      ({ method, url, headers }) as unknown as IncomingMessage;
    const ok = { 'content-type': 'application/json', 'content-length': '10' };
    expect(leanCommandName(req('POST', '/api/commands/RecordReading', ok))).toBe('RecordReading');
    expect(leanCommandName(req('GET', '/api/commands/RecordReading', ok))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/RecordReading?lang=en', ok))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/Record%52eading', ok))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/RecordReading/', ok))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands:batch', ok))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/X', { ...ok, 'content-type': 'text/plain' }))).toBeUndefined();
    expect(
      leanCommandName(req('POST', '/api/commands/X', { ...ok, 'content-type': 'application/json; charset=utf-16' })),
    ).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/X', { ...ok, 'content-encoding': 'gzip' }))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/X', { 'content-type': 'application/json' }))).toBeUndefined();
    expect(leanCommandName(req('POST', '/api/commands/X', { ...ok, 'content-length': '262145' }))).toBeUndefined();
  });

  it('parses a body as the strict JSON body parser does', () => {
    expect(parseCommandBody(Buffer.from(''))).toEqual({});
    expect(parseCommandBody(Buffer.from(' \n{"a":1}'))).toEqual({ a: 1 });
    expect(parseCommandBody(Buffer.from('[1]'))).toEqual([1]);
    expect(() => parseCommandBody(Buffer.from('1'))).toThrow(expect.objectContaining({ type: 'entity.parse.failed' }));
    expect(() => parseCommandBody(Buffer.from('{'))).toThrow(expect.objectContaining({ status: 400 }));
  });
});
