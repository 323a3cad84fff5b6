/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the Ed25519 `cosignature/v1` type (0x04): the signed
 * message is `cosignature/v1\n`, `time <POSIX seconds>\n`, then the whole checkpoint note text; the signature line's
 * bytes are key ID (4) ‖ timestamp (u64 big-endian) ‖ Ed25519 signature (64).
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  SIG_TYPE_COSIGNATURE_V1,
  ed25519PublicKeyFromRaw,
  formatSignatureLine,
  noteKeyId,
  rawEd25519PublicKey,
  type NoteSignature,
  type NoteVerifier,
} from './signed-note';

/** The exact bytes a cosignature/v1 covers. */
export const cosignatureMessage = (timestamp: number, checkpointText: string): Buffer =>
  Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');

const timestampBytes = (timestamp: number): Buffer => {
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) throw new RangeError('a cosignature timestamp is > 0');
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(timestamp));
  return b;
};

export interface Cosigner {
  readonly name: string;
  readonly keyId: Buffer;
  /** The signature line (with newline) cosigning `checkpointText` at `timestamp` (POSIX seconds). */
  cosign(checkpointText: string, timestamp: number): string;
}

/** An Ed25519 cosigner named `name` (the witness's key name). */
export const ed25519Cosigner = (name: string, privateKey: KeyObject | string): Cosigner => {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const keyId = noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, rawEd25519PublicKey(key));
  return {
    name,
    keyId,
    cosign: (text, timestamp) => {
      const signature = sign(null, cosignatureMessage(timestamp, text), key);
      return formatSignatureLine(name, keyId, Buffer.concat([timestampBytes(timestamp), signature]));
    },
  };
};

/** A cosignature verifier that also tells the timestamp of a signature line it accepts. */
export interface CosignatureVerifier extends NoteVerifier {
  /** The timestamp (POSIX seconds) of a valid cosignature over `text`, or null. */
  timestampOf(text: string, signature: Buffer): number | null;
}

/** Verifies cosignature/v1 lines of the witness `name` with its Ed25519 public key (KeyObject, PEM or raw). */
export const ed25519CosignatureVerifier = (
  name: string,
  publicKey: KeyObject | string | Buffer,
): CosignatureVerifier => {
  const key = Buffer.isBuffer(publicKey)
    ? ed25519PublicKeyFromRaw(publicKey)
    : typeof publicKey === 'string'
      ? createPublicKey(publicKey)
      : publicKey;
  const keyId = noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, rawEd25519PublicKey(key));
  const timestampOf = (text: string, signature: Buffer): number | null => {
    if (signature.length !== 8 + 64) return null;
    const ts = signature.readBigUInt64BE(0);
    if (ts === 0n || ts > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    try {
      return verify(null, cosignatureMessage(Number(ts), text), key, signature.subarray(8)) ? Number(ts) : null;
    } catch {
      return null;
    }
  };
  return { name, keyId, timestampOf, verify: (text, signature) => timestampOf(text, signature) !== null };
};

/** True when `sig` (a parsed signature line) is a valid cosignature by `verifier` over `text`. */
export const isCosignatureBy = (verifier: CosignatureVerifier, text: string, sig: NoteSignature): boolean =>
  sig.name === verifier.name &&
  sig.keyId === verifier.keyId.toString('hex') &&
  verifier.timestampOf(text, sig.signature) !== null;
