import { bootSurfaceApp, client, type SurfaceApp } from '../support/test-app';

interface FeedEvent {
  id: number;
  event: string;
  data: {
    eventId: string;
    type: string;
    streamId: string;
    revision: number;
    position: number;
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  };
}

/** Reads server-sent events from /api/feed until `until` says stop (or the time runs out). */
const readFeed = async (
  base: string,
  opts: {
    key?: string;
    query?: string;
    lastEventId?: string;
    until: (events: FeedEvent[]) => boolean;
    onOpen?: () => Promise<void>;
  },
) => {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 10_000);
  const res = await fetch(`${base}/api/feed${opts.query ?? ''}`, {
    headers: {
      authorization: `Bearer ${opts.key ?? 'k-investigator'}`,
      ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
    },
    signal: ctrl.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: FeedEvent[] = [];
  const comments: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const opened = opts.onOpen?.();
  try {
    while (!opts.until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line);
          const m = /^(id|event|data): (.*)$/.exec(line);
          if (m) fields[m[1]] = m[2];
        }
        if (fields.id) events.push({ id: Number(fields.id), event: fields.event, data: JSON.parse(fields.data) });
      }
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
    await opened;
  }
  return { events, comments };
};

describe('the live feed', () => {
  let s: SurfaceApp;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  beforeAll(async () => {
    s = await bootSurfaceApp({ FEED_HEARTBEAT_MS: '100' });
  });
  afterAll(() => s.close());

  const setUp = async () => {
    const { post } = client(s.base);
    const results = [];
    results.push(
      await post(
        'RegisterPerson',
        { data: { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
        'k-registrar',
      ),
    );
    results.push(
      await post(
        'RegisterPerson',
        { data: { personId: 'p-driver', name: 'Zhao', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' } },
        'k-registrar',
      ),
    );
    results.push(
      await post(
        'RegisterPlace',
        { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } },
        'k-registrar',
      ),
    );
    results.push(
      await post(
        'RegisterReceivedItem',
        {
          data: {
            itemId: 'doc-1',
            title: 'directive No. 7',
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
      ),
    );
    results.push(
      await post('RecordReading', { data: { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' } }, 'k-zhang'),
    );
    for (const r of results) expect(r.status).toBe(200);
    return (await Promise.all(results.map((r) => r.json()))).flatMap(
      (b: { events: { type: string; position: number; streamId: string }[] }) => b.events,
    );
  };

  it('delivers events issued while connected, in order, then resumes exactly after Last-Event-ID', async () => {
    let appended: { type: string; position: number; streamId: string }[] = [];
    const live = await readFeed(s.base, {
      onOpen: async () => {
        await sleep(50);
        appended = await setUp();
      },
      until: (events) => appended.length > 0 && events.length >= appended.length,
    });
    expect(appended.map((e) => e.type)).toEqual(
      expect.arrayContaining(['PersonRegistered', 'ItemReceived', 'ItemRead', 'ViolationDetected', 'IncidentOpened']),
    );
    expect(live.events.map((e) => [e.id, e.event])).toEqual(appended.map((e) => [e.position, e.type]));
    const positions = live.events.map((e) => e.id);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const read = live.events.find((e) => e.event === 'ItemRead')!;
    expect(read.data).toEqual(
      expect.objectContaining({ type: 'ItemRead', streamId: 'item-doc-1', position: read.id, revision: 1 }),
    );
    expect(read.data.metadata).toEqual(expect.objectContaining({ actor: 'p-zhang', hash: expect.any(String) }));

    // Reconnect after the second event: exactly the events after it, nothing before, nothing twice.
    const cut = live.events[1].id;
    const resumed = await readFeed(s.base, {
      lastEventId: String(cut),
      until: (events) => events.length >= live.events.length - 2,
    });
    expect(resumed.events.map((e) => e.id)).toEqual(positions.slice(2));
    const viaQuery = await readFeed(s.base, {
      query: `?after=${cut}`,
      until: (events) => events.length >= live.events.length - 2,
    });
    expect(viaQuery.events.map((e) => e.id)).toEqual(positions.slice(2));
  });

  it('starts a new subscriber at the head, and replays everything after a Last-Event-ID or after=0', async () => {
    const { post } = client(s.base);
    const head = Number(((await (await fetch(`${s.base}/health`)).json()) as { head: number }).head);
    expect(head).toBeGreaterThan(3);
    let appended: { position: number }[] = [];
    const fresh = await readFeed(s.base, {
      onOpen: async () => {
        await sleep(100);
        const r = await post(
          'RegisterPlace',
          { data: { placeId: 'room-head', name: 'room', kind: 'reading-room' } },
          'k-registrar',
        );
        appended = ((await r.json()) as { events: { position: number }[] }).events;
      },
      until: (events) => events.length > 0,
    });
    // Only what was stored after it connected: nothing of the log before.
    expect(fresh.events.map((e) => e.id)).toEqual(appended.map((e) => e.position));
    expect(fresh.events[0].id).toBeGreaterThan(head);
    // A subscriber that names a position still gets every event after it, from the start with after=0.
    const all = await readFeed(s.base, { query: '?after=0', until: (events) => events.length >= head + 1 });
    expect(all.events.map((e) => e.id)).toEqual(Array.from({ length: head + 1 }, (_, i) => i + 1));
    const resumed = await readFeed(s.base, { lastEventId: '2', until: (events) => events.length >= head - 1 });
    expect(resumed.events.map((e) => e.id)).toEqual(Array.from({ length: head - 1 }, (_, i) => i + 3));
  });

  it('filters by stream prefix and by type', async () => {
    const byStream = await readFeed(s.base, {
      query: '?after=0&streams=item-,incident-',
      until: (events) => events.some((e) => e.data.streamId.startsWith('incident-')),
    });
    expect(byStream.events.length).toBeGreaterThan(0);
    expect(
      byStream.events.every((e) => e.data.streamId.startsWith('item-') || e.data.streamId.startsWith('incident-')),
    ).toBe(true);
    const byType = await readFeed(s.base, {
      query: '?after=0&types=ViolationDetected,IncidentOpened',
      until: (events) => events.length >= 2,
    });
    expect(byType.events.map((e) => e.event).sort()).toEqual(['IncidentOpened', 'ViolationDetected']);
  });

  it('sends heartbeats and stops the subscription when the client goes away', async () => {
    const { FeedService } = await import('../../apps/ledger-api/src/feed/feed.service');
    const feed = s.app.get(FeedService);
    let clientsWhileOpen = 0;
    const { comments } = await readFeed(s.base, {
      query: '?types=Nothing',
      onOpen: async () => {
        await sleep(350);
        clientsWhileOpen = feed.clients;
      },
      until: () => clientsWhileOpen > 0,
    });
    expect(clientsWhileOpen).toBe(1);
    expect(comments.some((c) => c.startsWith(': heartbeat'))).toBe(true);
    for (let i = 0; i < 50 && feed.clients > 0; i++) await sleep(20);
    expect(feed.clients).toBe(0);
  });

  it('refuses the feed to roles that may not see titles, and a malformed Last-Event-ID', async () => {
    expect((await fetch(`${s.base}/api/feed`, { headers: { authorization: 'Bearer k-registrar' } })).status).toBe(403);
    const bad = await fetch(`${s.base}/api/feed`, {
      headers: { authorization: 'Bearer k-auditor', 'last-event-id': 'abc' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });
});

describe('the feed under many connections', () => {
  let s: SurfaceApp;
  const open: AbortController[] = [];
  beforeAll(async () => {
    s = await bootSurfaceApp({ FEED_MAX_STREAMS_PER_KEY: '2', FEED_MAX_STREAMS: '3' });
  });
  afterAll(async () => {
    for (const c of open) c.abort();
    await s.close();
  });

  /** Opens a stream and keeps it open; returns its status (and code when refused). */
  const connect = async (key: string) => {
    const ctrl = new AbortController();
    const res = await fetch(`${s.base}/api/feed`, { headers: { authorization: `Bearer ${key}` }, signal: ctrl.signal });
    if (res.status === 200) open.push(ctrl);
    const body = res.status === 200 ? undefined : ((await res.json()) as { code: string });
    return { status: res.status, code: body?.code, retryAfter: res.headers.get('retry-after'), ctrl };
  };

  it('caps open streams per key and in total with 429 TOO_MANY_STREAMS, and frees a place when one closes', async () => {
    const first = await connect('k-auditor');
    expect(first.status).toBe(200);
    expect((await connect('k-auditor')).status).toBe(200);
    const perKey = await connect('k-auditor');
    expect(perKey).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    expect(Number(perKey.retryAfter)).toBeGreaterThan(0);
    expect((await connect('k-investigator')).status).toBe(200);
    expect(await connect('k-responder')).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });

    first.ctrl.abort();
    const deadline = Date.now() + 5000;
    let again = await connect('k-responder');
    while (again.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      again = await connect('k-responder');
    }
    expect(again.status).toBe(200);
  });
});
