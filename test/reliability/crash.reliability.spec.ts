/**
 * Crash safety of the whole service (issue 7.1): the real service runs in a child process on a real store file and is
 * killed with SIGKILL at random moments while clients drive it with concurrent commands (registrations, receipts,
 * readings out of scope that open incidents, copy requests, approvals and copies, dispatches, receipts). After every
 * kill and restart:
 *   - every command that was answered 2xx is in the store file exactly once (looked up by its commandId);
 *   - a command whose answer was lost in the kill is resent with the same commandId and is recorded at most once;
 *   - re-sending an acknowledged commandId returns the first result and appends nothing;
 *   - positions increase, every stream's revisions are dense, every hash chain verifies;
 *   - the service's read models equal a rebuild from scratch of the same store (every projected table, row by row).
 * At the end the clock moves past 48 h after a final kill: each dispatch without a receipt is flagged
 * RECEIPT_MISSING exactly once, also after another close and reopen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock, SqliteEventStore } from '@app/ledger';
import { LedgerCore, verifyLedgerIntegrity } from '@app/application';
import {
  client,
  compareWithRebuild,
  orderProblems,
  readStoreFile,
  startService,
  storeHead,
  summary,
  tempDir,
  waitIdle,
  type Client,
  type ServiceProcess,
} from './support';
import { itemScript, SETUP, type Acked, type Sent } from './item-script';

const KILLS = Number(process.env.RELIABILITY_KILLS ?? 22);
const WORKERS = 6;
const KEY = 'k-crash-registrar';
const KEYS = { [KEY]: { personId: 'p-reg', roles: ['admin'] } };

describe('the service killed with SIGKILL under concurrent commands', () => {
  let dir: string;
  let service: ServiceProcess | undefined;

  beforeAll(() => {
    dir = tempDir('reliability-crash');
  });
  afterAll(async () => {
    await service?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`loses nothing acknowledged and duplicates nothing over ${KILLS} kills; read models converge; deadlines fire once`, async () => {
    const storeFile = path.join(dir, 'ledger.sqlite');
    const rmFile = path.join(dir, 'read-models.sqlite');
    const acked = new Map<string, Acked>();
    const unexpected: string[] = [];
    const stats = {
      kills: 0,
      commandsSent: 0,
      acked: 0,
      inDoubt: 0,
      inDoubtCommitted: 0,
      inDoubtNotCommitted: 0,
      resentAcked: 0,
      killsWithProjectionBehind: 0,
      killsWithRequestsInFlight: 0,
      lost: 0,
      duplicated: 0,
      readModelRows: 0,
    };

    // Each worker walks through items; `pending` is the command it sent last and has no answer for (in doubt).
    const workers = Array.from({ length: WORKERS }, (_, w) => ({
      w,
      item: 0,
      step: 0,
      script: itemScript(`it-${w}-0`, { copies: true, dispatch: 'acknowledged' }),
      pending: undefined as Sent | undefined,
    }));
    let inFlight = 0;

    const send = async (api: Client, cmd: Sent): Promise<'ok' | 'down'> => {
      stats.commandsSent++;
      inFlight++;
      try {
        const res = await api.post(cmd.name, cmd.body);
        if (res.status === 200) {
          const first = acked.get(cmd.body.commandId);
          if (first && JSON.stringify(first.events) !== JSON.stringify(res.body.events)) {
            unexpected.push(`${cmd.body.commandId}: resent, answered with other events`);
          }
          if (!first) acked.set(cmd.body.commandId, { ...cmd, events: res.body.events });
          return 'ok';
        }
        unexpected.push(`${cmd.name} ${cmd.body.commandId}: ${res.status} ${res.text.slice(0, 300)}`);
        return 'ok';
      } catch {
        return 'down';
      } finally {
        inFlight--;
      }
    };

    const runWorker = async (api: Client, worker: (typeof workers)[number], stop: { stopped: boolean }) => {
      if (worker.pending) {
        // The answer to this command was lost in the kill: resend it, same commandId, same body.
        const cmd = worker.pending;
        const existed = readStoreFile(storeFile).some((e) => e.commandId === cmd.body.commandId);
        if ((await send(api, cmd)) === 'down') return;
        stats.inDoubt++;
        if (existed) stats.inDoubtCommitted++;
        else stats.inDoubtNotCommitted++;
        worker.pending = undefined;
        worker.step++;
      }
      while (!stop.stopped) {
        if (worker.step >= worker.script.length) {
          worker.item++;
          worker.step = 0;
          worker.script = itemScript(`it-${worker.w}-${worker.item}`, {
            copies: true,
            dispatch: worker.item % 2 === 0 ? 'acknowledged' : 'sent',
          });
        }
        const cmd = worker.script[worker.step];
        worker.pending = cmd;
        if ((await send(api, cmd)) === 'down') return;
        worker.pending = undefined;
        worker.step++;
      }
    };

    /** Offline checks on the store file (the service is dead). */
    const checkStore = async (context: string) => {
      const events = readStoreFile(storeFile);
      const byCommand = new Map<string, typeof events>();
      for (const e of events) byCommand.set(e.commandId, [...(byCommand.get(e.commandId) ?? []), e]);
      for (const a of acked.values()) {
        const stored = (byCommand.get(a.body.commandId) ?? []).map(({ type, streamId, revision, position }) => ({
          type,
          streamId,
          revision,
          position,
        }));
        if (stored.length < a.events.length) stats.lost++;
        if (stored.length > a.events.length) stats.duplicated++;
        expect({ context, commandId: a.body.commandId, stored }).toEqual({
          context,
          commandId: a.body.commandId,
          stored: a.events,
        });
      }
      const ids = new Set(events.map((e) => e.eventId));
      expect({ context, duplicateEventIds: events.length - ids.size }).toEqual({ context, duplicateEventIds: 0 });
      expect({ context, order: orderProblems(events) }).toEqual({ context, order: [] });
      const store = SqliteEventStore.open(storeFile);
      try {
        const verified = await verifyLedgerIntegrity(store);
        expect({ context, ok: verified.ok }).toEqual({ context, ok: true });
      } finally {
        await store.close();
      }
      return events.length;
    };

    /** After a restart: resending acknowledged commands appends nothing; the read models equal a rebuild. */
    const checkRestarted = async (api: Client, context: string) => {
      const { head } = await waitIdle(api);
      const sample = [...acked.values()].sort(() => Math.random() - 0.5).slice(0, 8);
      for (const a of sample) {
        const res = await api.post(a.name, a.body);
        stats.resentAcked++;
        expect({
          context,
          commandId: a.body.commandId,
          status: res.status,
          duplicate: res.body?.duplicate,
          events: res.body?.events,
        }).toEqual({ context, commandId: a.body.commandId, status: 200, duplicate: true, events: a.events });
      }
      expect({ context, head: storeHead(storeFile) }).toEqual({ context, head: head ?? 0 });
      const { differences, rows } = await compareWithRebuild(storeFile, rmFile);
      stats.readModelRows = rows;
      expect({ context, differences: differences.slice(0, 5) }).toEqual({ context, differences: [] });
    };

    for (let round = 0; round <= KILLS; round++) {
      // Checkpoints are signed every 250 ms, so kills land in signing as well as in appends and projection batches.
      service = await startService({ dataDir: dir, keys: KEYS, env: { CHECKPOINT_INTERVAL_MS: '250' } });
      const api = client(service.base, KEY);
      const context = `round ${round}`;
      if (round === 0) {
        for (const cmd of SETUP) expect((await api.post(cmd.name, cmd.body)).status).toBe(200);
      } else {
        await checkRestarted(api, context);
      }
      if (round === KILLS) break;

      const stop = { stopped: false };
      const running = workers.map((w) => runWorker(api, w, stop));
      // A third of the kills come almost at once (while in-doubt commands are resent and the projections catch up),
      // the rest after up to 1.5 s of traffic.
      const delay = round % 3 === 0 ? Math.floor(Math.random() * 60) : 150 + Math.floor(Math.random() * 1350);
      await new Promise((r) => setTimeout(r, delay));
      if (inFlight > 0) stats.killsWithRequestsInFlight++;
      await service.kill('SIGKILL');
      stop.stopped = true;
      await Promise.all(running);
      stats.kills++;

      const head = storeHead(storeFile);
      const checkpoint = (() => {
        const db = new Database(rmFile, { readonly: true });
        try {
          return (
            (
              db.prepare(`SELECT position FROM applied_head WHERE name = 'read-models'`).get() as
                { position: number } | undefined
            )?.position ?? 0
          );
        } finally {
          db.close();
        }
      })();
      if (checkpoint < head) stats.killsWithProjectionBehind++;
      await checkStore(`${context}, killed after ${delay} ms`);
    }
    stats.acked = acked.size;
    expect(unexpected).toEqual([]);
    // Every round must have done something, or the kills proved nothing.
    expect(stats.acked).toBeGreaterThan(KILLS * 5);

    // Settle every in-doubt command before the final check, then stop for good.
    await Promise.all(workers.map((w) => runWorker(client(service!.base, KEY), w, { stopped: true })));
    expect(unexpected).toEqual([]);
    await service!.kill('SIGKILL');
    service = undefined;
    await checkStore('after the last kill');

    // Deadlines across a kill: every dispatch without a receipt is flagged once when the clock passes 48 h.
    const events = readStoreFile(storeFile);
    const dispatched = new Set(events.filter((e) => e.type === 'ItemDispatched').map((e) => String(e.data.itemId)));
    const received = new Set(events.filter((e) => e.type === 'ReceiptAcknowledged').map((e) => String(e.data.itemId)));
    const unreceived = [...dispatched].filter((i) => !received.has(i)).sort();
    expect(unreceived.length).toBeGreaterThan(0);
    const clock = new ManualClock(new Date(Date.now() + 49 * 3_600_000));
    let core = await LedgerCore.open({ dataDir: dir, clock });
    const firedFirst = await core.fireDueDeadlines();
    await core.close();
    core = await LedgerCore.open({ dataDir: dir, clock });
    const firedAgain = await core.fireDueDeadlines();
    await core.close();
    const flagged = readStoreFile(storeFile).filter(
      (e) => e.type === 'ViolationDetected' && e.data.code === 'RECEIPT_MISSING',
    );
    const perItem = new Map<string, number>();
    for (const f of flagged) perItem.set(String(f.data.itemId), (perItem.get(String(f.data.itemId)) ?? 0) + 1);
    expect([...perItem.keys()].sort()).toEqual(unreceived);
    expect([...perItem.values()].every((n) => n === 1)).toBe(true);
    expect(firedFirst).toBeGreaterThanOrEqual(unreceived.length);
    const stillDue = await (async () => {
      const c = await LedgerCore.open({ dataDir: dir, clock });
      try {
        return c.readModels.dueDeadlines(clock.now().toISOString()).length;
      } finally {
        await c.close();
      }
    })();
    expect(stillDue).toBe(0);
    const final = await checkStore('after the deadlines fired');
    const { differences } = await compareWithRebuild(storeFile, rmFile);
    expect(differences.slice(0, 5)).toEqual([]);

    const checkpointsSigned = readStoreFile(storeFile).filter((e) => e.type === 'CheckpointSigned').length;
    expect(checkpointsSigned).toBeGreaterThan(0);
    summary('crash', {
      ...stats,
      events: final,
      checkpointsSigned,
      receiptMissingFlagged: flagged.length,
      unreceivedDispatches: unreceived.length,
      firedFirst,
      firedAgain,
    });
  }, 360_000);
});
