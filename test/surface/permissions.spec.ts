import { COMMAND_DTOS, PUBLIC_COMMAND_NAMES, COMMAND_ROLES, mayGive, ROLES } from '@app/application';
import { ROUTE_ACCESS, routeAllows } from '../../apps/ledger-api/src/auth/route-access';
import { bootSurfaceApp, client, registeredRoutes, type SurfaceApp } from '../support/test-app';

/** Swagger UI's own static files under /docs/ (public, like the page they belong to). */
const SWAGGER_ASSET = /^GET \/docs\/(|LICENSE|index\.html|(docs\/)?swagger-ui-init\.js)$/;

const PARAMS: Record<string, string> = { id: 'doc-1', eventId: '00000000-0000-0000-0000-000000000000' };
// A parameter is a whole path segment (`/:id`); `commands:batch` is a literal custom-method suffix.
const concrete = (p: string) => p.replace(/\/:([A-Za-z]+)/g, (_m, name: string) => `/${PARAMS[name] ?? 'x'}`);

/** Calls a route; a stream (the feed) is cut as soon as its status is known. */
const call = async (
  base: string,
  method: string,
  path: string,
  key: string | null,
): Promise<{ status: number; code?: string }> => {
  const ctrl = new AbortController();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    body: method === 'POST' ? '{}' : undefined,
    signal: ctrl.signal,
  });
  let code: string | undefined;
  if ((res.headers.get('content-type') ?? '').includes('problem+json'))
    code = ((await res.json()) as { code: string }).code;
  else ctrl.abort();
  return { status: res.status, code };
};

describe('the permission matrix', () => {
  let s: SurfaceApp;
  beforeAll(async () => {
    s = await bootSurfaceApp();
  });
  afterAll(() => s.close());

  it('has exactly one access entry per registered route', async () => {
    // The docs are mounted on their first request (not at start): ask for them, then their routes count too.
    expect((await fetch(`${s.base}/docs/json`)).status).toBe(200);
    const routes = registeredRoutes(s.app).filter((r) => !SWAGGER_ASSET.test(r));
    const table = ROUTE_ACCESS.map((a) => `${a.method} ${a.path}`).sort();
    expect(new Set(table).size).toBe(table.length);
    expect(routes).toEqual(table);
  });

  it('answers every non-public route without a key with 401, and public ones without', async () => {
    for (const a of ROUTE_ACCESS) {
      const { status } = await call(s.base, a.method, concrete(a.path), null);
      const expected = a.roles === 'public' ? status !== 401 && status !== 403 && status < 500 : status === 401;
      expect([a.method, a.path, status, expected]).toEqual([a.method, a.path, status, true]);
    }
  });

  it('gives every role exactly the query routes its entry names (403 FORBIDDEN otherwise)', async () => {
    const rows: string[] = [];
    for (const a of ROUTE_ACCESS.filter((r) => r.roles !== 'per-command')) {
      for (const role of ROLES) {
        const { status, code } = await call(s.base, a.method, concrete(a.path), `k-${role}`);
        const forbidden = status === 403 && code === 'FORBIDDEN';
        const allowed = routeAllows(a, [role]);
        if (forbidden === allowed || status === 401 || status === 429 || status >= 500)
          rows.push(`${a.method} ${a.path} as ${role}: ${status} ${code ?? ''}`);
      }
    }
    expect(rows).toEqual([]);
  });

  it('gives every role exactly the commands COMMAND_ROLES names (403 FORBIDDEN otherwise)', async () => {
    const { post } = client(s.base);
    const rows: string[] = [];
    for (const name of PUBLIC_COMMAND_NAMES) {
      for (const role of ROLES) {
        const res = await post(name, { data: COMMAND_DTOS[name].example }, `k-${role}`);
        const body = await res.json();
        const forbidden = res.status === 403 && body.code === 'FORBIDDEN';
        const allowed = role === 'admin' || COMMAND_ROLES[name].includes(role);
        expect(mayGive([role], name)).toBe(allowed);
        // Allowed: the command ran (2xx) or was refused or rejected for its content (4xx other than FORBIDDEN).
        if (forbidden === allowed || res.status === 401 || body.code === 'VALIDATION_FAILED' || res.status >= 500)
          rows.push(`${name} as ${role}: ${res.status} ${body.code ?? ''}`);
      }
    }
    expect(rows).toEqual([]);
  });

  it('gives investigators and auditors no command at all', () => {
    for (const name of PUBLIC_COMMAND_NAMES) {
      expect(mayGive(['investigator'], name)).toBe(false);
      expect(mayGive(['auditor'], name)).toBe(false);
    }
  });
});

describe('authentication', () => {
  let s: SurfaceApp;
  beforeAll(async () => {
    s = await bootSurfaceApp();
  });
  afterAll(() => s.close());

  it('accepts only a Bearer key in the Authorization header', async () => {
    const { get } = client(s.base);
    expect((await get('/api/items')).status).toBe(200);
    expect((await get('/api/items', null)).status).toBe(401);
    expect((await get('/api/items', 'k-nope')).status).toBe(401);
    for (const q of ['key', 'api_key', 'apiKey', 'access_token', 'token']) {
      const res = await get(`/api/items?${q}=k-admin`, null);
      expect([q, res.status]).toEqual([q, 401]);
    }
    const basic = await fetch(`${s.base}/api/items`, {
      headers: { authorization: `Basic ${Buffer.from('k-admin:').toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    const bad = await get('/api/items', 'k-admin-but-longer');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.headers.get('www-authenticate')).toContain('Bearer');
  });

  it("refuses a forged actor and records the key's own person as the actor", async () => {
    const { post, get } = client(s.base);
    await post(
      'RegisterPerson',
      { data: { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
      'k-registrar',
    );
    await post(
      'RegisterPerson',
      { data: { personId: 'p-gm', name: 'Wang', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' } },
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
          itemId: 'doc-a',
          title: 'directive',
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

    const reading = { itemId: 'doc-a', reader: 'p-zhang', placeId: 'room-1' };
    const inBody = await post('RecordReading', { data: reading, actor: 'p-gm' }, 'k-zhang');
    expect(inBody.status).toBe(400);
    expect((await inBody.json()).errors).toEqual([expect.objectContaining({ field: 'body.actor' })]);
    const inData = await post('RecordReading', { data: { ...reading, actor: 'p-gm' } }, 'k-zhang');
    expect(inData.status).toBe(400);
    expect((await inData.json()).errors).toEqual([expect.objectContaining({ field: 'data.actor' })]);

    const ok = await post('RecordReading', { data: reading }, 'k-zhang');
    expect(ok.status).toBe(200);
    const history = await (await get('/api/items/doc-a/history', 'k-auditor')).json();
    const read = history.events.filter((e: { type: string }) => e.type === 'ItemRead');
    expect(read).toHaveLength(1);
    expect(read[0].actor).toBe('p-zhang');
  });
});

describe('rate limits', () => {
  let s: SurfaceApp;
  beforeAll(async () => {
    s = await bootSurfaceApp({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => s.close());

  it('answers the request over the limit with 429 RATE_LIMITED problem+json, per key, never on /health', async () => {
    const { get } = client(s.base);
    for (let i = 0; i < 3; i++) expect((await get('/api/items', 'k-auditor')).status).toBe(200);
    const limited = await get('/api/items', 'k-auditor');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).code).toBe('RATE_LIMITED');
    expect((await get('/api/items', 'k-investigator')).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await get('/health', null)).status).toBe(200);
    expect((await get('/health/ready', null)).status).toBe(200);
  });

  it('keys the limit on the authenticated principal: another spelling of the header is not a fresh budget', async () => {
    const spelled = (spaces: number) =>
      fetch(`${s.base}/api/items`, { headers: { authorization: `Bearer${' '.repeat(spaces)}k-registrar` } });
    for (let i = 1; i <= 3; i++) expect((await spelled(i)).status).toBe(200);
    for (let i = 4; i <= 10; i++) expect([i, (await spelled(i)).status]).toEqual([i, 429]);
  });
});

describe('failed authentications', () => {
  let s: SurfaceApp;
  beforeAll(async () => {
    s = await bootSurfaceApp({ AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(() => s.close());

  it('are throttled per client address: 429 AUTH_RATE_LIMITED with Retry-After after a few, whatever key comes next', async () => {
    const { get } = client(s.base);
    // Requests without a key guess nothing and do not count.
    for (let i = 0; i < 5; i++) expect((await get('/api/items', null)).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await get('/api/items', `k-guess-${i}`)).status).toBe(401);
    const limited = await get('/api/items', 'k-guess-3');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).code).toBe('AUTH_RATE_LIMITED');
    // A right key from that address is not even compared now: a guesser could not tell a hit by its answer.
    expect((await get('/api/items', 'k-admin')).status).toBe(429);
  });
});

describe('the permission matrix on response fields', () => {
  let s: SurfaceApp;
  let incidentId: string;
  const READERS = ['responder', 'investigator', 'secrecy-officer', 'admin'];
  beforeAll(async () => {
    s = await bootSurfaceApp();
    const { post, get } = client(s.base);
    const setup: [string, Record<string, unknown>][] = [
      ['RegisterPerson', { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPerson', { personId: 'p-out', name: 'Out', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
      [
        'RegisterReceivedItem',
        {
          itemId: 'doc-r',
          title: 'directive',
          level: 'SECRET',
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-zhang',
          scope: { persons: ['p-zhang'] },
        },
      ],
    ];
    for (const [name, data] of setup) expect((await post(name, { data })).status).toBe(200);
    const read = await post(
      'RecordReading',
      { data: { itemId: 'doc-r', reader: 'p-out', placeId: 'room-1' } },
      'k-zhang',
    );
    expect(read.status).toBe(200);
    const incidents = await (await get('/api/incidents')).json();
    incidentId = incidents.items[0].incidentId;
    const draft = await (await get(`/api/incidents/${incidentId}/report-draft?to=bureau`, 'k-responder')).json();
    const submitted = await post('SubmitIncidentReport', { data: draft.submission.data }, 'k-responder');
    expect([submitted.status, await submitted.text()]).toEqual([200, expect.any(String)]);
  });
  afterAll(() => s.close());

  it("shows a submitted report's content only to responder, investigator, secrecy-officer and admin; others its status", async () => {
    const rows: string[] = [];
    for (const role of ROLES) {
      const one = await client(s.base).get(`/api/incidents/${incidentId}`, `k-${role}`);
      const list = await client(s.base).get('/api/incidents', `k-${role}`);
      if (one.status === 403 && list.status === 403) continue;
      const fromList = ((await list.json()).items as { incidentId: string }[]).find(
        (i) => i.incidentId === incidentId,
      ) as Record<string, unknown> | undefined;
      for (const [where, incident] of [
        ['one', (await one.json()) as Record<string, unknown>],
        ['list', fromList],
      ] as const) {
        const sees = incident?.report !== null && typeof incident?.report === 'object';
        const shouldSee = READERS.includes(role);
        if (sees !== shouldSee || incident?.status !== 'reported' || incident?.reported !== true)
          rows.push(`${role} ${where}: report ${sees ? 'shown' : 'withheld'}, status ${String(incident?.status)}`);
      }
    }
    expect(rows).toEqual([]);
  });

  // contract §5.1 point 5: the originator's notice is recorded by the registrar or a secrecy officer.
  it('lets only the registrar and the secrecy officer (and admin) record an originator notice', () => {
    for (const role of ROLES)
      expect([role, mayGive([role], 'RecordOriginatorNotice')]).toEqual([
        role,
        role === 'registrar' || role === 'secrecy-officer' || role === 'admin',
      ]);
  });
});
