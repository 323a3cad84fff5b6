import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDemo, StoreNotEmpty } from '../../apps/ledger-cli/src/demo/demo';

describe('the demo data set', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-demo-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads hundreds of items with violations and incidents, verifies, and refuses a non-empty store without --force', async () => {
    const t0 = Date.now();
    const summary = await runDemo({ dataDir: dir });
    console.log(JSON.stringify({ ...summary, ms: Date.now() - t0 }));
    expect(summary.verified).toBe(true);
    expect(summary.items).toBeGreaterThanOrEqual(300);
    expect(summary.copies).toBeGreaterThan(5);
    expect(summary.persons).toBeGreaterThanOrEqual(40);
    expect(summary.places).toBeGreaterThanOrEqual(15);
    expect(summary.violations).toBeGreaterThan(15);
    expect(summary.incidents).toBeGreaterThan(5);
    expect(summary.incidentsReported).toBeGreaterThan(0);
    expect(summary.incidentsOverdue).toBeGreaterThan(0);
    expect(Object.keys(summary.violationsBySeverity)).toEqual(expect.arrayContaining(['critical', 'high', 'medium']));
    await expect(runDemo({ dataDir: dir, items: 10, days: 1 })).rejects.toBeInstanceOf(StoreNotEmpty);
  }, 120_000);
});
