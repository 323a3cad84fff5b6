/**
 * Security (issue 7.4): nobody gets in, nobody speaks for someone else, nothing classified leaks into logs or metrics.
 *   - forged `actor` / `principal` fields are refused; the recorded actor is always the key's person;
 *   - an approval by a person without the rank is refused (APPROVER_NOT_AUTHORIZED) and appends nothing;
 *   - keys in query strings are not accepted;
 *   - history, exposure, verify, metrics and the feed are refused (403) to roles without access;
 *   - a classified title never reaches the service's logs (captured from a child process at the most verbose level)
 *     nor /metrics, and neither does an API key.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import {
  client,
  readStoreFile,
  startInProcess,
  startService,
  summary,
  tempDir,
  waitIdle,
  type Client,
  type InProcessService,
} from './support';

const KEYS = {
  'k-admin': { personId: 'p-gm', roles: ['admin'] },
  'k-registrar': { roles: ['registrar'], name: 'registry desk' },
  'k-zhang': { personId: 'p-zhang', roles: ['custodian'] },
  'k-dir': { personId: 'p-dir', roles: ['approver'] },
  'k-staff-approver': { personId: 'p-staff', roles: ['approver'] },
  'k-robot-approver': { roles: ['approver'], name: 'robot' },
  'k-auditor': { roles: ['auditor'], name: 'auditor' },
  'k-responder': { personId: 'p-resp', roles: ['responder'] },
};

const stats = {
  forgedRefused: 0,
  rankRefused: 0,
  queryKeysRefused: 0,
  roleRefused: 0,
  logLinesScanned: 0,
  markerLeaks: 0,
};

describe('nobody gets in, nobody speaks for someone else', () => {
  let svc: InProcessService;
  const as = (key: string): Client => client(svc.base, key);
  const head = async () => (await svc.core.store.headPosition()) ?? 0;

  beforeAll(async () => {
    svc = await startInProcess(KEYS, { prefix: 'reliability-security' });
    const admin = as('k-admin');
    const setup: [string, Record<string, unknown>][] = [
      ['RegisterPerson', { personId: 'p-gm', name: 'GM', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' }],
      ['RegisterPerson', { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPerson', { personId: 'p-dir', name: 'Dir', rank: 'director', clearance: 'TOP_SECRET', unit: 'office' }],
      ['RegisterPerson', { personId: 'p-staff', name: 'Staff', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
      [
        'RegisterReceivedItem',
        {
          itemId: 'doc-ts',
          title: 'merger plan',
          level: 'TOP_SECRET',
          periodYears: 30,
          basis: 'b',
          carrier: 'paper',
          sender: 's',
          receivedBy: 'p-dir',
          scope: { persons: ['p-zhang'] },
          copyAllowed: true,
        },
      ],
      [
        'RegisterReceivedItem',
        {
          itemId: 'doc-c',
          title: 'roster',
          level: 'CONFIDENTIAL',
          periodYears: 5,
          basis: 'b',
          carrier: 'paper',
          sender: 's',
          receivedBy: 'p-zhang',
          scope: { persons: [] },
          copyAllowed: true,
        },
      ],
    ];
    for (const [name, data] of setup) expect((await admin.post(name, { data })).status).toBe(200);
    expect(
      (await as('k-zhang').post('RequestCopy', { data: { itemId: 'doc-ts', requestId: 'r1', copies: 1 } })).status,
    ).toBe(200);
    expect(
      (await as('k-zhang').post('RequestCopy', { data: { itemId: 'doc-c', requestId: 'r1', copies: 1 } })).status,
    ).toBe(200);
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("refuses forged actor / principal fields, in data or in the envelope, and records the key's person", async () => {
    const reading = { itemId: 'doc-ts', reader: 'p-zhang', placeId: 'room-1' };
    const before = await head();
    const forged: [unknown, string][] = [
      [{ data: { ...reading, actor: 'p-gm' } }, 'data.actor'],
      [{ data: { ...reading, principal: { personId: 'p-gm', roles: ['admin'] } } }, 'data.principal'],
      [{ data: reading, actor: 'p-gm' }, 'body.actor'],
      [{ data: reading, principal: 'p-gm' }, 'body.principal'],
      [{ data: reading, metadata: { actor: 'p-gm' } }, 'body.metadata'],
      [{ data: { ...reading, approvedBy: 'p-gm' } }, 'data.approvedBy'],
    ];
    for (const [body, field] of forged) {
      const res = await as('k-zhang').post('RecordReading', body);
      expect({ field, status: res.status, code: res.body.code }).toEqual({
        field,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      stats.forgedRefused++;
    }
    expect(await head()).toBe(before);
    // Headers that claim another identity are ignored: the actor is the key's person.
    const res = await as('k-zhang').post(
      'RecordReading',
      { commandId: 'sec-read-1', data: reading },
      { 'x-actor': 'p-gm', 'x-principal': 'p-gm', 'x-forwarded-user': 'p-gm' },
    );
    expect(res.status).toBe(200);
    const stored = readStoreFile(svc.storeFile).filter((e) => e.commandId === 'sec-read-1');
    expect(stored.length).toBeGreaterThan(0);
    expect(new Set(stored.map((e) => e.actor))).toEqual(new Set(['p-zhang']));
  });

  it('refuses an approval by a person without the rank (APPROVER_NOT_AUTHORIZED) and appends nothing', async () => {
    const attempts: [string, string, Record<string, unknown>][] = [
      ['k-dir', 'ApproveCopy', { itemId: 'doc-ts', requestId: 'r1' }], // TOP_SECRET copies: executive only
      ['k-dir', 'ExtendScope', { itemId: 'doc-ts', persons: ['p-staff'] }], // TOP_SECRET scope: executive only
      ['k-dir', 'ApproveDestruction', { itemId: 'doc-ts' }],
      ['k-staff-approver', 'ApproveCopy', { itemId: 'doc-c', requestId: 'r1' }], // CONFIDENTIAL copies: manager+
      ['k-staff-approver', 'ExtendScope', { itemId: 'doc-c', persons: ['p-dir'] }],
      [
        'k-staff-approver',
        'ApproveLoan',
        { itemId: 'doc-c', loanId: 'l1', borrower: 'p-dir', dueAt: '2026-03-09T17:00:00Z' },
      ],
    ];
    for (const [key, name, data] of attempts) {
      const before = await head();
      const res = await as(key).post(name, { data });
      expect({ key, name, status: res.status, code: res.body.code }).toEqual({
        key,
        name,
        status: 403,
        code: 'APPROVER_NOT_AUTHORIZED',
      });
      expect(res.contentType).toContain('application/problem+json');
      expect({ key, name, head: await head() }).toEqual({ key, name, head: before });
      stats.rankRefused++;
    }
    // doc-c was classified by another organ (received): nobody here may declassify it, whatever their rank
    // (contract §5.1 5, S2 第6篇 不得自行决定) — refused as NOT_ORIGINATOR, and nothing is appended either.
    {
      const before = await head();
      const res = await as('k-staff-approver').post('DeclassifyItem', {
        data: { itemId: 'doc-c', reason: 'no longer sensitive' },
      });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'NOT_ORIGINATOR' });
      expect(await head()).toBe(before);
      stats.rankRefused++;
    }
    // A key without a person cannot approve anything either.
    const before = await head();
    const robot = await as('k-robot-approver').post('ApproveCopy', { data: { itemId: 'doc-c', requestId: 'r1' } });
    expect(robot.status).toBeGreaterThanOrEqual(400);
    expect(robot.status).toBeLessThan(500);
    expect(await head()).toBe(before);
    stats.rankRefused++;
    // The same approval with the rank goes through, and is recorded as the approver's.
    const ok = await as('k-admin').post('ApproveCopy', {
      commandId: 'sec-approve-1',
      data: { itemId: 'doc-ts', requestId: 'r1' },
    });
    expect(ok.status).toBe(200);
    const stored = readStoreFile(svc.storeFile).filter((e) => e.commandId === 'sec-approve-1');
    expect(stored.map((e) => [e.type, e.actor])).toEqual([['CopyApproved', 'p-gm']]);
  });

  it('does not accept keys in query strings or malformed Authorization headers', async () => {
    const anon = client(svc.base);
    const before = await head();
    for (const q of [
      'key=k-admin',
      'access_token=k-admin',
      'api_key=k-admin',
      'apiKey=k-admin',
      'token=k-admin',
      'authorization=Bearer%20k-admin',
      'bearer=k-admin',
    ]) {
      const r1 = await anon.get(`/api/items/doc-ts?${q}`);
      const r2 = await anon.raw(
        'POST',
        `/api/commands/RegisterPlace?${q}`,
        JSON.stringify({ data: { placeId: 'q-room', name: 'x', kind: 'office' } }),
      );
      for (const r of [r1, r2]) {
        expect({ q, status: r.status, code: r.body?.code }).toEqual({ q, status: 401, code: 'UNAUTHENTICATED' });
        stats.queryKeysRefused++;
      }
    }
    for (const header of [
      'k-admin',
      'Basic k-admin',
      'Bearer',
      'Bearer k-admin extra',
      'Bearer  ',
      'Bearer k-admi',
      'Bearer K-ADMIN',
      'Bearer k-admin\u0000',
    ]) {
      const r = await anon
        .raw('GET', '/api/items/doc-ts', undefined, { authorization: header })
        .catch(() => ({ status: 401, body: { code: 'UNAUTHENTICATED' } }));
      expect({ header, status: r.status }).toEqual({ header, status: 401 });
    }
    expect(await head()).toBe(before);
  });

  it('refuses history, exposure, verify, checkpoints, metrics and the feed to roles without access (403)', async () => {
    const refused: [string, string][] = [];
    for (const key of ['k-zhang', 'k-registrar', 'k-staff-approver']) {
      for (const p of [
        '/api/items/doc-ts/history',
        '/api/items/doc-ts/history?asOf=2026-03-02T09:00:00Z&copies=true',
        '/api/items/doc-ts/exposure',
        '/api/ledger/verify',
        '/api/ledger/checkpoints',
        '/metrics',
        '/api/feed',
      ]) {
        const res = await as(key).raw('GET', p, undefined, {}, 10_000);
        if (res.status !== 403) refused.push([key, `${p} → ${res.status}`]);
        else {
          expect(res.body.code).toBe('FORBIDDEN');
          stats.roleRefused++;
        }
      }
    }
    expect(refused).toEqual([]);
    // The roles that do have access get in (so the 403s above are about the role, not a broken route).
    expect((await as('k-auditor').get('/api/items/doc-ts/history')).status).toBe(200);
    expect((await as('k-responder').get('/api/items/doc-ts/history')).status).toBe(200);
  });
});

describe('classified titles and keys never reach logs or metrics', () => {
  it('a child service at the most verbose log level never writes the title marker or a key', async () => {
    const dir = tempDir('reliability-logs');
    const marker = `TITLE-MARKER-${randomUUID()}`;
    const keyMarker = `KEY-MARKER-${randomUUID()}`;
    const keys = { [keyMarker]: { personId: 'p-gm', roles: ['admin'] } };
    const service = await startService({
      dataDir: dir,
      keys,
      env: { LOG_LEVEL: 'trace', CHECKPOINT_INTERVAL_MS: '200' },
    });
    try {
      const api = client(service.base, keyMarker);
      const reg: [string, Record<string, unknown>][] = [
        ['RegisterPerson', { personId: 'p-gm', name: 'GM', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' }],
        ['RegisterPerson', { personId: 'p-out', name: 'Out', rank: 'staff', clearance: 'NONE', unit: 'pool' }],
        ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
        [
          'ProposeClassification',
          {
            itemId: 'doc-m',
            title: `${marker} proposal`,
            level: 'SECRET',
            periodYears: 10,
            basis: 'b',
            carrier: 'paper',
            scope: { persons: [] },
          },
        ],
        [
          'RegisterReceivedItem',
          {
            itemId: 'doc-r',
            title: `${marker} received`,
            level: 'TOP_SECRET',
            periodYears: 10,
            basis: 'b',
            carrier: 'paper',
            sender: 's',
            receivedBy: 'p-gm',
            scope: { persons: [] },
          },
        ],
        ['RecordReading', { itemId: 'doc-r', reader: 'p-out', placeId: 'room-1' }], // a violation and a leak incident about it
        ['DispatchItem', { itemId: 'doc-r', to: 'p-out', channel: 'email', couriers: [] }], // INSECURE_CHANNEL
      ];
      for (const [name, data] of reg)
        expect({ name, status: (await api.post(name, { data })).status }).toEqual({ name, status: 200 });
      // Refusals and errors that carry the marker in what the client sent.
      const bad = [
        await api.post('RegisterReceivedItem', {
          data: { itemId: 'doc-x', title: `${marker}${'x'.repeat(3000)}`, level: 'SECRET' },
        }),
        await api.post('RegisterReceivedItem', {
          data: {
            itemId: 'doc-r',
            title: `${marker} again`,
            level: 'SECRET',
            periodYears: 10,
            basis: 'b',
            carrier: 'paper',
            sender: 's',
            receivedBy: 'p-gm',
            scope: { persons: [] },
          },
        }),
        await api.post('RegisterPlace', { data: { placeId: 'p', name: marker, kind: marker } }),
        await api.post('RegisterPlace', `{"data":{"name":"${marker}"`),
        await api.post(`${marker}`, { data: { title: marker } }),
        await client(service.base, `${keyMarker}-wrong`).get('/api/items/doc-r'),
        await api.post('RecordLoss', {
          data: { itemId: 'doc-r', discoveredBy: 'p-gm', circumstances: `${marker} ${'y'.repeat(300_000)}` },
        }),
      ];
      expect(bad.map((r) => r.status).filter((s) => s < 400 || s >= 500)).toEqual([]);
      // A search for the title is a query like any other (its query string is not logged).
      expect((await api.get(`/api/items?q=${marker}`)).status).toBe(200);
      expect((await api.get('/api/items/doc-r')).body.title).toContain(marker); // the data is there, for those with access
      await waitIdle(api);
      await new Promise((r) => setTimeout(r, 500)); // a checkpoint signing pass or two
      const metrics = await api.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).not.toContain(marker);
      expect(metrics.text).not.toContain(keyMarker);
      await service.kill('SIGTERM');
      const output = service.output();
      stats.logLinesScanned = output.split('\n').length;
      stats.markerLeaks = output.split(marker).length - 1;
      expect(stats.logLinesScanned).toBeGreaterThan(10); // the logs were on: there was something to leak into
      expect(output).not.toContain(marker);
      expect(output).not.toContain(keyMarker);
    } finally {
      await service.kill();
      fs.rmSync(dir, { recursive: true, force: true });
      summary('security', stats);
    }
  }, 90_000);
});
