import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import {
  FileWitnessState,
  ManualClock,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  ed25519NoteSigner,
  formatAddCheckpoint,
  formatCheckpointText,
  keyIdOf,
  ledgerVkey,
  ed25519NoteVerifier,
  signNote,
} from '@app/ledger';
import { Ledger, verifyLedgerIntegrity } from '@app/application';
import { rotateKeyCommand } from '../../apps/ledger-cli/src/commands/rotate-key.command';
import { buildLedger, registerPersons } from '../integrity/tamper-kit';
import { startWitness, type WitnessProcess } from './witness-support';

/**
 * `rotate-key` while a witness (a real `witness serve` process, configured with the old key only) is away: the
 * service must bring it the hand-over checkpoint (old + new key) before the later ones signed by the new key alone;
 * the witness then trusts the new key, keeps that across a restart, and refuses the retired key and strangers.
 */
describe('a witness follows a key hand-over (rotate-key, real witness process)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witness-handover-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('co-signs the hand-over, then the new key alone; refuses the retired key and an unknown one (403)', async () => {
    const dataDir = path.join(dir, 'data');
    const built = await buildLedger(dataDir);
    const origin = `custody-ledger/${fs.readFileSync(path.join(dataDir, 'ledger-id'), 'utf8').trim()}`;
    // The witness is configured with the key of the ledger's first start, kept apart: rotate-key replaces the file.
    const oldPub = path.join(dir, 'old.pub.pem');
    fs.copyFileSync(path.join(dataDir, PUBLIC_KEY_FILE), oldPub);
    const oldPrivate = fs.readFileSync(path.join(dataDir, PRIVATE_KEY_FILE), 'utf8');
    const spec = {
      key: path.join(dir, 'w.pem'),
      state: path.join(dir, 'w-state.json'),
      name: 'witness.test/rot',
      logs: [`${origin}=${oldPub}`],
    };
    let w: WitnessProcess = await startWitness(spec);
    const port = w.port;
    const config = () => [{ name: w.name, url: `http://127.0.0.1:${port}`, publicKey: w.vkey }];
    const openLedger = () =>
      Ledger.open({
        dataDir,
        clock: new ManualClock('2026-06-01T10:00:00Z'),
        checkpointIntervalMs: 0,
        schedulerIntervalMs: 0,
        witnesses: config(),
        witnessRetry: { retryMinMs: 50, retryMaxMs: 200 },
      });
    let ledger: Ledger | undefined;
    try {
      ledger = await openLedger();
      await ledger.start();
      expect(await ledger.witnesses!.waitFor(built.lastCheckpointSize, 20_000)).toBe(true);
      await ledger.close();
      ledger = undefined;

      // The witness is away while the key is rotated and the ledger goes on under the new key.
      await w.kill();
      const next = generateKeyPairSync('ed25519');
      const nextFile = path.join(dir, 'next.pem');
      fs.writeFileSync(nextFile, next.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      const newPem = next.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      jest.spyOn(console, 'log').mockImplementation(() => undefined);
      expect(await rotateKeyCommand({ dataDir, newKey: nextFile, json: true })).toBe(0);
      jest.restoreAllMocks();
      ledger = await openLedger();
      await ledger.start();
      await registerPersons(ledger.core, 500, 3);
      const after = (await ledger.checkpoints.signNow()).checkpoint!;
      expect(after.keyId).toBe(keyIdOf(newPem));

      // It returns with the same configuration (the old key only): the hand-over first, then the latest.
      w = await startWitness({ ...spec, port });
      expect(await ledger.witnesses!.waitFor(after.treeSize, 30_000)).toBe(true);
      const state = new FileWitnessState(spec.state).load();
      expect(state[origin]).toMatchObject({
        treeSize: after.treeSize,
        keys: [ledgerVkey(origin, newPem)],
        retired: [ed25519NoteVerifier(origin, fs.readFileSync(oldPub, 'utf8')).keyId.toString('hex')],
      });

      // Restarted, it still follows the new key: the next checkpoint is co-signed...
      await w.kill();
      w = await startWitness({ ...spec, port });
      await registerPersons(ledger.core, 600, 2);
      const later = (await ledger.checkpoints.signNow()).checkpoint!;
      expect(await ledger.witnesses!.waitFor(later.treeSize, 30_000)).toBe(true);
      const verdict = await verifyLedgerIntegrity(ledger.core.store, {
        publicKeyPem: fs.readFileSync(oldPub, 'utf8'),
        witnesses: [{ name: w.name, publicKey: w.vkey }],
        quorum: 1,
      });
      expect(verdict.ok).toBe(true);

      // ...and the same tree signed by the retired key, or by a stranger's, is refused with 403 (tlog-witness).
      const signedBy = (key: string | import('node:crypto').KeyObject) =>
        formatAddCheckpoint({
          oldSize: later.treeSize,
          proof: [],
          checkpoint: signNote(
            formatCheckpointText({ origin, treeSize: later.treeSize, rootHash: later.rootHash, extensions: [] }),
            [ed25519NoteSigner(origin, key)],
          ),
        });
      for (const key of [oldPrivate, generateKeyPairSync('ed25519').privateKey]) {
        const r = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: signedBy(key) });
        expect(r.status).toBe(403);
        expect(await r.text()).toMatch(/no signature by a known key/);
      }
      // The new key's own signature over that tree is the one it knows (same size, same root: 200).
      const r = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: signedBy(next.privateKey) });
      expect(r.status).toBe(200);
    } finally {
      await ledger?.close();
      await w.kill();
    }
  }, 240_000);
});
