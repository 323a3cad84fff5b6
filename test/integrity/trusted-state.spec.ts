/**
 * The auditor's trusted state against the insider (issue 10, contract §4.1), with the CLI as a real process: the exit
 * code is what an auditor's script acts on. Each attack passes every check inside the data directory; only the
 * auditor's file outside it catches it, and names it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PUBLIC_KEY_FILE, SqliteEventStore } from '@app/ledger';
import {
  nextTrustedState,
  verifyLedgerIntegrity,
  writeTrustedState,
  type LedgerVerifyResult,
  type TrustedState,
} from '@app/application';
import {
  buildLedger,
  cutTail,
  extendLedger,
  removeReadModels,
  resealAndResign,
  runCli,
  swapInAttackerKey,
  tempDir,
  type BuiltLedger,
} from './tamper-kit';

jest.setTimeout(120_000);

interface VerifyJson {
  ok: boolean;
  treeSize: number;
  firstFailure?: { reason: string };
  keyTrust: { pinned: boolean; file: string | null; warning?: string };
  trustedState?: {
    status: string;
    ok: boolean;
    recorded: boolean;
    before: { treeSize: number; rootHash: string } | null;
    now: { treeSize: number; rootHash: string } | null;
    fork?: { treeSize: number; pinnedRoot: string; rootNow: string };
    detail: string;
  };
}

describe('verify --trusted-state (real CLI processes)', () => {
  let root: string;
  let pristine: BuiltLedger;
  /** The genuine public key, copied out of DATA_DIR before any attack: what the auditor pins. */
  let pinnedKey: string;

  beforeAll(async () => {
    root = tempDir('trusted-state');
    pristine = await buildLedger(path.join(root, 'pristine'));
    pinnedKey = path.join(root, 'auditor-key.pub.pem');
    fs.copyFileSync(path.join(pristine.dataDir, PUBLIC_KEY_FILE), pinnedKey);
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The library call the CLI makes, in-process (for the steps whose exit code is not the point). */
  const verifyInProcess = async (dataDir: string, trustedState?: TrustedState | null): Promise<LedgerVerifyResult> => {
    const store = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
    try {
      return await verifyLedgerIntegrity(store, {
        publicKeyPem: fs.readFileSync(pinnedKey, 'utf8'),
        ...(trustedState !== undefined ? { trustedState } : {}),
      });
    } finally {
      await store.close();
    }
  };

  /** A fresh copy of the pristine ledger and an auditor's state file pinned on it (a first run, in-process). */
  const pinnedCopy = async (name: string) => {
    const dataDir = path.join(root, name);
    fs.cpSync(pristine.dataDir, dataDir, { recursive: true });
    const state = path.join(root, `${name}.trusted.json`);
    const first = await verifyInProcess(dataDir, null);
    expect(first.trustedState).toMatchObject({ status: 'first-run', ok: true });
    writeTrustedState(state, nextTrustedState(first.checkpoints.latest!, 'store', new Date().toISOString()));
    return { dataDir, state, pinned: JSON.parse(fs.readFileSync(state, 'utf8')) as TrustedState };
  };

  const verify = (dataDir: string, state: string, key: string | null = pinnedKey) =>
    runCli([
      'verify',
      '--data-dir',
      dataDir,
      ...(key ? ['--public-key', key] : []),
      '--trusted-state',
      state,
      '--json',
    ]);

  it('pins the latest verified checkpoint on the first run and accepts a ledger that only grew', async () => {
    const dataDir = path.join(root, 'honest');
    fs.cpSync(pristine.dataDir, dataDir, { recursive: true });
    const state = path.join(root, 'honest.trusted.json');
    const first = await verify(dataDir, state);
    expect(first.code).toBe(0);
    expect(first.json<VerifyJson>().trustedState).toMatchObject({ status: 'first-run', recorded: true });
    const pinned = JSON.parse(fs.readFileSync(state, 'utf8')) as TrustedState;
    expect(pinned).toMatchObject({ treeSize: pristine.lastCheckpointSize, source: 'store' });
    expect(pinned.rootHash).toMatch(/^[0-9a-f]{64}$/);
    expect(pinned.keyId).toMatch(/^[0-9a-f]+$/);
    // The checkpoint's C2SP signed note is kept with it: origin line, size, base64 root.
    expect(pinned.note?.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^custody-ledger\//),
      String(pinned.treeSize),
      Buffer.from(pinned.rootHash, 'hex').toString('base64'),
    ]);
    // No temp file is left beside it (written as temp + fsync + rename).
    expect(fs.readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const size = await extendLedger(dataDir, 100, 10, '2026-06-01T10:00:00Z');
    const again = await verify(dataDir, state);
    expect(again.code).toBe(0);
    expect(again.json<VerifyJson>().trustedState).toMatchObject({
      status: 'consistent',
      recorded: true,
      before: { treeSize: pristine.lastCheckpointSize },
      now: { treeSize: size },
    });
    expect(JSON.parse(fs.readFileSync(state, 'utf8')).treeSize).toBe(size);
  });

  it('names a tail cut off with its checkpoints and the read models removed: rolled-back, sizes before and now', async () => {
    const { dataDir, state } = await pinnedCopy('cut');
    const before = fs.readFileSync(state);
    expect(cutTail(dataDir, pristine.firstCheckpointPosition)).toBeGreaterThan(10);
    removeReadModels(dataDir);

    // Inside the directory everything still checks: that is the attack.
    expect((await verifyInProcess(dataDir)).ok).toBe(true);

    const run = await verify(dataDir, state);
    expect(run.code).toBe(1);
    const out = run.json<VerifyJson>();
    expect(out.ok).toBe(false);
    expect(out.trustedState).toMatchObject({
      status: 'rolled-back',
      ok: false,
      recorded: false,
      before: { treeSize: pristine.lastCheckpointSize },
      now: { treeSize: pristine.firstCheckpointSize },
    });
    expect(out.trustedState!.detail).toContain(`${pristine.lastCheckpointSize}`);
    expect(out.trustedState!.detail).toContain(`${pristine.firstCheckpointSize}`);
    // The file is not advanced on failure.
    expect(fs.readFileSync(state)).toEqual(before);

    // The human output says it in words too.
    const human = await runCli(['verify', '--data-dir', dataDir, '--public-key', pinnedKey, '--trusted-state', state]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /FAILED trusted state .*: rolled-back: rolled back: the pinned checkpoint covered \d+ events/,
    );
    expect(fs.readFileSync(state)).toEqual(before);
  });

  it('names a tail cut and then re-grown past the pinned size (the shortened tree re-signed): fork', async () => {
    const { dataDir, state, pinned } = await pinnedCopy('regrown');
    cutTail(dataDir, pristine.firstCheckpointPosition);
    removeReadModels(dataDir);
    // The service (or `export`) goes on and signs the shortened tree once it is larger than the pinned one.
    await extendLedger(dataDir, 500, 40, '2026-06-01T11:00:00Z');
    const run = await verify(dataDir, state);
    expect(run.code).toBe(1);
    const out = run.json<VerifyJson>();
    expect(out.firstFailure).toBeUndefined();
    expect(out.trustedState).toMatchObject({ status: 'fork', recorded: false });
    expect(out.trustedState!.fork).toMatchObject({ treeSize: pinned.treeSize, pinnedRoot: pinned.rootHash });
    expect(out.trustedState!.fork!.rootNow).not.toBe(pinned.rootHash);
  });

  it('names every chain re-sealed and re-signed with the genuine key from DATA_DIR: fork, the size and both roots', async () => {
    const { dataDir, state, pinned } = await pinnedCopy('resealed');
    const before = fs.readFileSync(state);
    // Rewrite one early fact (a clearance) and re-seal everything after it.
    await resealAndResign(dataDir, (e) =>
      e.streamId === 'person-p-3' && e.revision === 0
        ? { ...e, data: { ...(e.data as Record<string, unknown>), clearance: 'TOP_SECRET' } }
        : e,
    );
    expect((await verifyInProcess(dataDir)).ok).toBe(true);

    const run = await verify(dataDir, state);
    expect(run.code).toBe(1);
    const out = run.json<VerifyJson>();
    expect(out.firstFailure).toBeUndefined();
    expect(out.treeSize).toBe(pinned.treeSize + 1);
    expect(out.trustedState).toMatchObject({
      status: 'fork',
      recorded: false,
      fork: { treeSize: pinned.treeSize, pinnedRoot: pinned.rootHash },
    });
    const rootNow = out.trustedState!.fork!.rootNow;
    expect(rootNow).toMatch(/^[0-9a-f]{64}$/);
    expect(rootNow).not.toBe(pinned.rootHash);
    expect(out.trustedState!.detail).toContain(pinned.rootHash);
    expect(out.trustedState!.detail).toContain(rootNow);
    expect(fs.readFileSync(state)).toEqual(before);
  });

  it("catches an attacker's key in DATA_DIR with a pinned key; an unpinned run passes but says it proves nothing", async () => {
    const dataDir = path.join(root, 'attacker-key');
    fs.cpSync(pristine.dataDir, dataDir, { recursive: true });
    swapInAttackerKey(dataDir);
    // The attacker re-seals and re-signs with their own key, now the one in DATA_DIR.
    await resealAndResign(dataDir, (e) => e);

    const pinnedRun = await runCli(['verify', '--data-dir', dataDir, '--public-key', pinnedKey, '--json']);
    expect(pinnedRun.code).toBe(1);
    const pinnedOut = pinnedRun.json<VerifyJson>();
    expect(pinnedOut.firstFailure?.reason).toBe('bad-signature');
    expect(pinnedOut.keyTrust).toEqual({ pinned: true, file: pinnedKey });

    const unpinned = await runCli(['verify', '--data-dir', dataDir, '--json']);
    expect(unpinned.code).toBe(0);
    const unpinnedOut = unpinned.json<VerifyJson>();
    expect(unpinnedOut.keyTrust.pinned).toBe(false);
    expect(unpinnedOut.keyTrust.file).toBe(path.join(dataDir, PUBLIC_KEY_FILE));
    expect(unpinnedOut.keyTrust.warning).toMatch(/proves nothing against whoever holds the data directory/);
    // Loud: on stderr as well, where a script that only keeps the JSON still shows it.
    expect(unpinned.stderr).toMatch(/WARNING: no --public-key given: trusted the key found in the data directory/);
  });

  it('refuses an unreadable trusted-state file (exit 2) and leaves it as it was', async () => {
    const state = path.join(root, 'garbage.trusted.json');
    fs.writeFileSync(state, 'not json');
    const run = await verify(pristine.dataDir, state);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/trusted state .* cannot be used: not JSON/);
    expect(fs.readFileSync(state, 'utf8')).toBe('not json');
  });
});
