import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqliteEventStore, type EventStore, type ReadAllOptions } from '@app/ledger';
import {
  DEFAULT_PROJECTIONS,
  MerkleIndex,
  ProjectionRunner,
  READ_MODEL_SCHEMA_VERSION,
  ReadModels,
  openReadModelDb,
  type Db,
  type Projection,
} from '@app/read-models';
import { storeOfFirstPublicScenario } from '../support/scenario-store';

/** Every projected table, rows in a stable order (bookkeeping and the Merkle index's own cache left out). */
const dump = (db: Db): Record<string, unknown[]> => {
  const tables = (
    db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'checkpoints', 'applied_head', 'sqlite_sequence', 'merkle_nodes', 'merkle_heads', 'merkle_state') ORDER BY name`,
      )
      .all() as { name: string }[]
  ).map((t) => t.name);
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]));
};

/**
 * `rebuild` writes a fresh file beside the live one (pages of the store, a transaction each, no journal, indexes at
 * the end) and renames it into place: the rows are those the live projections build event by event, the live file
 * serves until the rename, and a failed rebuild leaves it as it was.
 */
describe('rebuilding the read models into a fresh file', () => {
  let dir: string;
  let store: SqliteEventStore;
  let events: number;

  beforeAll(async () => {
    ({ dir, store } = await storeOfFirstPublicScenario('rebuild-file-'));
    events = (await store.readAll()).length;
    expect(events).toBeGreaterThan(20);
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The store without its lookup by id, as EventStoreDB is (the same data directory switched over, say). */
  const withoutLookup = (): EventStore => Object.create(store, { positionOf: { value: undefined } }) as EventStore;

  it('one batch with each stream written once leaves the rows event-by-event application leaves', async () => {
    const perEvent = openReadModelDb(':memory:');
    const batched = openReadModelDb(':memory:');
    const all = await store.readAll();
    for (const e of all) for (const p of DEFAULT_PROJECTIONS) p.apply(perEvent, e);
    new ProjectionRunner(store, batched, DEFAULT_PROJECTIONS).commit(all);
    expect(dump(batched)).toEqual(dump(perEvent));
    expect(dump(batched).stream_states.length).toBeGreaterThan(3);
    expect(dump(batched).deadlines.length).toBeGreaterThan(0);
  });

  it('renames the rebuilt file into place: same answers, checkpoint at the head, no leftovers', async () => {
    const file = path.join(dir, 'live.sqlite');
    const rm = ReadModels.open(store, file);
    rm.start();
    await rm.catchUp();
    const before = dump(rm.db);
    const items = rm.custody.items({});
    const root = rm.merkle.root();
    const progress: number[] = [];
    // Small pages, so the rebuild takes several transactions.
    await rm.rebuild((p) => progress.push(p), { pageSize: 7 });
    expect(dump(rm.db)).toEqual(before);
    expect(rm.custody.items({})).toEqual(items);
    expect(rm.merkle.root()).toBe(root);
    expect(rm.runner.checkpoint).toBe(await store.headPosition());
    expect(progress.length).toBeGreaterThan(2);
    expect(progress[progress.length - 1]).toBe(await store.headPosition());
    expect(fs.readdirSync(dir).filter((f) => f.includes('rebuilding'))).toEqual([]);
    expect(rm.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(rm.db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get()).toEqual({
      value: String(READ_MODEL_SCHEMA_VERSION),
    });
    // The indexes the queries read by were made at the end.
    const indexes = (
      rm.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(indexes).toEqual(expect.arrayContaining(['items_custodian', 'violations_status_position', 'deadlines_due']));
    await rm.close();
  });

  it('persists the Merkle state it built from the pages exactly as a sync from the rows would', async () => {
    const file = path.join(dir, 'merkle.sqlite');
    const rm = ReadModels.open(store, file);
    await rm.rebuild(undefined, { pageSize: 6 });
    const state = (d: Db) =>
      ['merkle_state', 'merkle_nodes', 'merkle_heads'].map((t) => d.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
    const rebuilt = state(rm.db);
    expect((rebuilt[0][0] as { size: number }).size).toBe(events);
    await rm.close();
    // The same rows, the persisted state dropped: the index recomputes it from merkle_leaves alone.
    const db = new Database(file);
    db.exec(`DELETE FROM merkle_state; DELETE FROM merkle_nodes; DELETE FROM merkle_heads`);
    new MerkleIndex(db).sync();
    expect(state(db)).toEqual(rebuilt);
    db.close();
  });

  it('the Merkle half on a second thread leaves the rows and failures one thread leaves, an unsealed event included', async () => {
    const all = await store.readAll();
    const unsealed = all[Math.floor(all.length / 2)].position;
    // The store as read: one event's hash gone (never sealed), which the merkle-leaves projection refuses.
    const damaged: EventStore = Object.create(store, {
      readAll: {
        value: async (options?: ReadAllOptions) =>
          (await store.readAll(options)).map((e) =>
            e.position === unsealed ? { ...e, metadata: { ...e.metadata, hash: undefined } } : e,
          ),
      },
    }) as EventStore;
    const rebuilt = async (merkleWorker: boolean) => {
      const rm = ReadModels.open(damaged, path.join(dir, `split-${merkleWorker}.sqlite`));
      await rm.rebuild(undefined, { pageSize: 6, merkleWorker });
      const state = ['merkle_state', 'merkle_nodes', 'merkle_heads'].map((t) =>
        rm.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all(),
      );
      const out = { rows: dump(rm.db), state, failures: [...rm.runner.failures], root: rm.merkle.root() };
      await rm.close();
      return out;
    };
    const split = await rebuilt(true);
    const one = await rebuilt(false);
    expect(split).toEqual(one);
    expect(one.failures).toEqual([expect.objectContaining({ projection: 'merkle-leaves-v1', position: unsealed })]);
    expect(one.rows.merkle_leaves.length).toBe(all.length - 1);
    expect((one.state[0][0] as { size: number }).size).toBe(all.length - 1);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.merkle'))).toEqual([]);
  });

  it('sessions carried across pages (rows written once, or when too many are held) leave the rows page by page leaves', async () => {
    const rebuilt = async (name: string, options: { carry: boolean; maxCarried?: number }) => {
      const rm = ReadModels.open(store, path.join(dir, `carry-${name}.sqlite`));
      await rm.rebuild(undefined, { pageSize: 5, ...options });
      const out = { rows: dump(rm.db), root: rm.merkle.root(), failures: [...rm.runner.failures] };
      expect(rm.runner.checkpoint).toBe(await store.headPosition());
      await rm.close();
      return out;
    };
    const pageByPage = await rebuilt('no', { carry: false });
    expect(await rebuilt('yes', { carry: true })).toEqual(pageByPage);
    // A cap of 2 streams: the carried rows are written every page or two, mid-rebuild.
    expect(await rebuilt('capped', { carry: true, maxCarried: 2 })).toEqual(pageByPage);
    expect(pageByPage.rows.stream_states.length).toBeGreaterThan(3);
  });

  it('a rebuild that fails half way leaves the live file serving as it was', async () => {
    const file = path.join(dir, 'failing.sqlite');
    let pages = 0;
    // The store fails on the third page read of the rebuild.
    const failing: EventStore = Object.create(store, {
      readAll: {
        value: (options?: ReadAllOptions) => {
          if (options?.maxCount === 5 && ++pages === 3) return Promise.reject(new Error('store went away'));
          return store.readAll(options);
        },
      },
    }) as EventStore;
    const rm = ReadModels.open(failing, file);
    rm.start();
    await rm.catchUp();
    const before = dump(rm.db);
    await expect(rm.rebuild(undefined, { pageSize: 5 })).rejects.toThrow('store went away');
    expect(dump(rm.db)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.includes('rebuilding'))).toEqual([]);
    // And it keeps following the store.
    await rm.catchUp();
    expect(rm.runner.checkpoint).toBe(await store.headPosition());
    await rm.close();
  });

  it('a projection that throws on one event in a rebuild is recorded and skipped, its own table kept', async () => {
    const file = path.join(dir, 'faulty.sqlite');
    const seen: Projection = {
      name: 'seen',
      apply: (d, e) => void d.prepare(`INSERT OR IGNORE INTO seen VALUES (?)`).run(e.position),
    };
    const faulty: Projection = {
      name: 'faulty',
      apply: (_d, e) => {
        if (e.position % 7 === 3) throw new Error(`cannot project ${e.position}`);
      },
    };
    const rm = ReadModels.open(store, file, [seen, faulty]);
    rm.db.exec(`CREATE TABLE seen (position INTEGER PRIMARY KEY); CREATE INDEX seen_desc ON seen (position DESC)`);
    await rm.rebuild(undefined, { pageSize: 9 });
    const thrown = (await store.readAll()).filter((e) => e.position % 7 === 3);
    expect(thrown.length).toBeGreaterThan(0);
    expect(rm.runner.failures.map((f) => f.position)).toEqual(thrown.map((e) => e.position));
    expect((rm.db.prepare(`SELECT COUNT(*) AS n FROM seen`).get() as { n: number }).n).toBe(events);
    expect(rm.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'seen_desc'`).get()).toEqual({
      name: 'seen_desc',
    });
    expect(rm.custody.persons().length).toBeGreaterThan(0);
    await rm.close();
  });

  it('a file of schema 6 (the checkpoint in a table of its own too) resumes at its applied head, that table gone', async () => {
    const file = path.join(dir, 'v6.sqlite');
    const first = ReadModels.open(store, file);
    first.start();
    await first.catchUp();
    await first.close();
    const head = (await store.headPosition())!;
    const old = new Database(file);
    old.exec(`CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO checkpoints VALUES ('read-models', ${head});`);
    old.close();
    const rm = ReadModels.open(store, file);
    expect(rm.runner.checkpoint).toBe(head);
    expect(rm.runner.appliedHead?.position).toBe(head);
    expect(rm.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'checkpoints'`).get()).toBeUndefined();
    await rm.close();
  });

  it('a file of schema 5 (leaves with their hash as hex, the leaf and the event id) is dropped at open and replayed', async () => {
    const file = path.join(dir, 'v5.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema', '5');
      CREATE TABLE merkle_leaves (idx INTEGER PRIMARY KEY, position INTEGER NOT NULL, event_id TEXT NOT NULL,
        stream_id TEXT NOT NULL, event_hash TEXT NOT NULL, leaf BLOB NOT NULL);
      CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO checkpoints VALUES ('read-models', 999999);`);
    old.close();
    const rm = ReadModels.open(store, file);
    expect(rm.runner.checkpoint).toBeUndefined();
    rm.start();
    await rm.catchUp();
    const all = await store.readAll();
    expect(rm.merkle.size).toBe(all.length);
    expect(rm.merkle.leafOf(all[3].eventId)?.leafIndex).toBe(3);
    await rm.close();
  });

  it('a file of schema 9 (every event id again in merkle_events) is dropped at open and replayed without it', async () => {
    const file = path.join(dir, 'v9.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema', '9');
      CREATE TABLE merkle_leaves (
        idx INTEGER PRIMARY KEY, position INTEGER NOT NULL, stream_no INTEGER NOT NULL, event_hash BLOB NOT NULL);
      CREATE TABLE merkle_events (event_id BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO merkle_events VALUES (x'00', 0);
      CREATE TABLE applied_head (name TEXT PRIMARY KEY, position INTEGER NOT NULL, event_id TEXT NOT NULL,
        stream_id TEXT NOT NULL, revision INTEGER NOT NULL, hash TEXT NOT NULL);
      INSERT INTO applied_head VALUES ('read-models', 999999, 'e', 's', 0, 'h');`);
    old.close();
    const rm = ReadModels.open(store, file);
    expect(rm.runner.checkpoint).toBeUndefined();
    rm.start();
    await rm.catchUp();
    const all = await store.readAll();
    expect(rm.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'merkle_events'`).get()).toBeUndefined();
    // Every event's leaf found by its id, through the store's own index by id.
    expect(all.map((e) => rm.merkle.leafOf(e.eventId))).toEqual(
      all.map((e, i) => ({ ...rm.merkle.leafAt(i), eventId: e.eventId })),
    );
    expect(rm.merkle.leafOf(all[3].eventId)?.position).toBe(all[3].position);
    await rm.close();
  });

  it('a rebuild over the embedded store, on one thread or two, keeps no merkle_events and finds every leaf by id', async () => {
    const all = await store.readAll();
    for (const merkleWorker of [true, false]) {
      const file = path.join(dir, `by-store-${merkleWorker}.sqlite`);
      // The live file kept its ids (made over a store without the lookup): the rebuilt one does not.
      const kept = ReadModels.open(withoutLookup(), file);
      kept.start();
      await kept.catchUp();
      await kept.close();
      const rm = ReadModels.open(store, file);
      expect(rm.merkle.leafOf(all[2].eventId)?.leafIndex).toBe(2);
      expect(rm.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'merkle_events'`).get()).toEqual({
        name: 'merkle_events',
      });
      await rm.rebuild(undefined, { pageSize: 6, merkleWorker });
      expect(rm.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'merkle_events'`).get()).toBeUndefined();
      expect(all.map((e) => rm.merkle.leafOf(e.eventId)?.leafIndex)).toEqual(all.map((_e, i) => i));
      await rm.close();
    }
  });

  it('a file that found its events through the store, opened over a store without that lookup, is replayed with its ids', async () => {
    const file = path.join(dir, 'switched.sqlite');
    const first = ReadModels.open(store, file);
    first.start();
    await first.catchUp();
    await first.close();
    const rm = ReadModels.open(withoutLookup(), file);
    expect(rm.runner.checkpoint).toBeUndefined();
    rm.start();
    await rm.catchUp();
    const all = await store.readAll();
    expect((rm.db.prepare(`SELECT COUNT(*) AS n FROM merkle_events`).get() as { n: number }).n).toBe(all.length);
    expect(all.map((e) => rm.merkle.leafOf(e.eventId)?.leafIndex)).toEqual(all.map((_e, i) => i));
    await rm.close();
  });

  it('a file of an older schema (with the command log) is dropped at open and replayed', async () => {
    const file = path.join(dir, 'old.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema', '3');
      CREATE TABLE command_events (command_id TEXT, position INTEGER, data TEXT);
      CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO checkpoints VALUES ('read-models', 999999);`);
    old.close();
    const rm = ReadModels.open(store, file);
    expect(rm.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'command_events'`).get()).toBeUndefined();
    expect(rm.runner.checkpoint).toBeUndefined();
    rm.start();
    await rm.catchUp();
    expect(rm.runner.checkpoint).toBe(await store.headPosition());
    await rm.close();
  });
});
