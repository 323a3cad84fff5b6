import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore } from '@app/ledger';
import { DEFAULT_PROJECTIONS, ReadModels, openReadModelDb, type Db } from '@app/read-models';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

/** Every projected table, rows in a stable order, the checkpoint and schema rows left out. */
const dump = (db: Db): Record<string, unknown[]> => {
  const tables = (
    db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'checkpoints', 'sqlite_sequence') ORDER BY name`,
      )
      .all() as { name: string }[]
  ).map((t) => t.name);
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]));
};

describe('the read models', () => {
  const dirs: string[] = [];
  const scenarioDir = path.join(__dirname, '..', 'scenarios', 'public');
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  for (const file of fs.readdirSync(scenarioDir).filter((f) => f.endsWith('.json'))) {
    describe(`after ${file}`, () => {
      let dir: string;
      beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rm-spec-'));
        dirs.push(dir);
        const report = await runScenario(
          JSON.parse(fs.readFileSync(path.join(scenarioDir, file), 'utf8')) as Scenario,
          { dataDir: dir },
        );
        expect(report.ok).toBe(true);
      });

      it('are the same when every event is applied twice (each projection is idempotent)', async () => {
        const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
        const once = openReadModelDb(':memory:');
        const twice = openReadModelDb(':memory:');
        const events = await store.readAll();
        for (const e of events) for (const p of DEFAULT_PROJECTIONS) p.apply(once, e);
        for (const e of events)
          for (const p of DEFAULT_PROJECTIONS) {
            p.apply(twice, e);
            p.apply(twice, e);
          }
        expect(dump(twice)).toEqual(dump(once));
        expect(dump(once).items.length).toBeGreaterThan(0);
        await store.close();
      });

      it('rebuild from scratch gives what the live projection built', async () => {
        const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
        const live = openReadModelDb(path.join(dir, 'read-models.sqlite'));
        const rebuilt = new ReadModels(store, openReadModelDb(path.join(dir, 'rebuilt.sqlite')));
        await rebuilt.rebuild();
        // Scheduler bookkeeping (fired deadlines are forgotten by the live service) is the one expected difference.
        const strip = (d: Record<string, unknown[]>) => ({ ...d, deadlines: undefined });
        expect(strip(dump(rebuilt.db))).toEqual(strip(dump(live)));
        expect(rebuilt.runner.checkpoint).toBe(await store.headPosition());
        live.close();
        await rebuilt.close();
        await store.close();
      });
    });
  }
});
