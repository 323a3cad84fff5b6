import type { LedgerCore } from '@app/application';
import { LEDGER_CORE } from '../../apps/ledger-api/src/tokens';
import { PinoNestLogger, createLogger } from '../../apps/ledger-api/src/logging/logger';
import { bootSurfaceApp, client, type SurfaceApp } from '../support/test-app';

const TITLE = 'merger plan of the northern subsidiary';

describe('health, readiness, metrics and logs', () => {
  let s: SurfaceApp;
  const lines: string[] = [];
  beforeAll(async () => {
    s = await bootSurfaceApp({ LOG_LEVEL: 'info' }, (c) => {
      c.logDestination = { write: (line: string) => lines.push(line) };
    });
    const { post } = client(s.base);
    await post(
      'RegisterPerson',
      { data: { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
      'k-registrar',
    );
    await post(
      'RegisterPerson',
      { data: { personId: 'p-driver', name: 'Zhao', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' } },
      'k-registrar',
    );
    await post(
      'RegisterPlace',
      { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } },
      'k-registrar',
    );
    await post(
      'RegisterReceivedItem',
      {
        data: {
          itemId: 'doc-secret-77',
          title: TITLE,
          level: 'SECRET',
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-zhang',
          scope: { persons: [] },
        },
      },
      'k-registrar',
    );
    await post(
      'RecordReading',
      { data: { itemId: 'doc-secret-77', reader: 'p-driver', placeId: 'room-1' } },
      'k-zhang',
    );
    await post(
      'RegisterPerson',
      { data: { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
      'k-registrar',
    );
    await post(
      'RegisterPerson',
      { data: { personId: 'p-x', name: 'X', rank: 'general', clearance: 'SECRET', unit: 'u' } },
      'k-registrar',
    );
  });
  afterAll(() => s.close());

  it('answers liveness and readiness', async () => {
    const live = await fetch(`${s.base}/health`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${s.base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual(expect.objectContaining({ status: 'ready', store: 'ok', lag: 0 }));
  });

  it('reports not ready (503) when the read models lag beyond the threshold', async () => {
    const lagging = await bootSurfaceApp({ READY_MAX_LAG: '0' });
    await client(lagging.base).post(
      'RegisterPlace',
      { data: { placeId: 'room-9', name: 'room', kind: 'office' } },
      'k-registrar',
    );
    expect((await fetch(`${lagging.base}/health/ready`)).status).toBe(200);
    // Stop the projections, then store one more event: the read models now lag the store by one.
    const core = lagging.app.get<LedgerCore>(LEDGER_CORE);
    await core.readModels.runner.stop();
    await core.store.append(
      'scratch-lag',
      [{ eventId: '11111111-1111-4111-8111-111111111111', type: 'Scratch', data: {}, metadata: {} }],
      'any',
    );
    const res = await Promise.race([
      fetch(`${lagging.base}/health/ready`),
      new Promise<Response>((_r, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
    ]);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe('not-ready');
    await lagging.close();
  });

  it('exposes Prometheus metrics to an auditor, without ids or titles in labels', async () => {
    expect((await fetch(`${s.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.base}/metrics`, { headers: { authorization: 'Bearer k-custodian' } })).status).toBe(403);
    const res = await fetch(`${s.base}/metrics`, { headers: { authorization: 'Bearer k-auditor' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/ledger_commands_total\{command="RecordReading",outcome="ok",code=""\} 1/);
    expect(text).toMatch(/ledger_commands_total\{command="RegisterPerson",outcome="refused",code="PERSON_EXISTS"\} 1/);
    expect(text).toMatch(
      /ledger_commands_total\{command="RegisterPerson",outcome="invalid",code="VALIDATION_FAILED"\} 1/,
    );
    expect(text).toMatch(/ledger_command_duration_seconds_count\{command="RecordReading"\} 1/);
    expect(text).toMatch(/ledger_events_appended_total\{type="ViolationDetected"\} 1/);
    expect(text).toMatch(/ledger_projection_lag 0/);
    expect(text).toMatch(/ledger_violations_open\{severity="high"\} 1/);
    expect(text).toMatch(/ledger_incidents_open 1/);
    // The leak incident opened at 09:00 is due 24 h later; the clock has not moved.
    expect(text).toMatch(/ledger_incident_report_seconds_left_min 86400/);
    s.clock.advance(25 * 3600_000);
    const later = await (await fetch(`${s.base}/metrics`, { headers: { authorization: 'Bearer k-auditor' } })).text();
    expect(later).toMatch(/ledger_incident_report_seconds_left_min -3600/);
    s.clock.advance(-25 * 3600_000);
    expect(text).not.toContain('doc-secret-77');
    expect(text).not.toContain('merger');
    expect(text).not.toContain('p-driver');
  });

  it('logs one JSON line per request with route pattern, status, duration and request id — never keys, bodies or titles', async () => {
    const res = await fetch(`${s.base}/api/items/doc-secret-77`, {
      headers: { authorization: 'Bearer k-auditor', 'x-request-id': 'req-abc-123' },
    });
    expect(res.status).toBe(200);
    // A title in a query string is not logged either (routes refuse parameters they do not declare: q is the search's).
    const search = await fetch(`${s.base}/api/items?q=${encodeURIComponent(TITLE)}`, {
      headers: { authorization: 'Bearer k-auditor' },
    });
    expect(search.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    const generated = await fetch(`${s.base}/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));
    const parsed = lines.map((l) => JSON.parse(l));
    const line = parsed.find((l) => l.requestId === 'req-abc-123');
    expect(line).toEqual(
      expect.objectContaining({
        msg: 'request',
        method: 'GET',
        route: '/api/items/:id',
        status: 200,
        principal: 'auditor desk',
        durationMs: expect.any(Number),
      }),
    );
    expect(
      parsed.filter((l) => l.msg === 'request' && l.route === '/api/commands/:name').length,
    ).toBeGreaterThanOrEqual(7);
    const all = lines.join('\n');
    for (const key of ['k-auditor', 'k-registrar', 'k-zhang', 'Bearer']) expect(all).not.toContain(key);
    expect(all).not.toContain('merger');
    expect(all).not.toContain('doc-secret-77');
    expect(all).not.toContain('reading room');
  });

  it('logs errors with their stack and redacts an authorization field passed by mistake', () => {
    const out: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => out.push(l) } });
    new PinoNestLogger(logger).error('boom', new Error('boom').stack, 'ProblemFilter');
    logger.info({ headers: { authorization: 'Bearer k-secret' }, body: { title: TITLE } }, 'oops');
    const [err, oops] = out.map((l) => JSON.parse(l));
    expect(err).toEqual(
      expect.objectContaining({
        level: 'error',
        context: 'ProblemFilter',
        err: expect.objectContaining({ stack: expect.stringContaining('Error: boom') }),
      }),
    );
    expect(oops.headers.authorization).toBe('[redacted]');
    expect(out.join('')).not.toContain('k-secret');
    expect(out.join('')).not.toContain('merger');
  });
});
