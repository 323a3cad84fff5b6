import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatReport, runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

/**
 * The acceptance scenarios (contract §7): the public copies kept in this repo, our own extra cases (test/scenarios/extra), plus any file in ../shared/scenarios when the
 * shared folder is checked out beside the repo (newer cases land there first).
 */
const dirs = [
  path.join(__dirname, 'public'),
  path.join(__dirname, 'extra'),
  path.join(__dirname, '..', '..', '..', 'shared', 'scenarios'),
];
const files = new Map<string, string>();
for (const dir of dirs) {
  if (!fs.existsSync(dir)) continue;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) files.set(f, path.join(dir, f));
}

describe('acceptance scenarios', () => {
  it('has scenario files to run', () => expect(files.size).toBeGreaterThanOrEqual(7));

  for (const [name, file] of files) {
    it(`${name} passes every step`, async () => {
      const report = await runScenario(JSON.parse(fs.readFileSync(file, 'utf8')) as Scenario, { file: name });
      if (!report.ok) throw new Error(formatReport(report));
      expect(report.steps.every((s) => s.ok)).toBe(true);
    });
  }
});
