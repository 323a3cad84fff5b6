import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock, PUBLIC_KEY_FILE, parseNote, keyIdOf } from '@app/ledger';
import { CheckpointService, LedgerCore, exportBundle, verifyBundle, verifyLedgerIntegrity } from '@app/application';
import { rotateKeyCommand } from '../../apps/ledger-cli/src/commands/rotate-key.command';
import { buildLedger, extendLedger } from '../integrity/tamper-kit';

describe('key rotation (rotate-key --new-key FILE)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rotate-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('signs a hand-over with both keys, then the new key alone; a verifier pinned to the old key follows it', async () => {
    const dataDir = path.join(dir, 'data');
    await buildLedger(dataDir);
    const oldPub = fs.readFileSync(path.join(dataDir, PUBLIC_KEY_FILE), 'utf8');
    const newKeyFile = path.join(dir, 'next.pem');
    const next = generateKeyPairSync('ed25519');
    fs.writeFileSync(newKeyFile, next.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const newPub = next.publicKey.export({ type: 'spki', format: 'pem' }).toString();

    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await rotateKeyCommand({ dataDir, newKey: newKeyFile, json: true })).toBe(0);
    jest.restoreAllMocks();
    // The new key is DATA_DIR's now; the old one is kept aside, not deleted.
    expect(fs.readFileSync(path.join(dataDir, PUBLIC_KEY_FILE), 'utf8')).toBe(newPub);
    expect(fs.existsSync(path.join(dataDir, `signing-key.retired-${keyIdOf(oldPub)}.pem`))).toBe(true);

    // The ledger goes on: the next checkpoint is signed by the new key alone.
    await extendLedger(dataDir, 500, 3, '2026-06-01T11:00:00Z');
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-06-01T11:05:00Z') });
    try {
      const checkpoints = CheckpointService.forCore(core, {});
      const all = await checkpoints.all();
      const [handover, after] = all.slice(-2);
      expect(parseNote(handover.note!).signatures).toHaveLength(2);
      expect(handover.note).toMatch(/\nkey custody-ledger\/[0-9a-f]+\+[0-9a-f]{8}\+/);
      expect(parseNote(after.note!).signatures).toHaveLength(1);
      expect(after.keyId).toBe(keyIdOf(newPub));

      const pinnedOld = await verifyLedgerIntegrity(core.store, { publicKeyPem: oldPub });
      expect(pinnedOld.ok).toBe(true);
      expect(pinnedOld.keyHandovers).toEqual([{ treeSize: handover.treeSize, keyId: keyIdOf(newPub) }]);
      // Pinned to the new key alone, the checkpoints before the hand-over are not its: named, not accepted.
      const pinnedNew = await verifyLedgerIntegrity(core.store, { publicKeyPem: newPub });
      expect(pinnedNew.ok).toBe(false);
      expect(pinnedNew.firstFailure?.reason).toBe('bad-signature');

      // A bundle exported after the rotation verifies from the old pin through the hand-over it carries.
      await registerOneItem(core);
      const bundle = await exportBundle(core, checkpoints, 'doc-rot');
      expect(bundle.keyHandovers).toHaveLength(1);
      expect(verifyBundle(bundle, oldPub).failures).toEqual([]);
      expect(verifyBundle({ ...bundle, keyHandovers: [] }, oldPub).ok).toBe(false);
      // Someone else's key is not accepted, hand-overs or not.
      const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(verifyBundle(bundle, stranger).ok).toBe(false);
    } finally {
      await core.close();
    }
  });

  it('the retired key is refused after the hand-over: a checkpoint it signs later does not verify', async () => {
    const dataDir = path.join(dir, 'data2');
    await buildLedger(dataDir);
    const oldPub = fs.readFileSync(path.join(dataDir, PUBLIC_KEY_FILE), 'utf8');
    const oldPrivate = fs.readFileSync(path.join(dataDir, 'signing-key.pem'), 'utf8');
    const newKeyFile = path.join(dir, 'next2.pem');
    fs.writeFileSync(newKeyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await rotateKeyCommand({ dataDir, newKey: newKeyFile })).toBe(0);
    jest.restoreAllMocks();
    // Whoever still holds the old key puts it back and signs on.
    fs.writeFileSync(path.join(dataDir, 'signing-key.pem'), oldPrivate);
    await extendLedger(dataDir, 700, 2, '2026-06-01T12:00:00Z');
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-06-01T12:05:00Z') });
    try {
      const result = await verifyLedgerIntegrity(core.store, { publicKeyPem: oldPub });
      expect(result.ok).toBe(false);
      expect(result.firstFailure).toMatchObject({ reason: 'bad-signature' });
    } finally {
      await core.close();
    }
  });
});

const registerOneItem = async (core: LedgerCore) => {
  const admin = { name: 'admin', roles: ['registrar', 'custodian', 'admin', 'secrecy-officer'] as never };
  await core.execute(
    'RegisterPerson',
    { data: { personId: 'p-rot', name: 'Rot', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
    admin,
  );
  const r = await core.execute(
    'RegisterReceivedItem',
    {
      data: {
        itemId: 'doc-rot',
        title: 'rotation test',
        level: 'SECRET',
        periodYears: 10,
        basis: 'catalogue 2.1',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-rot',
        scope: { persons: [] },
      },
    },
    admin,
  );
  expect(r.events.length).toBeGreaterThan(0);
};
