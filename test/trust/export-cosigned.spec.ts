/**
 * `export` with LEDGER_WITNESSES (issue 10): the bundle must pass `verify-bundle --quorum N`. The CLI runs as real
 * processes against a real `witness serve` process; the export proves against the latest checkpoint that covers the
 * item and carries the quorum of cosignatures, waits (bounded) for the witnesses when none does, and says which.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock, PUBLIC_KEY_FILE } from '@app/ledger';
import { LedgerCore } from '@app/application';
import { buildLedger, runCli } from '../integrity/tamper-kit';
import { startWitness, type WitnessProcess } from './witness-support';

const admin = { name: 'admin', roles: ['registrar', 'custodian', 'admin', 'secrecy-officer'] as never };

const registerItems = async (dataDir: string, ids: string[]): Promise<void> => {
  const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-06-01T09:00:00Z') });
  try {
    await core.execute(
      'RegisterPerson',
      { data: { personId: `p-${ids[0]}`, name: 'Holder', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
      admin,
    );
    for (const itemId of ids)
      await core.execute(
        'RegisterReceivedItem',
        {
          data: {
            itemId,
            title: `export test ${itemId}`,
            level: 'SECRET',
            periodYears: 10,
            basis: 'catalogue 2.1',
            carrier: 'paper',
            sender: 'bureau',
            receivedBy: `p-${ids[0]}`,
            scope: { persons: [] },
          },
        },
        admin,
      );
  } finally {
    await core.close();
  }
};

interface ExportSummary {
  ok: boolean;
  treeSize: number;
  witnesses?: { quorum: number; cosignedBy: string[]; checkpoint: string; waitedMs: number };
}

describe('export with witnesses configured (real witness and CLI processes)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-cosigned-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('proves against a co-signed checkpoint (waiting for it when needed), so verify-bundle --quorum passes', async () => {
    const dataDir = path.join(dir, 'data');
    await buildLedger(dataDir);
    await registerItems(dataDir, ['doc-a', 'doc-b']);
    const origin = `custody-ledger/${fs.readFileSync(path.join(dataDir, 'ledger-id'), 'utf8').trim()}`;
    const pub = path.join(dataDir, PUBLIC_KEY_FILE);
    let w: WitnessProcess = await startWitness({
      key: path.join(dir, 'w.pem'),
      state: path.join(dir, 'w-state.json'),
      name: 'witness.test/export',
      logs: [`${origin}=${pub}`],
    });
    const vkeyFile = path.join(dir, 'w.vkey');
    fs.writeFileSync(vkeyFile, `${w.vkey}\n`);
    const env = {
      DATA_DIR: dataDir,
      LEDGER_WITNESSES: JSON.stringify([{ name: w.name, url: w.url, publicKey: w.vkey }]),
    };
    const verifyQuorum = (file: string) =>
      runCli(['verify-bundle', file, '--public-key', pub, '--witness', `${w.name}=${vkeyFile}`, '--quorum', '1']);
    try {
      // No checkpoint covers the new items yet: export signs one, sends it to the witness and waits for it.
      const a = path.join(dir, 'a.json');
      const first = await runCli(['export', 'doc-a', '--out', a, '--json'], env);
      expect(first.code).toBe(0);
      const summary = first.json<ExportSummary>();
      expect(summary.witnesses).toMatchObject({ quorum: 1, cosignedBy: [w.name], checkpoint: 'waited' });
      expect((JSON.parse(fs.readFileSync(a, 'utf8')) as { cosignatures: string[] }).cosignatures).toHaveLength(1);
      const verified = await verifyQuorum(a);
      expect([verified.code, verified.stdout]).toEqual([0, expect.stringMatching(/^ok: /)]);

      // The witness goes away and a new item is registered (so the latest checkpoint will not be co-signed).
      await w.kill();
      await registerItems(dataDir, ['doc-c']);
      const c = path.join(dir, 'c.json');
      const refused = await runCli(['export', 'doc-c', '--out', c, '--witness-timeout', '2'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/export refused: no checkpoint covering the events has 1 witness cosignature/);
      expect(refused.stderr).toContain(`missing: ${w.name} (unreachable`);
      expect(fs.existsSync(c)).toBe(false);

      // doc-b's events are under the co-signed checkpoint: that one is used, not the newer uncosigned one.
      const b = path.join(dir, 'b.json');
      const older = await runCli(['export', 'doc-b', '--out', b, '--json'], env);
      expect(older.code).toBe(0);
      expect(older.json<ExportSummary>()).toMatchObject({
        treeSize: summary.treeSize,
        witnesses: { checkpoint: 'stored', cosignedBy: [w.name], waitedMs: 0 },
      });
      expect((await verifyQuorum(b)).code).toBe(0);

      // --quorum 0: exported at once, without the witness, and the bundle says as much to a quorum check.
      const unwitnessed = await runCli(['export', 'doc-c', '--out', c, '--quorum', '0', '--json'], env);
      expect(unwitnessed.code).toBe(0);
      expect(unwitnessed.json<ExportSummary>().witnesses).toMatchObject({ checkpoint: 'not-required', cosignedBy: [] });
      const short = await verifyQuorum(c);
      expect(short.code).toBe(1);
      expect(short.stdout).toContain(`missing: ${w.name}`);

      // The witness returns: a plain export of doc-c now waits for it and passes.
      w = await startWitness({
        key: path.join(dir, 'w.pem'),
        state: path.join(dir, 'w-state.json'),
        name: 'witness.test/export',
        logs: [`${origin}=${pub}`],
        port: w.port,
      });
      const again = await runCli(['export', 'doc-c', '--out', c], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        /co-signed by witness\.test\/export \(quorum 1; waited \d+\.\d s for the witnesses\)/,
      );
      expect((await verifyQuorum(c)).code).toBe(0);
    } finally {
      await w.kill();
    }
  }, 300_000);
});
