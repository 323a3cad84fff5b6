/**
 * Crash safety on EventStoreDB (issue 11): the real service runs in a child process on the EventStoreDB wire double
 * (in this process) and is killed with SIGKILL at random moments while workers drive it with concurrent commands —
 * receipts, readings out of scope (a command that writes the item and opens an incident: two streams, appended one
 * after the other on EventStoreDB), readings in scope, registrations. After every restart the commands whose answer
 * was lost are resent with their commandId. At the end, read straight from the double:
 *   - every command answered 2xx is stored with exactly the events it was answered with (0 lost, 0 duplicated);
 *   - every out-of-scope reading has its incident, also those cut between their two streams by a kill
 *     (the restarted service finished their plans);
 *   - no event id twice, every hash chain verifies.
 */
import { EsdbEventStore } from '@app/ledger/esdb';
import type { RecordedEvent } from '@app/ledger';
import { verifyLedgerIntegrity } from '@app/application';
import { FakeEsdb } from '../esdb/fake-esdb';
import { client, sleep, startService, summary, tempDir, type Client, type ServiceProcess } from './support';
import { itemScript, SETUP, type Acked, type Sent } from './item-script';

const KILLS = Number(process.env.RELIABILITY_ESDB_KILLS ?? 6);
const WORKERS = 4;
const KEY = 'k-esdb-crash-admin-0001';
const KEYS = { [KEY]: { personId: 'p-reg', roles: ['admin'] } };

describe('the service on EventStoreDB killed with SIGKILL under concurrent commands', () => {
  let fake: FakeEsdb;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    fake = new FakeEsdb();
    await fake.start();
  });
  afterAll(async () => {
    await service?.kill();
    await fake.close();
  });

  it(`loses no acknowledged command and duplicates none over ${KILLS} kills; every cut command is finished`, async () => {
    const dir = tempDir('reliability-esdb-crash');
    const start = () =>
      startService({ dataDir: dir, keys: KEYS, env: { EVENTSTORE_URL: fake.url, LOG_LEVEL: 'silent' } });
    const acked = new Map<string, Acked>();
    const unexpected: string[] = [];
    const stats = { kills: 0, commandsSent: 0, acked: 0, inDoubtResent: 0, lost: 0, duplicated: 0, unfinished: 0 };
    const workers = Array.from({ length: WORKERS }, (_, w) => ({
      w,
      item: 0,
      step: 0,
      script: itemScript(`e-${w}-0`),
      pending: undefined as Sent | undefined,
    }));

    const send = async (api: Client, cmd: Sent): Promise<'ok' | 'down'> => {
      stats.commandsSent++;
      try {
        const res = await api.post(cmd.name, cmd.body);
        if (res.status !== 200) {
          unexpected.push(`${cmd.name} ${cmd.body.commandId}: ${res.status} ${res.text.slice(0, 200)}`);
          return 'ok';
        }
        const first = acked.get(cmd.body.commandId);
        if (first && JSON.stringify(first.events) !== JSON.stringify(res.body.events))
          unexpected.push(`${cmd.body.commandId}: resent, answered with other events`);
        if (!first) acked.set(cmd.body.commandId, { ...cmd, events: res.body.events });
        return 'ok';
      } catch {
        return 'down';
      }
    };

    const runWorker = async (api: Client, worker: (typeof workers)[number], stop: { stopped: boolean }) => {
      if (worker.pending) {
        // Its answer was lost in the kill: resend with the same commandId and body.
        if ((await send(api, worker.pending)) === 'down') return;
        stats.inDoubtResent++;
        worker.pending = undefined;
        worker.step++;
      }
      while (!stop.stopped) {
        if (worker.step >= worker.script.length) {
          worker.item++;
          worker.step = 0;
          worker.script = itemScript(`e-${worker.w}-${worker.item}`);
        }
        worker.pending = worker.script[worker.step];
        if ((await send(api, worker.pending)) === 'down') return;
        worker.pending = undefined;
        worker.step++;
      }
    };

    service = await start();
    for (const cmd of SETUP) expect(await send(client(service.base, KEY), cmd)).toBe('ok');
    for (let round = 0; round < KILLS; round++) {
      const api = client(service.base, KEY);
      const stop = { stopped: false };
      const running = workers.map((w) => runWorker(api, w, stop));
      await sleep(1500 + Math.floor(Math.random() * 2000));
      await service.kill('SIGKILL');
      stats.kills++;
      stop.stopped = true;
      await Promise.all(running);
      service = await start();
    }
    // The last start finished every plan the kills cut; the workers' commands still in doubt are resent.
    const api = client(service.base, KEY);
    await Promise.all(workers.map((w) => runWorker(api, w, { stopped: true })));
    await service.kill('SIGTERM');
    service = undefined;

    const store = EsdbEventStore.connect(fake.url);
    try {
      const events = await store.readAll();
      const byCommand = new Map<string, RecordedEvent[]>();
      for (const e of events) {
        const id = String(e.metadata.commandId);
        byCommand.set(id, [...(byCommand.get(id) ?? []), e]);
      }
      for (const a of acked.values()) {
        const stored = (byCommand.get(a.body.commandId) ?? []).map(({ type, streamId, revision, position }) => ({
          type,
          streamId,
          revision,
          position,
        }));
        if (stored.length < a.events.length) stats.lost++;
        if (stored.length > a.events.length) stats.duplicated++;
        expect({ commandId: a.body.commandId, stored }).toEqual({ commandId: a.body.commandId, stored: a.events });
      }
      // Every out-of-scope reading that was stored at all — answered or cut by a kill — has opened its incident.
      for (const [commandId, stored] of byCommand) {
        if (!commandId.endsWith('-read-out-of-scope')) continue;
        if (!stored.some((e) => e.type === 'IncidentOpened')) stats.unfinished++;
        expect({ commandId, types: stored.map((e) => e.type).sort() }).toEqual({
          commandId,
          types: expect.arrayContaining(['IncidentOpened', 'ItemRead', 'ViolationDetected']),
        });
      }
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      expect((await verifyLedgerIntegrity(store)).ok).toBe(true);
    } finally {
      await store.close();
    }
    stats.acked = acked.size;
    summary('esdb-crash', stats);
    expect(unexpected).toEqual([]);
    expect(stats.kills).toBe(KILLS);
  }, 600_000);
});
