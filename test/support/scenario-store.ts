import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore } from '@app/ledger';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

/**
 * A fresh data directory (`prefix` in the temp dir) holding the ledger of the first public scenario, run through the
 * scenario runner, and its embedded store opened: a small real ledger for specs of what reads a store.
 */
export async function storeOfFirstPublicScenario(prefix: string): Promise<{ dir: string; store: SqliteEventStore }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const scenarios = path.join(__dirname, '..', 'scenarios', 'public');
  const file = fs.readdirSync(scenarios).filter((f) => f.endsWith('.json'))[0];
  const report = await runScenario(JSON.parse(fs.readFileSync(path.join(scenarios, file), 'utf8')) as Scenario, {
    dataDir: dir,
  });
  if (!report.ok) throw new Error(`the scenario ${file} did not pass: the store it left is no fixture`);
  return { dir, store: SqliteEventStore.open(path.join(dir, 'ledger.sqlite')) };
}
