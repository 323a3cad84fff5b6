import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, SystemClock } from '@app/ledger';
import { LedgerCore } from '@app/application';
import { ReadModels } from '@app/read-models';
import { storeOfFirstPublicScenario } from '../support/scenario-store';

/** Every table of a read-model file, rows in a stable order (bookkeeping left out). */
const dump = (file: string): Record<string, unknown[]> => {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (
      db
        .prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'applied_head', 'merkle_state', 'merkle_nodes', 'merkle_heads') ORDER BY name`,
        )
        .all() as { name: string }[]
    ).map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]));
  } finally {
    db.close();
  }
};

/**
 * An empty read-model file (new, or dropped for a new schema) over a store of many events is filled at open by the
 * bulk rebuild, which writes a fresh file and renames it into place; under the threshold the live catch-up fills the
 * file it opened. Both leave the same rows.
 */
describe('LedgerCore.open over a store with no read models applied', () => {
  let source: string;

  beforeAll(async () => {
    const { dir, store } = await storeOfFirstPublicScenario('open-fill-');
    await store.close();
    source = dir;
  });
  afterAll(() => fs.rmSync(source, { recursive: true, force: true }));

  /** A data directory with the scenario's store and an empty read-model file; the file's inode before the open. */
  const dataDir = async (): Promise<{ dir: string; file: string; inode: number }> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open-fill-dir-'));
    fs.copyFileSync(path.join(source, 'ledger.sqlite'), path.join(dir, 'ledger.sqlite'));
    const file = path.join(dir, 'read-models.sqlite');
    const core = await LedgerCore.open({ dataDir: dir, clock: new SystemClock(), bulkFillFrom: Infinity });
    await core.close();
    // Emptied again: the file exists, at the current schema, with nothing applied.
    fs.rmSync(file);
    const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
    const empty = ReadModels.open(store, file);
    expect(empty.runner.checkpoint).toBeUndefined();
    await empty.close();
    await store.close();
    return { dir, file, inode: fs.statSync(file).ino };
  };

  it('fills it by the bulk rebuild from the threshold on, with the rows the live catch-up leaves', async () => {
    const live = await dataDir();
    const bulk = await dataDir();
    try {
      const a = await LedgerCore.open({ dataDir: live.dir, clock: new SystemClock(), bulkFillFrom: Infinity });
      const b = await LedgerCore.open({ dataDir: bulk.dir, clock: new SystemClock(), bulkFillFrom: 1 });
      const head = await a.store.headPosition();
      expect(a.readModels.runner.checkpoint).toBe(head);
      expect(b.readModels.runner.checkpoint).toBe(head);
      await a.close();
      await b.close();
      // The live catch-up wrote into the file it opened; the bulk fill renamed a fresh one into place.
      expect(fs.statSync(live.file).ino).toBe(live.inode);
      expect(fs.statSync(bulk.file).ino).not.toBe(bulk.inode);
      const rows = dump(bulk.file);
      expect(rows.stream_states.length).toBeGreaterThan(3);
      expect(rows).toEqual(dump(live.file));
    } finally {
      fs.rmSync(live.dir, { recursive: true, force: true });
      fs.rmSync(bulk.dir, { recursive: true, force: true });
    }
  });

  it('leaves it empty when asked not to catch up (the rebuild command replays the store itself, once)', async () => {
    const d = await dataDir();
    try {
      const core = await LedgerCore.open({
        dataDir: d.dir,
        clock: new SystemClock(),
        catchUpAtOpen: false,
        bulkFillFrom: 1,
      });
      expect(await core.store.headPosition()).toBeGreaterThan(20);
      expect(core.readModels.runner.checkpoint).toBeUndefined();
      await core.close();
      expect(fs.statSync(d.file).ino).toBe(d.inode);
    } finally {
      fs.rmSync(d.dir, { recursive: true, force: true });
    }
  });
});
