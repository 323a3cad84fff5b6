import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatReport, runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

/**
 * The acceptance scenarios (contract §7): the public copies kept in this repo, our own extra cases (test/scenarios/extra),
 * the edge cases written as an outside author would (test/scenarios/qa and, from the seeds and §5.1 alone, test/scenarios/exam
 * and test/scenarios/exam2), plus any file in ../shared/scenarios when the
 * shared folder is checked out beside the repo (newer cases land there first; a shared file replaces the public copy
 * of the same name, so it is run once).
 */
const dirs: [label: string, dir: string][] = [
  ['public', path.join(__dirname, 'public')],
  ['extra', path.join(__dirname, 'extra')],
  ['qa', path.join(__dirname, 'qa')],
  ['exam', path.join(__dirname, 'exam')],
  ['exam2', path.join(__dirname, 'exam2')],
  ['public', path.join(__dirname, '..', '..', '..', 'shared', 'scenarios')],
];
const files = new Map<string, string>();
for (const [label, dir] of dirs) {
  if (!fs.existsSync(dir)) continue;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) files.set(`${label}/${f}`, path.join(dir, f));
}

describe('acceptance scenarios', () => {
  it('has scenario files to run', () => expect(files.size).toBeGreaterThanOrEqual(20));

  for (const [name, file] of files) {
    it(`${name} passes every step`, async () => {
      const report = await runScenario(JSON.parse(fs.readFileSync(file, 'utf8')) as Scenario, { file: name });
      if (!report.ok) throw new Error(formatReport(report));
      expect(report.steps.every((s) => s.ok)).toBe(true);
    });
  }
});
