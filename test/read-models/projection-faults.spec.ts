import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore, sealEvents, GENESIS_HASH } from '@app/ledger';
import { ReadModels, openReadModelDb } from '@app/read-models';

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
});
