/**
 * Signed checkpoints of the Merkle log (contract §4): Ed25519 over the RFC 8785 canonical JSON of
 * `{treeSize, rootHash, position, signedAt}`. Anyone holding the public key can check one offline.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync, existsSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from './canonical-json';
import { isHashHex, sha256Hex } from './event-hash';
import {
  NoteFormatError,
  NoteVerificationError,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519PublicKeyFromRaw,
  formatVkey,
  parseNote,
  parseVkey,
  signNote,
  verifyNote,
} from '../note/signed-note';
import { formatCheckpointText, hexToBase64, parseCheckpointText, base64ToHex } from '../note/tlog-checkpoint';

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
  /** `custody-ledger/<ledgerId>`: the first line of the note (contract §4.1). Absent on checkpoints before v2. */
  origin?: string;
  /** Root of the stream-heads tree at `treeSize` (hex), the note's `streams` extension line. */
  streamsRoot?: string;
  /**
   * The C2SP tlog-checkpoint signed note with the same facts, signed by the ledger key (two signatures on a key
   * hand-over). When present it is the signed artefact: {@link verifyCheckpoint} checks it, not `signature`.
   */
  note?: string;
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

/** Extension line prefixes of our checkpoint notes. */
const STREAMS_PREFIX = 'streams ';
const KEY_PREFIX = 'key ';

/** The facts a checkpoint note carries, read back from its text. */
export interface CheckpointNoteFacts {
  origin: string;
  treeSize: number;
  rootHash: string;
  streamsRoot?: string;
  /** The vkey of the key this checkpoint hands over to (a `key <vkey>` extension line), if any. */
  handoverVkey?: string;
}

/** Reads the facts of a checkpoint note (its text); throws NoteFormatError when malformed. */
export const checkpointNoteFacts = (note: string): CheckpointNoteFacts & { text: string } => {
  const { text } = parseNote(note);
  const cp = parseCheckpointText(text);
  const streams = cp.extensions.find((e) => e.startsWith(STREAMS_PREFIX));
  const key = cp.extensions.find((e) => e.startsWith(KEY_PREFIX));
  return {
    text,
    origin: cp.origin,
    treeSize: cp.treeSize,
    rootHash: cp.rootHash,
    ...(streams ? { streamsRoot: base64ToHex(streams.slice(STREAMS_PREFIX.length), 'the streams root') } : {}),
    ...(key ? { handoverVkey: key.slice(KEY_PREFIX.length) } : {}),
  };
};

/** The note verifier of a ledger key: its name is the checkpoint origin (tlog-checkpoint §Signatures). */
export const ledgerNoteVerifier = (origin: string, publicKeyPem: string) => ed25519NoteVerifier(origin, publicKeyPem);

/** The vkey of a ledger key under `origin`: what a witness or a verifier can be configured with. */
export const ledgerVkey = (origin: string, publicKeyPem: string): string =>
  formatVkey(origin, createPublicKey(publicKeyPem));

/**
 * Signs a checkpoint as a C2SP note and as the JSON record (contract §4.1): text `origin`, size, base64 root,
 * `streams <base64 root>`, and, on a key hand-over, `key <vkey of the new key>`; signed by `key` and, on a
 * hand-over, by `handoverTo` as well, so the old key vouches for the new one and the new one shows it is held.
 */
export function signCheckpointNote(
  body: CheckpointBody & { origin: string; streamsRoot: string },
  key: Pick<SigningKey, 'privateKey' | 'keyId' | 'publicKeyPem'>,
  handoverTo?: Pick<SigningKey, 'privateKey' | 'publicKeyPem'>,
): SignedCheckpoint {
  if (!isHashHex(body.streamsRoot)) throw new RangeError('streamsRoot must be 64 lowercase hex characters');
  const json = signCheckpoint(body, key);
  const extensions = [`${STREAMS_PREFIX}${hexToBase64(body.streamsRoot)}`];
  if (handoverTo) extensions.push(`${KEY_PREFIX}${ledgerVkey(body.origin, handoverTo.publicKeyPem)}`);
  const text = formatCheckpointText({
    origin: body.origin,
    treeSize: body.treeSize,
    rootHash: body.rootHash,
    extensions,
  });
  const signers = [ed25519NoteSigner(body.origin, key.privateKey)];
  if (handoverTo) signers.push(ed25519NoteSigner(body.origin, handoverTo.privateKey));
  return { ...json, origin: body.origin, streamsRoot: body.streamsRoot, note: signNote(text, signers) };
}

/** Why a checkpoint's note does not hold, or null when its facts match the record and `publicKeyPem` signed it. */
export function checkpointNoteProblem(signed: SignedCheckpoint, publicKeyPem: string): string | null {
  if (typeof signed.note !== 'string') return 'no note';
  try {
    const facts = checkpointNoteFacts(signed.note);
    if (
      facts.origin !== signed.origin ||
      facts.treeSize !== signed.treeSize ||
      facts.rootHash !== signed.rootHash ||
      facts.streamsRoot !== signed.streamsRoot
    )
      return 'the note and the JSON record state different facts';
    verifyNote(signed.note, [ledgerNoteVerifier(facts.origin, publicKeyPem)]);
    return null;
  } catch (e) {
    if (e instanceof NoteFormatError || e instanceof NoteVerificationError) return e.message;
    throw e;
  }
}

/**
 * True when `signed` is signed by the key `publicKeyPem` (SPKI PEM): the Ed25519 signature over its four JSON body
 * fields with a `keyId` naming that key, and, when it has one (v2, contract §4.1), its note — whose facts must be the
 * record's. False for any tampered field, another key, or a malformed signature. Throws only when
 * `publicKeyPem` itself is not a public key.
 */
export function verifyCheckpoint(signed: SignedCheckpoint, publicKeyPem: string): boolean {
  const publicKey = createPublicKey(publicKeyPem);
  if (signed === null || typeof signed !== 'object') return false;
  // A v2 checkpoint carries both: the note (what witnesses and C2SP tools check) and the JSON signature over the same
  // facts by the same key; both must hold, so neither can be edited alone.
  if (typeof signed.note === 'string' && checkpointNoteProblem(signed, publicKeyPem) !== null) return false;
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

/** The outcome of holding one checkpoint to a {@link CheckpointKeyChain}. */
export interface KeyChainStep {
  ok: boolean;
  /** Why it does not verify. */
  detail?: string;
  /** Set when this checkpoint handed the ledger over to a new key: its SPKI PEM. */
  handedOverTo?: string;
}

/**
 * Follows key hand-overs from a pinned key (contract §4.1 key rotation): each checkpoint must be signed by the key
 * in effect; a checkpoint whose note names a new key (`key <vkey>`) and carries that key's valid signature as well
 * hands over to it, and from then on only the new key is accepted (the old one is retired).
 */
export class CheckpointKeyChain {
  private pem: string;
  readonly handovers: { treeSize: number; keyId: string }[] = [];

  constructor(pinnedPublicKeyPem: string) {
    this.pem = createPublicKey(pinnedPublicKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  }

  /** SPKI PEM of the key in effect. */
  get currentPem(): string {
    return this.pem;
  }

  accept(cp: SignedCheckpoint): KeyChainStep {
    if (!verifyCheckpoint(cp, this.pem)) {
      const detail =
        typeof cp?.note === 'string'
          ? (checkpointNoteProblem(cp, this.pem) ?? 'does not verify')
          : 'its signature does not verify';
      return { ok: false, detail: `${detail} (key in effect ${keyIdOf(this.pem)})` };
    }
    if (typeof cp.note !== 'string') return { ok: true };
    const { handoverVkey, origin } = checkpointNoteFacts(cp.note);
    if (!handoverVkey) return { ok: true };
    let nextPem: string;
    try {
      const parsed = parseVkey(handoverVkey);
      if (parsed.name !== origin)
        return { ok: false, detail: `the hand-over key is named ${parsed.name}, not ${origin}` };
      nextPem = ed25519PublicKeyFromRaw(parsed.publicKey).export({ type: 'spki', format: 'pem' }).toString();
    } catch (e) {
      return { ok: false, detail: `malformed hand-over key: ${(e as Error).message}` };
    }
    if (nextPem === this.pem) return { ok: true };
    const problem = checkpointNoteProblem(cp, nextPem);
    if (problem) return { ok: false, detail: `hands over to a key that did not sign it: ${problem}` };
    this.pem = nextPem;
    this.handovers.push({ treeSize: cp.treeSize, keyId: keyIdOf(nextPem) });
    return { ok: true, handedOverTo: nextPem };
  }
}
