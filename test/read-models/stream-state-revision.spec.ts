import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '@app/ledger';
import { LedgerCore, type Principal } from '@app/application';
import {
  evolveStream,
  incidentView,
  initialStateOf,
  itemView,
  parseStream,
  personView,
  placeView,
  type DomainEvent,
} from '@app/custody';
import { ReadModels, openReadModelDb, type Db } from '@app/read-models';

const admin: Principal = { personId: 'p-admin', name: 'admin', roles: ['admin', 'registrar', 'custodian'] };

const person = (personId: string, rank = 'director') => ({
  name: 'RegisterPerson',
  body: { data: { personId, name: personId, rank, clearance: 'SECRET', unit: 'office' } },
});
const item = (itemId: string) => ({
  name: 'RegisterReceivedItem',
  body: {
    data: {
      itemId,
      title: `directive ${itemId}`,
      level: 'SECRET',
      periodYears: 10,
      basis: 'catalogue',
      carrier: 'paper',
      sender: 'bureau',
      receivedBy: 'p-zhang',
      scope: { persons: [] as string[] },
    },
  },
});
const reading = (itemId: string, reader: string) => ({
  name: 'RecordReading',
  body: { data: { itemId, reader, placeId: 'room-1' } },
});
const handOver = (handoverId: string, from: string, to: string, items: string[]) => ({
  name: 'HandOver',
  body: { data: { handoverId, from, to, items, itemized: true, signedByBoth: true } },
});

const views: Record<string, (s: never) => unknown> = {
  item: itemView,
  person: personView,
  place: placeView,
  incident: incidentView,
};

/**
 * The stream-state projection writes a state whose revision alone moved (a reading: `ItemRead` changes nothing but
 * the revision) by patching the stored text's revision instead of printing all its members again, and leaves the
 * view rows but for an item's updated_position. These hold that shortcut to the long way: every row is what
 * JSON.stringify of the stream's fold and its view give, and what a rebuild (each stream folded from scratch) writes.
 */
describe('stream states whose revision alone moved (the batch path of sensor facts)', () => {
  let dir: string;
  let core: LedgerCore;
  const items = Array.from({ length: 12 }, (_, i) => `doc-${i}`);
  const readers = ['p-r0', 'p-r1', 'p-r2'];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-state-revision-'));
    core = await LedgerCore.open({ dataDir: dir, clock: new SystemClock() });
    const check = (results: { ok: boolean; error?: unknown }[]) => {
      const failed = results.find((r) => !r.ok);
      if (failed) throw failed.error instanceof Error ? failed.error : new Error(String(failed.error));
    };
    check(
      await core.executeBatch(
        [
          { name: 'RegisterPlace', body: { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } } },
          ...['p-zhang', 'p-li', ...readers].map((p) => person(p)),
          ...items.map(item),
        ],
        admin,
      ),
    );
    // Readings alone (each item's revision moves, nothing else), then readings around a hand-over and its way back
    // within one batch (the custodian ends where it started: custody_holders must still name p-li), then more.
    check(
      await core.executeBatch(
        [...items, ...items].map((i, k) => reading(i, readers[k % 3])),
        admin,
      ),
    );
    check(
      await core.executeBatch(
        [
          reading('doc-0', 'p-r0'),
          handOver('h-1', 'p-zhang', 'p-li', ['doc-0', 'doc-1']),
          reading('doc-0', 'p-r1'),
          handOver('h-2', 'p-li', 'p-zhang', ['doc-0']),
          reading('doc-0', 'p-r2'),
          reading('doc-1', 'p-r2'),
        ],
        admin,
      ),
    );
    for (let b = 0; b < 3; b++)
      check(
        await core.executeBatch(
          items.map((i) => reading(i, readers[b])),
          admin,
        ),
      );
  });
  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rows = (db: Db, table: string) => db.prepare(`SELECT * FROM "${table}" ORDER BY 1, 2`).all();

  it('writes each stream state as JSON.stringify of its fold, and each item row from its view and last position', async () => {
    const events = await core.store.readAll();
    expect(events.filter((e) => e.type === 'ItemRead' && e.revision > 0).length).toBeGreaterThanOrEqual(60);
    const folds = new Map<string, { state: unknown; revision: number; position: number }>();
    for (const e of events) {
      if (!parseStream(e.streamId)) continue;
      const before = folds.get(e.streamId);
      const state = evolveStream(e.streamId, before ? before.state : initialStateOf(e.streamId), {
        type: e.type,
        data: e.data,
      } as DomainEvent);
      folds.set(e.streamId, { state, revision: e.revision, position: e.position });
    }
    const db = core.readModels.db;
    const states = rows(db, 'stream_states') as { stream_id: string; revision: number; state: string }[];
    expect(states.length).toBe([...folds.keys()].length);
    for (const row of states) {
      const fold = folds.get(row.stream_id)!;
      expect({ id: row.stream_id, revision: row.revision, state: row.state }).toEqual({
        id: row.stream_id,
        revision: fold.revision,
        state: JSON.stringify(fold.state),
      });
    }
    for (const row of rows(db, 'items') as { item_id: string; view: string; updated_position: number }[]) {
      const fold = folds.get(`item-${row.item_id}`)!;
      expect({ id: row.item_id, view: row.view, at: row.updated_position }).toEqual({
        id: row.item_id,
        view: JSON.stringify(itemView(fold.state as never)),
        at: fold.position,
      });
    }
    expect(rows(db, 'custody_holders')).toEqual(
      expect.arrayContaining([
        { person_id: 'p-li', item_id: 'doc-0' },
        { person_id: 'p-li', item_id: 'doc-1' },
      ]),
    );
  });

  it('leaves the rows a rebuild writes', async () => {
    const rebuilt = new ReadModels(core.store, openReadModelDb(path.join(dir, 'rebuilt.sqlite')));
    try {
      await rebuilt.rebuild();
      for (const table of ['stream_states', 'items', 'persons', 'places', 'custody_holders', 'item_access'])
        expect({ table, rows: rows(rebuilt.db, table) }).toEqual({ table, rows: rows(core.readModels.db, table) });
    } finally {
      await rebuilt.close();
    }
  });

  it('has no view that reads the revision (so a state whose revision alone moved keeps its view rows)', async () => {
    const events = await core.store.readAll();
    const folds = new Map<string, unknown>();
    let seen = 0;
    for (const e of events) {
      const parsed = parseStream(e.streamId);
      if (!parsed) continue;
      const state = evolveStream(e.streamId, folds.get(e.streamId) ?? initialStateOf(e.streamId), {
        type: e.type,
        data: e.data,
      } as DomainEvent) as Record<string, unknown>;
      folds.set(e.streamId, state);
      const view = views[parsed.kind];
      if (!view || typeof state.revision !== 'number') continue;
      seen++;
      expect(view({ ...state, revision: state.revision + 7 } as never)).toEqual(view(state as never));
    }
    expect(seen).toBeGreaterThan(50);
  });
});
