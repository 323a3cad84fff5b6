/**
 * Concurrency (issue 7.2): many clients on the same item at once, through the real HTTP server (in process, port 0).
 * No lost update, conflicts retried by the service or answered 409 CONCURRENCY_CONFLICT (and then retried by the
 * client), no duplicate for a commandId sent many times at once, and the global order matches every stream's revisions.
 */
import {
  client,
  orderProblems,
  readStoreFile,
  startInProcess,
  storeHead,
  summary,
  type Client,
  type InProcessService,
} from './support';

const KEYS = {
  'k-admin': { personId: 'p-gm', roles: ['admin'] },
  'k-custodian': { personId: 'p-a', roles: ['custodian'] },
};

describe('many clients on the same item at once', () => {
  let svc: InProcessService;
  let admin: Client;
  let custodian: Client;
  const stats = { commands: 0, conflicts409: 0, clientRetries: 0, otherFailures: 0, lost: 0, duplicated: 0 };

  beforeAll(async () => {
    svc = await startInProcess(KEYS, { prefix: 'reliability-concurrency' });
    admin = client(svc.base, 'k-admin');
    custodian = client(svc.base, 'k-custodian');
    const setup: [string, Record<string, unknown>][] = [
      ['RegisterPerson', { personId: 'p-gm', name: 'GM', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' }],
      ['RegisterPerson', { personId: 'p-a', name: 'A', rank: 'manager', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPerson', { personId: 'p-out', name: 'Out', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
    ];
    for (let i = 0; i < 10; i++)
      setup.push([
        'RegisterPerson',
        { personId: `p-r${i}`, name: `Reader ${i}`, rank: 'director', clearance: 'SECRET', unit: 'office' },
      ]);
    for (const item of ['doc-hot', 'doc-dup', 'doc-mix-0', 'doc-mix-1', 'doc-mix-2']) {
      setup.push([
        'RegisterReceivedItem',
        {
          itemId: item,
          title: `hot ${item}`,
          level: 'SECRET',
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-a',
          scope: { persons: [] },
          copyAllowed: true,
        },
      ]);
    }
    for (const [name, data] of setup) expect((await admin.post(name, { data })).status).toBe(200);
  });

  afterAll(async () => {
    summary('concurrency', stats);
    await svc?.close();
  });

  /** Sends a command; a 409 CONCURRENCY_CONFLICT is retried with the same commandId (what a client is told to do). */
  const sendRetrying = async (api: Client, name: string, body: { commandId: string; data: unknown }) => {
    for (let attempt = 1; ; attempt++) {
      stats.commands++;
      const res = await api.post(name, body);
      if (res.status === 409 && res.body?.code === 'CONCURRENCY_CONFLICT' && attempt < 20) {
        stats.conflicts409++;
        stats.clientRetries++;
        continue;
      }
      if (res.status !== 200) stats.otherFailures++;
      return res;
    }
  };

  it('50 concurrent readings of one item: 50 ItemRead events, each once, revisions dense', async () => {
    const before = readStoreFile(svc.storeFile).filter((e) => e.streamId === 'item-doc-hot').length;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sendRetrying(custodian, 'RecordReading', {
          commandId: `read-hot-${i}`,
          data: { itemId: 'doc-hot', reader: `p-r${i % 10}`, placeId: 'room-1' },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const events = readStoreFile(svc.storeFile);
    const stream = events.filter((e) => e.streamId === 'item-doc-hot');
    const reads = stream.filter((e) => e.type === 'ItemRead');
    expect(reads).toHaveLength(50);
    expect(stream).toHaveLength(before + 50);
    expect(new Set(reads.map((e) => e.commandId)).size).toBe(50);
    expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => i));
    // Each answer names exactly the event that was stored for its command.
    for (let i = 0; i < 50; i++) {
      const stored = reads
        .filter((e) => e.commandId === `read-hot-${i}`)
        .map(({ type, streamId, revision, position }) => ({ type, streamId, revision, position }));
      expect(results[i].body.events).toEqual(stored);
    }
    expect(orderProblems(events)).toEqual([]);
  }, 120_000);

  it('one commandId sent 20 times at once is recorded once, and every 2xx answer names the same events', async () => {
    const body = { commandId: 'read-dup-1', data: { itemId: 'doc-dup', reader: 'p-out', placeId: 'room-1' } };
    const results = await Promise.all(Array.from({ length: 20 }, () => sendRetrying(custodian, 'RecordReading', body)));
    const ok = results.filter((r) => r.status === 200);
    // Nothing but a success (or, at worst, a conflict the client was told to retry) is acceptable.
    expect(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body?.code}`)).toEqual([]);
    const stored = readStoreFile(svc.storeFile).filter((e) => e.commandId === 'read-dup-1');
    // The reading, its violation and the leak incident it opens — once.
    expect(stored.filter((e) => e.type === 'ItemRead')).toHaveLength(1);
    expect(stored.filter((e) => e.type === 'ViolationDetected')).toHaveLength(1);
    expect(stored.filter((e) => e.type === 'IncidentOpened')).toHaveLength(1);
    const refs = stored.map(({ type, streamId, revision, position }) => ({ type, streamId, revision, position }));
    for (const r of ok) expect(r.body.events).toEqual(refs);
    stats.duplicated += stored.filter((e) => e.type === 'ItemRead').length - 1;
  }, 120_000);

  it('a mixed burst on three items (readings, copy requests, scope extensions) keeps the global order consistent', async () => {
    const headBefore = storeHead(svc.storeFile);
    const jobs: Promise<unknown>[] = [];
    const expected = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const item = `doc-mix-${i % 3}`;
      const commandId = `mix-${i}`;
      switch (i % 4) {
        case 0:
        case 1:
          expected.set(commandId, 'ItemRead');
          jobs.push(
            sendRetrying(custodian, 'RecordReading', {
              commandId,
              data: { itemId: item, reader: `p-r${i % 10}`, placeId: 'room-1' },
            }),
          );
          break;
        case 2:
          expected.set(commandId, 'CopyRequested');
          jobs.push(
            sendRetrying(custodian, 'RequestCopy', {
              commandId,
              data: { itemId: item, requestId: `rq-${i}`, copies: 1 },
            }),
          );
          break;
        default:
          expected.set(commandId, 'ScopeExtended');
          jobs.push(
            sendRetrying(admin, 'ExtendScope', {
              commandId,
              data: { itemId: item, persons: [`p-r${i % 10}`, 'p-out'] },
            }),
          );
      }
    }
    const results = (await Promise.all(jobs)) as { status: number }[];
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const events = readStoreFile(svc.storeFile);
    expect(orderProblems(events)).toEqual([]);
    const fresh = events.filter((e) => e.position > headBefore);
    for (const [commandId, type] of expected) {
      const mine = fresh.filter((e) => e.commandId === commandId && e.type === type);
      // ExtendScope may find every person already added by an earlier one: then it appends nothing, once.
      if (type === 'ScopeExtended') expect(mine.length).toBeLessThanOrEqual(1);
      else {
        if (mine.length === 0) stats.lost++;
        expect({ commandId, count: mine.length }).toEqual({ commandId, count: 1 });
      }
    }
  }, 120_000);
});
