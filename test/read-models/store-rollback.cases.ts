/**
 * No silent rollback (contract §4.1), as one set of cases run on both stores (the embedded SQLite store here, the
 * EventStoreDB wire double in test/esdb): the read models applied a longer store; the service is then pointed at a
 * store restored from an older backup (shorter), or one cut back and grown again with other events (rewritten).
 * It must notice, refuse writes and checkpoints, keep the read models as they were, and let an operator accept it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock, type EventStore, type RecordedEvent } from '@app/ledger';
import {
  CheckpointService,
  LedgerCore,
  ROLES,
  ROLLBACK_ACCEPTED,
  ROLLBACK_STREAM,
  StoreRolledBack,
  rebuildReadModels,
} from '@app/application';

const ADMIN = { personId: 'p-registrar', name: 'registrar', roles: [...ROLES] };

const person = (i: number) => ({
  data: { personId: `p-${i}`, name: `person ${i}`, rank: 'staff', clearance: 'SECRET', unit: 'hq' },
});

const readAll = async (store: EventStore): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: out[out.length - 1]?.position, maxCount: 500 });
    out.push(...page);
    if (page.length < 500) return out;
  }
};

/** Copies `events` (already sealed) into `target` as they are, stream by stream with exact revisions: a backup. */
const restore = async (target: EventStore, events: RecordedEvent[]): Promise<void> => {
  for (const e of events) {
    await target.append(
      e.streamId,
      [{ eventId: e.eventId, type: e.type, data: e.data, metadata: e.metadata }],
      e.revision - 1 < 0 ? 'no-stream' : e.revision - 1,
    );
  }
};

export interface StoreKit {
  /** A fresh, empty store (each call another one). */
  fresh(): Promise<EventStore>;
  /** Deletes every event after `position` behind the back of whoever has the store open (where the store allows). */
  cutLive?(store: EventStore, afterPosition: number): Promise<void>;
}

export const storeRollbackCases = (name: string, kit: StoreKit): void => {
  describe(`no silent rollback on ${name}`, () => {
    let dir: string;
    const clock = new ManualClock('2026-06-01T08:00:00Z');
    const open: LedgerCore[] = [];

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-rollback-'));
    });
    afterEach(async () => {
      for (const core of open.splice(0)) await core.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A ledger of 30 persons on a fresh store, read models in `dir`; closed again. Returns its events. */
    const original = async (): Promise<RecordedEvent[]> => {
      const store = await kit.fresh();
      const core = await LedgerCore.open({ dataDir: dir, clock, store });
      for (let i = 0; i < 30; i++) await core.execute('RegisterPerson', person(i), ADMIN);
      await core.readModels.catchUp();
      const events = await readAll(core.store);
      expect(core.readModels.runner.appliedHead).toMatchObject({
        position: events[events.length - 1].position,
        hash: events[events.length - 1].metadata.hash,
      });
      await core.close();
      return events;
    };

    const reopen = async (store: EventStore): Promise<LedgerCore> => {
      const core = await LedgerCore.open({ dataDir: dir, clock, store });
      open.push(core);
      return core;
    };

    it('refuses writes and checkpoints on a store restored from an older backup (shorter), naming both positions', async () => {
      const events = await original();
      const backup = await kit.fresh();
      await restore(backup, events.slice(0, 20));
      const headBefore = await backup.headPosition();
      const core = await reopen(backup);

      const rollback = core.readModels.runner.rollback;
      expect(rollback).toMatchObject({
        reason: 'shorter',
        applied: { position: events[29].position, hash: events[29].metadata.hash, eventId: events[29].eventId },
        storeHead: headBefore,
      });
      expect(rollback!.detail).toContain(String(events[29].position));
      expect(rollback!.detail).toContain(String(headBefore));

      const refused = core.execute('RegisterPerson', person(100), ADMIN);
      await expect(refused).rejects.toBeInstanceOf(StoreRolledBack);
      await expect(refused).rejects.toMatchObject({ code: 'STORE_ROLLED_BACK', status: 503 });
      await expect(CheckpointService.forCore(core, {}).signNow()).rejects.toBeInstanceOf(StoreRolledBack);
      // Nothing was written, and the read models still say what they applied (they are the evidence).
      expect(await backup.headPosition()).toBe(headBefore);
      expect(core.readModels.runner.checkpoint).toBe(events[29].position);
      expect(core.readModels.db.prepare(`SELECT count(*) AS n FROM persons`).get()).toEqual({ n: 30 });
    });

    it('names a store cut back and grown again with other events (rewritten) and refuses to project them', async () => {
      const events = await original();
      const forged = await kit.fresh();
      await restore(forged, events.slice(0, 20));
      // Someone else writes on the cut store until it is longer than before.
      const other = await LedgerCore.open({ dataDir: path.join(dir, 'elsewhere'), clock, store: forged });
      // (Positions are the store's own: on EventStoreDB byte offsets, so grow until the head is past the old one.)
      for (let i = 200; i < 300 && (await forged.headPosition())! <= events[29].position; i++)
        await other.execute('RegisterPerson', person(i), ADMIN);
      await other.readModels.close();
      expect(await forged.headPosition()).toBeGreaterThan(events[29].position);

      const core = await reopen(forged);
      expect(core.readModels.runner.rollback).toMatchObject({
        reason: 'rewritten',
        applied: { position: events[29].position, streamId: events[29].streamId, revision: events[29].revision },
      });
      await expect(core.execute('RegisterPerson', person(300), ADMIN)).rejects.toMatchObject({
        code: 'STORE_ROLLED_BACK',
      });
      // The forged events were never applied on top of the read models.
      expect(core.readModels.runner.checkpoint).toBe(events[29].position);
    });

    // Only where the store lets a test cut it under a running client (an EventStoreDB log is replaced whole, by a restore).
    if (kit.cutLive)
      it('notices a store cut back under a running service on its next catch-up', async () => {
        const store = await kit.fresh();
        const core = await reopen(store);
        for (let i = 0; i < 12; i++) await core.execute('RegisterPerson', person(i), ADMIN);
        await core.readModels.catchUp();
        expect(core.readModels.runner.rollback).toBeNull();
        const events = await readAll(store);
        await kit.cutLive!(store, events[5].position);
        await core.readModels.catchUp();
        expect(core.readModels.runner.rollback).toMatchObject({
          reason: 'shorter',
          applied: { position: events[11].position },
          storeHead: events[5].position,
        });
        await expect(core.execute('RegisterPerson', person(99), ADMIN)).rejects.toMatchObject({
          code: 'STORE_ROLLED_BACK',
        });
        expect(await store.headPosition()).toBe(events[5].position);
      });

    it('rebuild refuses on a rolled-back store; --accept-rollback records the acceptance in the store and serves again', async () => {
      const events = await original();
      const backup = await kit.fresh();
      await restore(backup, events.slice(0, 20));
      const headBefore = await backup.headPosition();
      const core = await reopen(backup);

      await expect(rebuildReadModels(core, { actor: 'operator:test' })).rejects.toBeInstanceOf(StoreRolledBack);
      expect(core.readModels.runner.checkpoint).toBe(events[29].position);

      const outcome = await rebuildReadModels(core, {
        acceptRollback: true,
        actor: 'operator:test',
        note: 'restored the nightly backup after a disk failure',
      });
      expect(outcome.acceptedRollback).toMatchObject({
        reason: 'shorter',
        applied: { position: events[29].position, hash: events[29].metadata.hash },
        storeHead: headBefore,
        acceptedBy: 'operator:test',
        note: 'restored the nightly backup after a disk failure',
      });
      const [recorded] = await backup.readStream(ROLLBACK_STREAM);
      expect(recorded).toMatchObject({
        type: ROLLBACK_ACCEPTED,
        revision: 0,
        eventId: outcome.acceptanceEvent!.eventId,
      });
      expect(recorded.metadata).toMatchObject({ actor: 'operator:test' });
      expect(recorded.metadata.hash).toMatch(/^[0-9a-f]{64}$/);

      expect(core.readModels.runner.rollback).toBeNull();
      expect(core.readModels.runner.appliedHead?.eventId).toBe(recorded.eventId);
      const answer = await core.execute('RegisterPerson', person(500), ADMIN);
      expect(answer.events).toHaveLength(1);
      // A signer signs again, over the restored store and the acceptance.
      const { checkpoint } = await CheckpointService.forCore(core, {}).signNow();
      expect(checkpoint!.treeSize).toBe(20 + 2);
    });
  });
};
