import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  NoteFormatError,
  NoteVerificationError,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatVkey,
  parseNote,
  parseVkey,
  rawEd25519PublicKey,
  signNote,
  verifierFromVkey,
  verifyNote,
} from './signed-note';
import { formatCheckpointText, parseCheckpointText } from './tlog-checkpoint';
import { cosignatureMessage, ed25519CosignatureVerifier, ed25519Cosigner, isCosignatureBy } from './cosignature';

// The example of C2SP signed-note §Verifier keys.
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_NOTE =
  'This is an example message.\n\n' +
  '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

/**
 * Verifies an Ed25519 signature with @noble/ed25519 (an implementation independent of node:crypto/OpenSSL), in a
 * child process: the package is ESM-only and jest's CommonJS loader cannot import it, plain node can.
 */
const nobleVerify = (signature: Buffer, message: Buffer, publicKey: Buffer): boolean => {
  const script = `
    const ed = require('@noble/ed25519');
    const { createHash } = require('node:crypto');
    ed.etc.sha512Sync = (...m) => createHash('sha512').update(ed.etc.concatBytes(...m)).digest();
    const [sig, msg, pub] = process.argv.slice(1).map((h) => Buffer.from(h, 'hex'));
    process.stdout.write(String(ed.verify(sig, msg, pub)));`;
  const out = execFileSync(
    process.execPath,
    ['-e', script, signature.toString('hex'), message.toString('hex'), publicKey.toString('hex')],
    { cwd: process.cwd(), encoding: 'utf8' },
  );
  return out === 'true';
};

describe('C2SP signed-note', () => {
  it('verifies the example note of the spec with its vkey', () => {
    const v = verifierFromVkey(C2SP_VKEY);
    expect(v.keyId.toString('hex')).toBe('530d903a');
    expect(verifyNote(C2SP_NOTE, [v])).toEqual({
      text: 'This is an example message.\n',
      verified: ['example.com/foo'],
    });
    // One changed character of the text and the known key's signature fails: the whole note is rejected.
    expect(() => verifyNote(C2SP_NOTE.replace('example message', 'example messagE'), [v])).toThrow(
      NoteVerificationError,
    );
  });

  it('computes the key ID as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4] and round-trips the vkey', () => {
    const parsed = parseVkey(C2SP_VKEY);
    expect(formatVkey(parsed.name, parsed.publicKey)).toBe(C2SP_VKEY);
    expect(() => parseVkey(C2SP_VKEY.replace('530d903a', '530d903b'))).toThrow(/does not match/);
  });

  it('signs the exact note bytes; an independent Ed25519 (@noble/ed25519) accepts the signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const text = 'custody-ledger/3f1c\n42\n' + Buffer.alloc(32, 7).toString('base64') + '\n';
    const note = signNote(text, [ed25519NoteSigner('custody-ledger/3f1c', privateKey)]);
    const [sig] = parseNote(note).signatures;
    expect(note.startsWith(text + '\n\u2014 custody-ledger/3f1c ')).toBe(true);
    expect(nobleVerify(sig.signature, Buffer.from(text, 'utf8'), rawEd25519PublicKey(publicKey))).toBe(true);
    expect(
      nobleVerify(sig.signature, Buffer.from(text.replace('42', '43'), 'utf8'), rawEd25519PublicKey(publicKey)),
    ).toBe(false);
  });

  it('ignores unknown keys, rejects a note with no known signature, keeps every verified name', () => {
    const a = generateKeyPairSync('ed25519');
    const b = generateKeyPairSync('ed25519');
    const text = 'hello\n';
    const note = signNote(text, [
      ed25519NoteSigner('a.example', a.privateKey),
      ed25519NoteSigner('b.example', b.privateKey),
    ]);
    expect(verifyNote(note, [ed25519NoteVerifier('b.example', b.publicKey)]).verified).toEqual(['b.example']);
    // Same name, other key: not the known key (the key ID differs), so ignored; nothing else known.
    const other = generateKeyPairSync('ed25519');
    expect(() => verifyNote(note, [ed25519NoteVerifier('a.example', other.publicKey)])).toThrow(
      /no signature by a known key/,
    );
  });

  it('refuses malformed notes', () => {
    expect(() => parseNote('no blank line\n\u2014 a AAAA\n')).toThrow(NoteFormatError);
    expect(() => parseNote('text\n\nnot a signature\n')).toThrow(NoteFormatError);
    expect(() => parseNote('te\u0001xt\n\n\u2014 a AAAAAAAA\n')).toThrow(/control/);
    expect(() => signNote('no newline', [])).toThrow(NoteFormatError);
  });
});

describe('C2SP tlog-checkpoint text', () => {
  it('formats origin, size, base64 root and extension lines, and parses them back', () => {
    const root = 'a'.repeat(64);
    const text = formatCheckpointText({
      origin: 'custody-ledger/x',
      treeSize: 10,
      rootHash: root,
      extensions: ['streams QUJD'],
    });
    expect(text).toBe(`custody-ledger/x\n10\n${Buffer.from(root, 'hex').toString('base64')}\nstreams QUJD\n`);
    expect(parseCheckpointText(text)).toEqual({
      origin: 'custody-ledger/x',
      treeSize: 10,
      rootHash: root,
      extensions: ['streams QUJD'],
    });
    expect(() => parseCheckpointText('o\n010\n' + Buffer.alloc(32).toString('base64') + '\n')).toThrow(
      /leading zeroes/,
    );
    expect(() => parseCheckpointText('o\n10\nAAAA\n')).toThrow(/32 bytes/);
  });
});

describe('C2SP tlog-cosignature (cosignature/v1, Ed25519)', () => {
  it('signs "cosignature/v1\\ntime T\\n" ‖ checkpoint text, with key ID (type 0x04) ‖ u64 timestamp ‖ signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const text = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const line = ed25519Cosigner('witness.example/w1', privateKey).cosign(text, 1679315147);
    const [sig] = parseNote(`${text}\n${line}`).signatures;
    const verifier = ed25519CosignatureVerifier('witness.example/w1', publicKey);
    expect(sig.keyId).toBe(verifier.keyId.toString('hex'));
    expect(sig.signature.readBigUInt64BE(0)).toBe(1679315147n);
    expect(cosignatureMessage(1679315147, text).toString()).toBe(`cosignature/v1\ntime 1679315147\n${text}`);
    expect(
      nobleVerify(sig.signature.subarray(8), cosignatureMessage(1679315147, text), rawEd25519PublicKey(publicKey)),
    ).toBe(true);
    expect(isCosignatureBy(verifier, text, sig)).toBe(true);
    expect(isCosignatureBy(verifier, text.replace('20852163', '20852164'), sig)).toBe(false);
    // A cosignature is not an Ed25519 note signature of the same key: the key IDs differ by the type byte.
    expect(verifier.keyId.equals(ed25519NoteVerifier('witness.example/w1', publicKey).keyId)).toBe(false);
  });
});
