import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore, sealEvents, GENESIS_HASH } from '@app/ledger';
import { DEFAULT_PROJECTIONS, ReadModels, openReadModelDb, type Projection } from '@app/read-models';

/** The read-model file cannot be written for a while (disk full, read-only): the runner holds the batch and retries. */
describe('read models whose file cannot be written for a while', () => {
  let dir: string;
  let store: SqliteEventStore;
  let readModels: ReadModels;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rm-faults-'));
    store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
    readModels = new ReadModels(store, openReadModelDb(path.join(dir, 'read-models.sqlite')));
  });
  afterEach(async () => {
    await readModels.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const registerPlace = async (placeId: string, revision = -1) => {
    const [sealed] = sealEvents(`place-${placeId}`, revision, GENESIS_HASH, [
      {
        eventId: randomUUID(),
        type: 'PlaceRegistered',
        data: { placeId, name: placeId, kind: 'office', at: '2026-03-02T09:00:00.000Z' },
        metadata: { occurredAt: '2026-03-02T09:00:00.000Z' },
      },
    ]);
    return store.append(`place-${placeId}`, [sealed], 'no-stream');
  };

  it('keeps the checkpoint where it was, retries, and applies everything once the file is writable again', async () => {
    readModels.start();
    await registerPlace('room-1');
    await readModels.catchUp();
    const before = readModels.runner.checkpoint;

    readModels.db.pragma('query_only = 1'); // every write now fails with SQLITE_READONLY
    const appended = await registerPlace('room-2');
    await new Promise((r) => setTimeout(r, 400));
    expect(readModels.runner.storageFailures).toBeGreaterThan(0);
    expect(readModels.runner.checkpoint).toBe(before); // nothing skipped past
    expect(readModels.custody.place('room-2')).toBeNull();

    readModels.db.pragma('query_only = 0');
    await readModels.runner.waitFor(appended.position);
    expect(readModels.custody.place('room-2')).toEqual(expect.objectContaining({ placeId: 'room-2', kind: 'office' }));
    expect(readModels.runner.failures).toEqual([]); // a storage failure is not a projection bug
  });

  it('records a projection that throws on one event and skips only its rows for that event, in a batch of many', async () => {
    await readModels.close();
    const db = openReadModelDb(path.join(dir, 'isolated.sqlite'));
    db.exec(`CREATE TABLE seen (position INTEGER PRIMARY KEY); CREATE TABLE half (position INTEGER PRIMARY KEY)`);
    const writer: Projection = {
      name: 'writer',
      apply: (d, e) => void d.prepare(`INSERT OR IGNORE INTO seen VALUES (?)`).run(e.position),
    };
    // Writes a row, then throws on room-13: its row for that event must not survive, the others must.
    const faulty: Projection = {
      name: 'faulty',
      apply: (d, e) => {
        d.prepare(`INSERT OR IGNORE INTO half VALUES (?)`).run(e.position);
        if ((e.data as { placeId?: string }).placeId === 'room-13') throw new Error('cannot project room-13');
      },
    };
    for (let i = 0; i < 30; i++) await registerPlace(`room-${i}`);
    readModels = new ReadModels(store, db, [...DEFAULT_PROJECTIONS, writer, faulty]);
    readModels.start();
    await readModels.catchUp();
    const failures = readModels.runner.failures;
    expect(failures.map((f) => [f.projection, f.message])).toEqual([['faulty', 'cannot project room-13']]);
    const bad = failures[0].position;
    const positions = (t: string) =>
      (db.prepare(`SELECT position FROM ${t} ORDER BY 1`).all() as { position: number }[]).map((r) => r.position);
    expect(positions('seen')).toHaveLength(30);
    expect(positions('half')).toEqual(positions('seen').filter((p) => p !== bad));
    expect(readModels.custody.place('room-13')).not.toBeNull();
    expect(readModels.runner.checkpoint).toBe(await store.headPosition());
  });
});
