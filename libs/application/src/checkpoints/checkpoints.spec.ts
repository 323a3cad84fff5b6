import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock, CHECKPOINT_STREAM, verifyStreamEvents, verifyCheckpoint } from '@app/ledger';
import { LedgerCore } from '../ledger-core';
import { loadConfig } from '../config';
import { CheckpointService, signingKeyFor } from './checkpoints';

const REGISTRAR = { name: 'registry', roles: ['registrar' as const] };

describe('checkpoint signing on a small ledger', () => {
  let dir: string;
  let core: LedgerCore;
  const clock = new ManualClock('2026-03-02T09:00:00Z');

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoints-'));
    core = await LedgerCore.open({ dataDir: dir, clock });
  });
  afterEach(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('signs nothing on an empty ledger', async () => {
    expect(await CheckpointService.forCore(core, {}).signNow()).toEqual({ created: false, checkpoint: null });
  });

  it('keeps one checkpoint per tree when two signers race for the stream (a conflict is retried, then skipped)', async () => {
    await core.execute('RegisterPlace', { data: { placeId: 'room-1', name: 'room', kind: 'reading-room' } }, REGISTRAR);
    // Two services are two signers (as two replicas would be): they do not share the in-process queue, and their
    // clocks differ, so their signatures over the same tree differ too (Ed25519 is deterministic).
    const a = CheckpointService.forCore(core, {});
    const b = new CheckpointService(
      core.store,
      core.readModels,
      new ManualClock('2026-03-02T09:00:01Z'),
      signingKeyFor(dir, {}),
    );
    const outcomes = await Promise.all([a.signNow(), b.signNow()]);
    expect(outcomes.map((o) => o.created).sort()).toEqual([false, true]);
    const stream = await core.store.readStream(CHECKPOINT_STREAM);
    expect(stream).toHaveLength(1);
    expect(verifyStreamEvents(stream).ok).toBe(true);
    expect(outcomes[0].checkpoint?.eventId).toBe(outcomes[1].checkpoint?.eventId);
  });

  it('serializes on-demand and timed signing in one process: each call sees the previous one', async () => {
    await core.execute('RegisterPlace', { data: { placeId: 'room-1', name: 'room', kind: 'reading-room' } }, REGISTRAR);
    const svc = CheckpointService.forCore(core, {});
    const outcomes = await Promise.all([svc.signNow(), svc.signNow({ force: true }), svc.signNow()]);
    expect(outcomes.map((o) => o.created)).toEqual([true, true, false]);
    const stream = await core.store.readStream(CHECKPOINT_STREAM);
    expect(stream.map((e) => (e.data as { treeSize: number }).treeSize)).toEqual([1, 2]);
  });

  it('signs with the PEM named by LEDGER_SIGNING_KEY_FILE instead of the data dir key', async () => {
    const file = path.join(dir, 'shared-key.pem');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const env = { signingKeyFile: loadConfig({ DATA_DIR: dir, LEDGER_SIGNING_KEY_FILE: file }).signingKeyFile };
    expect(signingKeyFor(dir, env).publicKeyPem).toBe(publicKey.export({ type: 'spki', format: 'pem' }));
    await core.execute('RegisterPlace', { data: { placeId: 'room-1', name: 'room', kind: 'reading-room' } }, REGISTRAR);
    const { checkpoint } = await CheckpointService.forCore(core, env).signNow();
    expect(verifyCheckpoint(checkpoint!, publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(true);
    // No key of its own was made in the data dir.
    expect(fs.existsSync(path.join(dir, 'signing-key.pem'))).toBe(false);
  });
});
