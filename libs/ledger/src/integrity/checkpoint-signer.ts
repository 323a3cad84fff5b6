/**
 * Signed checkpoints of the Merkle log (DESIGN §4): Ed25519 over the RFC 8785 canonical JSON of
 * `{treeSize, rootHash, position, signedAt}`. Anyone holding the public key can check one offline.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync, existsSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from './canonical-json';
import { isHashHex, sha256Hex } from './event-hash';

/** File names inside the key directory (DATA_DIR by default). */
export const PRIVATE_KEY_FILE = 'signing-key.pem';
export const PUBLIC_KEY_FILE = 'signing-key.pub.pem';

export interface SigningKey {
  privateKey: KeyObject;
  /** SPKI PEM of the public key: what auditors need to verify checkpoints offline. */
  publicKeyPem: string;
  /** First 16 hex characters of sha256 over the public key's SPKI DER. */
  keyId: string;
}

/** What a checkpoint attests: the Merkle root of the first `treeSize` events, the last of them at `position`. */
export interface CheckpointBody {
  treeSize: number;
  rootHash: string;
  position: number;
  /** ISO-8601 instant of signing. */
  signedAt: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  keyId: string;
  /** Base64 Ed25519 signature over the UTF-8 bytes of `canonicalize(body)`. */
  signature: string;
}

/** Key id of a public key: first 16 hex chars of sha256 over its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return sha256Hex(key.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

function toSigningKey(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`the checkpoint key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** A signing key from a PKCS#8 PEM Ed25519 private key. */
export function fromPem(privatePem: string): SigningKey {
  return toSigningKey(createPrivateKey(privatePem));
}

/**
 * Loads the Ed25519 signing key from `dir` (`signing-key.pem`, PKCS#8), creating the directory and a fresh key
 * (mode 0600, plus `signing-key.pub.pem`, SPKI) on first use. Two processes starting together end up with the
 * same key: the private key file is created exclusively and the loser reads the winner's.
 */
export function loadOrCreateSigningKey(dir: string): SigningKey {
  mkdirSync(dir, { recursive: true });
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(privatePath)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      const fd = openSync(privatePath, 'wx', 0o600);
      try {
        writeSync(fd, pem);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const key = fromPem(readFileSync(privatePath, 'utf8'));
  // Keep the public file in step with the private key (written when missing or stale, e.g. after a key swap).
  const existingPublic = existsSync(publicPath) ? readFileSync(publicPath, 'utf8') : undefined;
  if (existingPublic !== key.publicKeyPem) {
    writeFileSync(publicPath, key.publicKeyPem, { mode: 0o644 });
    chmodSync(publicPath, 0o644);
  }
  return key;
}

function bodyOf(checkpoint: CheckpointBody): CheckpointBody {
  // Only these four fields are signed; extra members on the input can neither change nor forge a signature.
  return {
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash,
    position: checkpoint.position,
    signedAt: checkpoint.signedAt,
  };
}

/** The exact bytes a checkpoint signature covers: UTF-8 of the canonical JSON of the four body fields. */
export function checkpointSigningInput(checkpoint: CheckpointBody): Buffer {
  return Buffer.from(canonicalize(bodyOf(checkpoint)), 'utf8');
}

/** Signs a checkpoint body. Throws a RangeError for a malformed body. */
export function signCheckpoint(body: CheckpointBody, key: Pick<SigningKey, 'privateKey' | 'keyId'>): SignedCheckpoint {
  if (!Number.isSafeInteger(body.treeSize) || body.treeSize < 0)
    throw new RangeError('treeSize must be an integer >= 0');
  if (!isHashHex(body.rootHash)) throw new RangeError('rootHash must be 64 lowercase hex characters');
  if (!Number.isSafeInteger(body.position)) throw new RangeError('position must be an integer');
  if (typeof body.signedAt !== 'string' || Number.isNaN(Date.parse(body.signedAt))) {
    throw new RangeError('signedAt must be an ISO-8601 instant');
  }
  const signature = sign(null, checkpointSigningInput(body), key.privateKey).toString('base64');
  return { ...bodyOf(body), keyId: key.keyId, signature };
}

/**
 * True when `signed` carries a valid Ed25519 signature by the key `publicKeyPem` (SPKI PEM) over its four body
 * fields, and its `keyId` names that key. False for any tampered field, another key, or a malformed signature.
 * Throws only when `publicKeyPem` itself is not a public key.
 */
export function verifyCheckpoint(signed: SignedCheckpoint, publicKeyPem: string): boolean {
  const publicKey = createPublicKey(publicKeyPem);
  if (signed === null || typeof signed !== 'object') return false;
  if (signed.keyId !== keyIdOf(publicKey)) return false;
  if (typeof signed.signature !== 'string') return false;
  try {
    const signature = Buffer.from(signed.signature, 'base64');
    // Canonical base64 only: a re-encoded signature with different padding bits is not the signed artefact.
    if (signature.toString('base64') !== signed.signature) return false;
    return verify(null, checkpointSigningInput(signed), publicKey, signature);
  } catch {
    // A body that cannot be canonicalized (e.g. treeSize NaN) was not what was signed.
    return false;
  }
}
