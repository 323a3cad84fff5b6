import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  checkpointSigningInput,
  fromPem,
  keyIdOf,
  loadOrCreateSigningKey,
  signCheckpoint,
  verifyCheckpoint,
  type CheckpointBody,
} from './checkpoint-signer';

const body: CheckpointBody = {
  treeSize: 1024,
  rootHash: 'ab'.repeat(32),
  position: 88_231,
  signedAt: '2026-03-02T09:00:00.000Z',
};

describe('a signing key directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gets a fresh Ed25519 key on first use, private file mode 0600', () => {
    const keyDir = join(dir, 'nested', 'data');
    const key = loadOrCreateSigningKey(keyDir);
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(statSync(join(keyDir, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(keyDir, PRIVATE_KEY_FILE), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(join(keyDir, PUBLIC_KEY_FILE), 'utf8')).toBe(key.publicKeyPem);
    expect(key.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('keeps the same key on later use', () => {
    const first = loadOrCreateSigningKey(dir);
    const again = loadOrCreateSigningKey(dir);
    expect(again.keyId).toBe(first.keyId);
    expect(again.publicKeyPem).toBe(first.publicKeyPem);
  });

  it('derives the key id from the SPKI DER of the public key', () => {
    const key = loadOrCreateSigningKey(dir);
    const der = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' });
    expect(key.keyId).toBe(createHash('sha256').update(der).digest('hex').slice(0, 16));
    expect(keyIdOf(key.publicKeyPem)).toBe(key.keyId);
  });

  it('loads the same key from its PEM', () => {
    const key = loadOrCreateSigningKey(dir);
    const loaded = fromPem(readFileSync(join(dir, PRIVATE_KEY_FILE), 'utf8'));
    expect(loaded.keyId).toBe(key.keyId);
  });
});

describe('a checkpoint signed with the ledger key', () => {
  const key = fromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const signed = signCheckpoint(body, key);

  it('carries the body, the key id and a signature that verifies with the public key', () => {
    expect(signed).toMatchObject({ ...body, keyId: key.keyId });
    expect(verifyCheckpoint(signed, key.publicKeyPem)).toBe(true);
  });

  it('is signed over the canonical JSON of the four body fields', () => {
    expect(checkpointSigningInput(body).toString('utf8')).toBe(
      `{"position":88231,"rootHash":"${'ab'.repeat(32)}","signedAt":"2026-03-02T09:00:00.000Z","treeSize":1024}`,
    );
    // Checked with node:crypto directly, as an offline auditor would.
    expect(
      verify(
        null,
        checkpointSigningInput(body),
        createPublicKey(key.publicKeyPem),
        Buffer.from(signed.signature, 'base64'),
      ),
    ).toBe(true);
  });

  it.each([
    ['treeSize', { treeSize: 1025 }],
    ['rootHash', { rootHash: 'ac' + 'ab'.repeat(31) }],
    ['position', { position: 88_232 }],
    ['signedAt', { signedAt: '2026-03-02T09:00:01.000Z' }],
    ['keyId', { keyId: '0000000000000000' }],
    ['signature', { signature: Buffer.alloc(64, 7).toString('base64') }],
  ])('does not verify with a tampered %s', (_field, change) => {
    expect(verifyCheckpoint({ ...signed, ...change }, key.publicKeyPem)).toBe(false);
  });

  it('does not verify with another key', () => {
    const other = fromPem(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect(verifyCheckpoint(signed, other.publicKeyPem)).toBe(false);
    // Not even when the forger also relabels the key id.
    expect(verifyCheckpoint({ ...signed, keyId: other.keyId }, other.publicKeyPem)).toBe(false);
  });

  it('ignores extra members: they are not signed and cannot change the signed bytes', () => {
    const withExtra = { ...signed, comment: 'anything' } as typeof signed;
    expect(verifyCheckpoint(withExtra, key.publicKeyPem)).toBe(true);
    expect(checkpointSigningInput(withExtra)).toEqual(checkpointSigningInput(body));
  });

  it('refuses a malformed body', () => {
    expect(() => signCheckpoint({ ...body, rootHash: 'nope' }, key)).toThrow(RangeError);
    expect(() => signCheckpoint({ ...body, treeSize: -1 }, key)).toThrow(RangeError);
    expect(() => signCheckpoint({ ...body, signedAt: 'yesterday' }, key)).toThrow(RangeError);
  });

  it('refuses a key that is not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => fromPem(rsa)).toThrow(/Ed25519/);
  });
});
