import { bootSurfaceApp, client, type JsonResponse, type SurfaceApp } from '../support/test-app';

/** End to end through the real HTTP server and a real SQLite store file. */
describe('the ledger API over HTTP', () => {
  let svc: SurfaceApp;
  let base: string;
  let post: ReturnType<typeof client>['post'];
  let get: ReturnType<typeof client>['get'];

  beforeAll(async () => {
    svc = await bootSurfaceApp();
    base = svc.base;
    ({ post, get } = client(base));
  });

  afterAll(() => svc.close());

  it('answers /health without a key', async () => {
    const res: JsonResponse = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ok');
    // npm ci builds packages/sha256-batch: the service says it hashes through it (the fallback says node:crypto).
    expect(body.hashing).toBe('native');
  });

  it('refuses a command without a key with 401 problem+json', async () => {
    const res = await fetch(`${base}/api/commands/RegisterPlace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('records a registration and returns its events', async () => {
    const res = await post(
      'RegisterPerson',
      { data: { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
      'k-registrar',
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.events).toEqual([
      expect.objectContaining({ type: 'PersonRegistered', streamId: 'person-p-zhang', revision: 0 }),
    ]);
    expect(body.violations).toEqual([]);
  });

  it('answers a malformed field with 400 naming the field', async () => {
    const res = await post('RegisterPerson', {
      data: { personId: 'p-x', name: 'X', rank: 'general', clearance: 'SECRET', unit: 'u' },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'data.rank' })]));
  });

  it('answers an unknown person with a 404 and writes nothing', async () => {
    await post('RegisterPlace', { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } });
    const before = (await (await get('/health')).json()).head;
    const res = await post('RegisterReceivedItem', {
      data: {
        itemId: 'doc-9',
        title: 't',
        level: 'SECRET',
        periodYears: 10,
        basis: 'b',
        carrier: 'paper',
        sender: 's',
        receivedBy: 'p-nobody',
        scope: { persons: [] },
      },
    });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('UNKNOWN_PERSON');
    expect((await (await get('/health')).json()).head).toBe(before);
  });

  it('returns the first result for a retried commandId and appends nothing', async () => {
    const body = { commandId: 'c-retry-1', data: { placeId: 'office-1', name: 'office', kind: 'office' } };
    const first = await (await post('RegisterPlace', body)).json();
    const head = (await (await get('/health')).json()).head;
    const second = await (await post('RegisterPlace', body)).json();
    expect(second.events).toEqual(first.events);
    expect((await (await get('/health')).json()).head).toBe(head);
  });

  it('takes the actor from the key, records a reading out of scope as a fact with its violation', async () => {
    await post('RegisterPerson', {
      data: { personId: 'p-driver', name: 'Zhao', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' },
    });
    await post('RegisterReceivedItem', {
      data: {
        itemId: 'doc-1',
        title: 'directive',
        level: 'SECRET',
        periodYears: 10,
        basis: 'b',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-zhang',
        scope: { persons: [] },
      },
    });
    const res = await post(
      'RecordReading',
      { data: { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' } },
      'k-zhang',
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.violations.map((v: { code: string }) => v.code)).toEqual(['OUT_OF_SCOPE_ACCESS']);
    const item = await (await get('/api/items/doc-1')).json();
    expect(item.custodian).toBe('p-zhang');
    const violations = await (await get('/api/violations?code=OUT_OF_SCOPE_ACCESS')).json();
    expect(violations.items).toHaveLength(1);
    expect(violations.items[0]).toEqual(
      expect.objectContaining({ itemId: 'doc-1', personId: 'p-driver', status: 'open' }),
    );
    const incidents = await (await get('/api/incidents?open=true')).json();
    expect(incidents.items).toEqual([expect.objectContaining({ kind: 'leak', itemIds: ['doc-1'] })]);
    const history = await (await get('/api/items/doc-1/history', 'k-auditor')).json();
    expect(history.events.map((e: { type: string }) => e.type)).toEqual([
      'ItemReceived',
      'ItemRead',
      'ViolationDetected',
    ]);
    expect(history.events[1].actor).toBe('p-zhang');
    expect(history.events.every((e: { verified: boolean }) => e.verified)).toBe(true);
  });

  it('forbids a role that may not give a command with 403', async () => {
    const res = await post('RegisterPlace', { data: { placeId: 'vault-1', name: 'vault', kind: 'vault' } }, 'k-zhang');
    expect(res.status).toBe(403);
  });

  it('answers an unknown command with 404 UNKNOWN_COMMAND', async () => {
    const res = await post('DoSomething', { data: {} });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('UNKNOWN_COMMAND');
  });

  it('verifies the chain through the API', async () => {
    const res = await get('/api/ledger/verify', 'k-auditor');
    expect(res.status).toBe(200);
    expect((await res.json()).ok).toBe(true);
  });

  it('pages incidents and an item history, and answers a bad page parameter with 400 naming it', async () => {
    const all = (await (await get('/api/incidents')).json()).items.map((i: { incidentId: string }) => i.incidentId);
    expect(all.length).toBeGreaterThan(0);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await (await get(`/api/incidents?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).json();
      expect(page.items.length).toBeLessThanOrEqual(1);
      paged.push(...page.items.map((i: { incidentId: string }) => i.incidentId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
    // Violations newest first: the same ones backwards, with the same first-page total.
    const asc = await (await get('/api/violations?limit=1000')).json();
    const desc = await (await get('/api/violations?limit=1000&order=desc')).json();
    expect(asc.items.length).toBeGreaterThan(0);
    expect(desc.items.map((v: { violationId: string }) => v.violationId)).toEqual(
      asc.items.map((v: { violationId: string }) => v.violationId).reverse(),
    );
    expect(desc.total).toBe(asc.total);
    for (const [path, field] of [
      ['/api/violations?order=newest', 'query.order'],
      ['/api/incidents?limit=0', 'query.limit'],
      ['/api/incidents?limit=1001', 'query.limit'],
      ['/api/incidents?cursor=abc', 'query.cursor'],
      ['/api/incidents?kind=theft', 'query.kind'],
      ['/api/incidents?overdue=maybe', 'query.overdue'],
      ['/api/items/doc-1/history?limit=0', 'query.limit'],
      ['/api/items/doc-1/history?limit=5&cursor=-1', 'query.cursor'],
      ['/api/items/doc-1/history?cursor=3', 'query.cursor'],
    ]) {
      const res = await get(path, 'k-investigator');
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect((await res.json()).errors).toEqual([expect.objectContaining({ field })]);
    }
  });
  it('pages the readers of an item, now and at an instant, and answers a bad readers parameter with 400 naming it', async () => {
    const director = (personId: string) =>
      post('RegisterPerson', { data: { personId, name: personId, rank: 'director', clearance: 'SECRET', unit: 'o' } });
    for (const id of ['p-dir-a', 'p-dir-b', 'p-dir-c']) expect((await director(id)).status).toBe(200);
    const receipt = await post('RegisterReceivedItem', {
      data: {
        itemId: 'doc-readers',
        title: 'directive No. 9',
        level: 'SECRET',
        periodYears: 10,
        basis: 'b',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-dir-a',
        scope: { persons: [] },
      },
    });
    expect(receipt.status).toBe(200);
    const instant = svc.clock.now().toISOString();
    svc.clock.advance(60_000);
    expect((await director('p-dir-d')).status).toBe(200);

    const walk = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/api/items/doc-readers/readers?limit=1${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        const page = await res.json();
        expect(page.itemId).toBe('doc-readers');
        expect(page.readers.length).toBeLessThanOrEqual(1);
        ids.push(...page.readers.map((p: { personId: string }) => p.personId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      return { ids, pages };
    };
    const now = await walk('');
    expect(now).toEqual({ ids: ['p-dir-a', 'p-dir-b', 'p-dir-c', 'p-dir-d'], pages: 4 });
    const whole = await (await get('/api/items/doc-readers/readers')).json();
    expect(whole.readers.map((p: { personId: string }) => p.personId)).toEqual(now.ids);
    expect(whole.readers[0]).toEqual(
      expect.objectContaining({ personId: 'p-dir-a', rank: 'director', departed: false }),
    );
    expect(whole.nextCursor).toBeNull();
    // As the ledger knew it before p-dir-d was registered.
    expect((await walk(`&asOf=${instant}`)).ids).toEqual(['p-dir-a', 'p-dir-b', 'p-dir-c']);
    // The history carries the same readers at its instant, and no further page of them.
    const history = await (await get(`/api/items/doc-readers/history?asOf=${instant}`, 'k-auditor')).json();
    expect(history.readers.map((p: { personId: string }) => p.personId)).toEqual(['p-dir-a', 'p-dir-b', 'p-dir-c']);
    expect(history.readersNextCursor).toBeNull();

    expect((await get('/api/items/doc-nope/readers')).status).toBe(404);
    for (const [path, field] of [
      ['/api/items/doc-readers/readers?limit=0', 'query.limit'],
      ['/api/items/doc-readers/readers?limit=1001', 'query.limit'],
      ['/api/items/doc-readers/readers?cursor=%20x', 'query.cursor'],
      ['/api/items/doc-readers/readers?asOf=yesterday', 'query.asOf'],
      ['/api/items/doc-readers/readers?occurredBefore=2026-13-45', 'query.occurredBefore'],
    ]) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect((await res.json()).errors).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('pages what a person may read, the pages being every item the rule admits, and answers a bad access parameter with 400', async () => {
    const register = (personId: string, rank: string, clearance: string) =>
      post('RegisterPerson', { data: { personId, name: personId, rank, clearance, unit: 'o' } });
    expect((await register('p-acc-dir', 'director', 'SECRET')).status).toBe(200);
    expect((await register('p-acc-mgr', 'manager', 'CONFIDENTIAL')).status).toBe(200);
    const receive = (itemId: string, level: string, scope: Record<string, unknown>) =>
      post('RegisterReceivedItem', {
        data: {
          itemId,
          title: `directive ${itemId}`,
          level,
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-acc-dir',
          scope,
        },
      });
    // SECRET with the default scope (directors and above), CONFIDENTIAL (managers and above), TOP_SECRET (executives),
    // SECRET naming the manager (whose clearance is too low for it), CONFIDENTIAL for staff only.
    for (const [id, level, scope] of [
      ['doc-acc-1', 'SECRET', { persons: [] }],
      ['doc-acc-2', 'CONFIDENTIAL', { persons: [] }],
      ['doc-acc-3', 'TOP_SECRET', { persons: [] }],
      ['doc-acc-4', 'SECRET', { persons: ['p-acc-mgr'] }],
      ['doc-acc-5', 'CONFIDENTIAL', { persons: [], ranks: ['staff'] }],
      ['doc-acc-6', 'CONFIDENTIAL', { persons: ['p-acc-mgr'], ranks: ['staff'] }],
    ] as const)
      expect((await receive(id, level, scope)).status).toBe(200);

    const walk = async (personId: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/api/persons/${personId}/access?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        const page = await res.json();
        expect(page.personId).toBe(personId);
        expect(page.items.length).toBeLessThanOrEqual(1);
        ids.push(...page.items.map((i: { itemId: string }) => i.itemId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      return { ids: ids.filter((id) => id.startsWith('doc-acc-')), all: ids, pages };
    };
    const dir = await walk('p-acc-dir');
    expect(dir.ids).toEqual(['doc-acc-1', 'doc-acc-2', 'doc-acc-4']);
    // A page of one each, the last one saying there is no more (the page reads one beyond its limit).
    expect(dir.pages).toBe(dir.all.length);
    expect((await walk('p-acc-mgr')).ids).toEqual(['doc-acc-2', 'doc-acc-6']);
    // One page of everything: the same items, whole views, and no further page.
    const whole = await (await get('/api/persons/p-acc-dir/access')).json();
    expect(whole.items.map((i: { itemId: string }) => i.itemId)).toEqual(dir.all);
    expect(whole.items).toContainEqual(expect.objectContaining({ itemId: 'doc-acc-4', level: 'SECRET' }));
    expect(whole.nextCursor).toBeNull();
    // A cursor past the last item is an empty last page.
    expect(await (await get('/api/persons/p-acc-dir/access?cursor=zzz')).json()).toEqual({
      personId: 'p-acc-dir',
      items: [],
      nextCursor: null,
    });

    expect((await get('/api/persons/p-nope/access')).status).toBe(404);
    for (const [path, field] of [
      ['/api/persons/p-acc-dir/access?limit=0', 'query.limit'],
      ['/api/persons/p-acc-dir/access?limit=1001', 'query.limit'],
      ['/api/persons/p-acc-dir/access?cursor=%20x', 'query.cursor'],
      ['/api/persons/p-acc-dir/access?offset=3', 'query.offset'],
    ]) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect((await res.json()).errors).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('answers the same pages afresh after every write and as time passes (violations and incidents are kept per read-model version)', async () => {
    const open = async () => ({
      violations: await (await get('/api/violations?status=open&limit=50')).json(),
      incidents: await (await get('/api/incidents?open=true&limit=50')).json(),
    });
    const first = await open();
    // Asked again with nothing written: the same answer, but the incidents' clock moves on.
    svc.clock.advance(90_000);
    const again = await open();
    expect(again.violations).toEqual(first.violations);
    expect(again.incidents.now).not.toBe(first.incidents.now);
    expect(Date.parse(again.incidents.now) - Date.parse(first.incidents.now)).toBe(90_000);
    for (const [i, inc] of (again.incidents.items as { reportTimeLeftMs: number | null }[]).entries())
      if (inc.reportTimeLeftMs !== null)
        expect(inc.reportTimeLeftMs).toBe(first.incidents.items[i].reportTimeLeftMs - 90_000);
    // A new reading out of scope: a violation and an incident more, on the very next ask.
    expect(
      (await post('RecordReading', { data: { itemId: 'doc-acc-1', reader: 'p-driver', placeId: 'room-1' } })).status,
    ).toBe(200);
    const after = await open();
    expect(after.violations.total).toBe(first.violations.total + 1);
    expect(after.violations.items).toContainEqual(
      expect.objectContaining({ itemId: 'doc-acc-1', personId: 'p-driver', code: 'OUT_OF_SCOPE_ACCESS' }),
    );
    expect(after.incidents.items.length).toBe(first.incidents.items.length + 1);
    // In another language the same page has other words, not the first language's kept text.
    const zh = await (await get('/api/violations?status=open&limit=50&lang=zh-CN')).json();
    const en = await (await get('/api/violations?status=open&limit=50&lang=en')).json();
    expect(zh.items.map((v: { violationId: string }) => v.violationId)).toEqual(
      en.items.map((v: { violationId: string }) => v.violationId),
    );
    expect(zh.items[0].title).not.toBe(en.items[0].title);
  });
});
