/**
 * `verify-bundle --trusted-state` (issue 10): two bundles that each pass verify-bundle can be contradictory signed
 * histories (the second exported after the tail was cut and the shortened tree re-signed with the genuine key). The
 * auditor's file, pinned by the first, catches the second: rolled-back, or fork once the cut store has grown past the
 * pinned size. verify-bundle runs as a real process (its exit code is what an auditor's script sees).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock, PUBLIC_KEY_FILE, SqliteEventStore } from '@app/ledger';
import { CheckpointService, LedgerCore, exportBundle, type ExportBundle } from '@app/application';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';
import { cutTail, registerPersons, removeReadModels, runCli, tempDir } from './tamper-kit';

jest.setTimeout(120_000);

const SCENARIO = path.join(__dirname, '..', 'scenarios', 'public', 'classification-and-copies.json');

describe('verify-bundle --trusted-state (real CLI processes)', () => {
  let root: string;
  let key: string;

  beforeAll(() => {
    root = tempDir('trusted-bundle');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Exports doc-ts in-process (the service's own use case), signing a checkpoint over the current tree. */
  const exportTo = async (dataDir: string, file: string, at: string, proveFrom: number[] = []) => {
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock(at) });
    try {
      const signer = CheckpointService.forCore(core, {});
      await signer.signNow({ force: true });
      const bundle = await exportBundle(core, signer, 'doc-ts', undefined, { proveFrom });
      fs.writeFileSync(file, JSON.stringify(bundle));
      return bundle;
    } finally {
      await core.close();
    }
  };
  const grow = async (dataDir: string, from: number, count: number, at: string) => {
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock(at) });
    await registerPersons(core, from, count);
    await core.close();
  };
  const verifyBundle = (file: string, state: string, extra: string[] = []) =>
    runCli(['verify-bundle', file, '--public-key', key, '--trusted-state', state, '--json', ...extra]);

  it('pins the first bundle, accepts a later one carrying the proof from the pinned size, and catches a cut', async () => {
    const dataDir = path.join(root, 'data');
    expect((await runScenario(JSON.parse(fs.readFileSync(SCENARIO, 'utf8')) as Scenario, { dataDir })).ok).toBe(true);
    key = path.join(root, 'pinned.pub.pem');
    const state = path.join(root, 'auditor.json');

    const first = await exportTo(dataDir, path.join(root, 'b1.json'), '2026-06-02T08:00:00Z');
    fs.copyFileSync(path.join(dataDir, PUBLIC_KEY_FILE), key);
    const pinRun = await verifyBundle(path.join(root, 'b1.json'), state);
    expect(pinRun.code).toBe(0);
    expect(pinRun.json()).toMatchObject({ ok: true, trustedState: { status: 'first-run', recorded: true } });
    expect(JSON.parse(fs.readFileSync(state, 'utf8'))).toMatchObject({
      treeSize: first.checkpoint.treeSize,
      rootHash: first.checkpoint.rootHash,
      source: 'bundle',
    });

    // The ledger goes on; a later bundle without the proof from the pinned size cannot be told from a fork.
    await grow(dataDir, 0, 10, '2026-06-02T09:00:00Z');
    await exportTo(dataDir, path.join(root, 'b2-bare.json'), '2026-06-02T09:01:00Z');
    const bare = await verifyBundle(path.join(root, 'b2-bare.json'), state);
    expect(bare.code).toBe(1);
    expect(bare.json()).toMatchObject({ ok: false, trustedState: { status: 'unproven', recorded: false } });

    const second = await exportTo(dataDir, path.join(root, 'b2.json'), '2026-06-02T09:02:00Z', [
      first.checkpoint.treeSize,
    ]);
    const accepted = await verifyBundle(path.join(root, 'b2.json'), state);
    expect(accepted.code).toBe(0);
    expect(accepted.json()).toMatchObject({
      ok: true,
      trustedState: {
        status: 'consistent',
        recorded: true,
        before: { treeSize: first.checkpoint.treeSize },
        now: { treeSize: second.checkpoint.treeSize },
      },
    });
    const pinned = fs.readFileSync(state);

    // The insider cuts everything after the first bundle's checkpoint event, drops the read models and exports
    // again: the genuine key signs the shortened tree; the bundle alone passes.
    const store = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
    const [cp] = await store.readStream('ledger-checkpoints', { maxCount: 1 });
    await store.close();
    cutTail(dataDir, cp.position);
    removeReadModels(dataDir);
    const cut = await exportTo(dataDir, path.join(root, 'b3.json'), '2026-06-02T10:00:00Z');
    expect((await runCli(['verify-bundle', path.join(root, 'b3.json'), '--public-key', key, '--json'])).code).toBe(0);
    const rolledBack = await verifyBundle(path.join(root, 'b3.json'), state);
    expect(rolledBack.code).toBe(1);
    expect(rolledBack.json()).toMatchObject({
      ok: false,
      trustedState: {
        status: 'rolled-back',
        recorded: false,
        before: { treeSize: second.checkpoint.treeSize },
        now: { treeSize: cut.checkpoint.treeSize },
      },
    });
    expect(fs.readFileSync(state)).toEqual(pinned);

    // Grown past the pinned size again, with a proof from the pinned size built on the forged tree: fork.
    await grow(dataDir, 1000, 40, '2026-06-02T11:00:00Z');
    const forged = await exportTo(dataDir, path.join(root, 'b4.json'), '2026-06-02T11:01:00Z', [
      second.checkpoint.treeSize,
    ]);
    expect(forged.checkpoint.treeSize).toBeGreaterThan(second.checkpoint.treeSize);
    const fork = await verifyBundle(path.join(root, 'b4.json'), state);
    expect(fork.code).toBe(1);
    const out = fork.json<{ trustedState: { status: string; fork: Record<string, unknown> } }>();
    expect(out.trustedState.status).toBe('fork');
    expect(out.trustedState.fork).toMatchObject({
      treeSize: second.checkpoint.treeSize,
      pinnedRoot: second.checkpoint.rootHash,
    });
    expect(fs.readFileSync(state)).toEqual(pinned);
  });

  it('refuses an export --prove-from beyond the checkpoint, naming the field', async () => {
    const dataDir = path.join(root, 'data');
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-06-03T00:00:00Z') });
    try {
      await expect(
        exportBundle(core, CheckpointService.forCore(core, {}), 'doc-ts', undefined, { proveFrom: [10_000_000] }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'proveFrom' }] });
    } finally {
      await core.close();
    }
  });

  it('leaves the trusted file as it was when the bundle itself fails', async () => {
    const state = path.join(root, 'auditor.json');
    const before = fs.readFileSync(state);
    const bundle = JSON.parse(fs.readFileSync(path.join(root, 'b2.json'), 'utf8')) as ExportBundle;
    bundle.streams[0].events[0].data = { tampered: true };
    fs.writeFileSync(path.join(root, 'b-bad.json'), JSON.stringify(bundle));
    const run = await verifyBundle(path.join(root, 'b-bad.json'), state);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ ok: false });
    expect(fs.readFileSync(state)).toEqual(before);
  });
});
