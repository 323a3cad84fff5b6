import { generateKeyPairSync } from 'node:crypto';
import {
  CheckpointKeyChain,
  checkpointNoteFacts,
  fromPem,
  ledgerVkey,
  signCheckpointNote,
  verifyCheckpoint,
  type SignedCheckpoint,
} from './checkpoint-signer';
import { parseNote, verifierFromVkey, verifyNote } from '../note/signed-note';

const newKey = () =>
  fromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const origin = 'custody-ledger/0a1b2c3d4e5f6071';
const body = (treeSize: number) => ({
  treeSize,
  rootHash: treeSize.toString(16).padStart(2, '0').repeat(32),
  position: treeSize * 3,
  signedAt: '2026-12-01T09:00:00.000Z',
  origin,
  streamsRoot: 'cd'.repeat(32),
});

describe('checkpoint notes (C2SP tlog-checkpoint, contract §4.1)', () => {
  const key = newKey();

  it('is origin, size, base64 root, the streams line, a blank line and the ledger key signature', () => {
    const cp = signCheckpointNote(body(12), key);
    const root64 = Buffer.from(body(12).rootHash, 'hex').toString('base64');
    const streams64 = Buffer.from('cd'.repeat(32), 'hex').toString('base64');
    expect(cp.note!.startsWith(`${origin}\n12\n${root64}\nstreams ${streams64}\n\n\u2014 ${origin} `)).toBe(true);
    expect(parseNote(cp.note!).signatures).toHaveLength(1);
    // Any C2SP verifier configured with the ledger's vkey reads it.
    expect(verifyNote(cp.note!, [verifierFromVkey(ledgerVkey(origin, key.publicKeyPem))]).verified).toEqual([origin]);
    expect(verifyCheckpoint(cp, key.publicKeyPem)).toBe(true);
  });

  it('a record whose facts differ from its note, or another key, does not verify', () => {
    const cp = signCheckpointNote(body(12), key);
    expect(verifyCheckpoint({ ...cp, treeSize: 13 }, key.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint({ ...cp, streamsRoot: 'ef'.repeat(32) }, key.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint(cp, newKey().publicKeyPem)).toBe(false);
    const tampered = cp.note!.replace('\n12\n', '\n13\n');
    expect(verifyCheckpoint({ ...cp, treeSize: 13, note: tampered }, key.publicKeyPem)).toBe(false);
  });

  it('a hand-over is signed by both keys and names the new one; a chain from the pinned key follows it', () => {
    const next = newKey();
    const before = signCheckpointNote(body(10), key);
    const handover = signCheckpointNote(body(20), key, next);
    const after = signCheckpointNote(body(30), next);
    expect(parseNote(handover.note!).signatures).toHaveLength(2);
    expect(checkpointNoteFacts(handover.note!).handoverVkey).toBe(ledgerVkey(origin, next.publicKeyPem));
    const chain = new CheckpointKeyChain(key.publicKeyPem);
    expect(chain.accept(before).ok).toBe(true);
    expect(chain.accept(handover)).toMatchObject({ ok: true, handedOverTo: next.publicKeyPem });
    expect(chain.accept(after).ok).toBe(true);
    // The old key is retired: a checkpoint it signs after the hand-over is refused.
    expect(chain.accept(signCheckpointNote(body(40), key))).toMatchObject({ ok: false });
    // Without the hand-over, the new key's checkpoints do not verify from the pinned key.
    expect(new CheckpointKeyChain(key.publicKeyPem).accept(after).ok).toBe(false);
  });

  it('a hand-over line the new key did not sign hands over nothing', () => {
    const next = newKey();
    const forged = signCheckpointNote(body(20), key, next);
    // Keep only the old key's signature line: the note names a key that never signed it.
    const lines = forged.note!.split('\n');
    const oneSig = lines.slice(0, lines.length - 2).join('\n') + '\n';
    const cp: SignedCheckpoint = { ...forged, note: oneSig };
    expect(verifyCheckpoint(cp, key.publicKeyPem)).toBe(true);
    expect(new CheckpointKeyChain(key.publicKeyPem).accept(cp)).toMatchObject({ ok: false });
  });
});
