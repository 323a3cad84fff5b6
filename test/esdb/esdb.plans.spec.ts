/**
 * Completed commands on EventStoreDB (issue 11): a command that writes several streams is appended stream by stream
 * there. Here the network goes between its first stream and its second (the double drops every connection instead of
 * the second write) and the service is killed with SIGKILL; the command must be finished without its client — by the
 * restarted service at start, or by another instance from its subscription — with nothing written twice.
 */
import { EsdbEventStore } from '@app/ledger/esdb';
import type { RecordedEvent } from '@app/ledger';
import { FakeEsdb } from './fake-esdb';
import { client, sleep, startService, tempDir, type ServiceProcess } from '../reliability/support';

const KEY = 'k-plans-admin-key-0001';
const KEYS = { [KEY]: { personId: 'p-reg', roles: ['admin'] } };

const SETUP: [string, Record<string, unknown>][] = [
  ['RegisterPerson', { personId: 'p-reg', name: 'Registrar', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' }],
  ['RegisterPerson', { personId: 'p-b', name: 'B', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
  ['RegisterPerson', { personId: 'p-out', name: 'Out', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' }],
  ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
];
const item = (itemId: string) => ({
  itemId,
  title: `report ${itemId}`,
  level: 'SECRET',
  periodYears: 10,
  basis: 'catalogue 2.1',
  carrier: 'paper',
  sender: 'bureau',
  receivedBy: 'p-b',
  scope: { persons: ['p-b'] },
  copyAllowed: true,
});

/** Everything the ledger sees in the double's log (plan streams are the adapter's own and stay hidden). */
const ledgerEvents = async (url: string): Promise<RecordedEvent[]> => {
  const store = EsdbEventStore.connect(url);
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
};

const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

describe('a command cut between two streams on EventStoreDB, its service killed', () => {
  let fake: FakeEsdb;
  const services: ServiceProcess[] = [];
  const start = async (dataDir: string) => {
    const svc = await startService({ dataDir, keys: KEYS, env: { EVENTSTORE_URL: fake.url, LOG_LEVEL: 'silent' } });
    services.push(svc);
    return svc;
  };

  beforeEach(async () => {
    fake = new FakeEsdb();
    await fake.start();
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.kill();
    await fake.close();
  });

  /** Sets up the people and the item, then sends the out-of-scope reading and cuts the network before its incident. */
  const cutReading = async (svc: ServiceProcess, itemId: string, commandId: string) => {
    const api = client(svc.base, KEY);
    for (const [name, data] of SETUP) expect((await api.post(name, { data })).status).toBe(200);
    expect((await api.post('RegisterReceivedItem', { data: item(itemId) })).status).toBe(200);
    let cut = false;
    fake.cutBeforeWrite = (stream) => {
      if (cut || !stream.startsWith('incident-')) return false;
      cut = true;
      return true;
    };
    // p-out is outside the item's scope: the reading records a violation on the item and opens an incident.
    const answer = api
      .post('RecordReading', { commandId, data: { itemId, reader: 'p-out', placeId: 'room-1' } })
      .catch(() => undefined);
    await waitUntil('the cut', () => cut);
    fake.cutBeforeWrite = undefined;
    // The node stays off the network until the service is dead, so nothing finishes the command before the kill.
    await fake.stop();
    await svc.kill('SIGKILL');
    await answer;
    await fake.start();
    const before = await ledgerEvents(fake.url);
    expect(before.filter((e) => e.type === 'ViolationDetected')).toHaveLength(1);
    expect(before.filter((e) => e.type === 'IncidentOpened')).toHaveLength(0);
    return api;
  };

  const expectFinishedOnce = async (commandId: string) => {
    const events = (await ledgerEvents(fake.url)).filter((e) => e.metadata.commandId === commandId);
    expect(events.map((e) => e.type).sort()).toEqual(['IncidentOpened', 'ItemRead', 'ViolationDetected'].sort());
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  };

  it('is finished by the restarted service at start, nothing twice, and a retry gets its result', async () => {
    const dir = tempDir('esdb-plans-start');
    const first = await start(dir);
    await cutReading(first, 'doc-cut', 'read-cut-1');
    const again = await start(dir);
    await expectFinishedOnce('read-cut-1');
    const api = client(again.base, KEY);
    const incidents = await api.get('/api/incidents');
    expect(incidents.status).toBe(200);
    expect(JSON.stringify(incidents.body)).toContain('doc-cut');

    const retry = await api.post('RecordReading', {
      commandId: 'read-cut-1',
      data: { itemId: 'doc-cut', reader: 'p-out', placeId: 'room-1' },
    });
    expect(retry.status).toBe(200);
    expect(retry.body.duplicate).toBe(true);
    expect(retry.body.events.map((e: { type: string }) => e.type)).toContain('IncidentOpened');
    await expectFinishedOnce('read-cut-1');
  }, 240_000);

  it('is finished by another running instance from its subscription', async () => {
    const watcher = await start(tempDir('esdb-plans-watcher'));
    const doomed = await start(tempDir('esdb-plans-doomed'));
    await cutReading(doomed, 'doc-cut-2', 'read-cut-2');
    // The watcher lost its connection with the node too; it reconnects, sees the unfinished plan and finishes it.
    await waitUntil('the other instance to finish the command', async () => {
      const events = await ledgerEvents(fake.url);
      return events.some((e) => e.type === 'IncidentOpened' && e.metadata.commandId === 'read-cut-2');
    });
    await expectFinishedOnce('read-cut-2');
    expect((await client(watcher.base, KEY).get('/health')).status).toBe(200);
  }, 240_000);
});
