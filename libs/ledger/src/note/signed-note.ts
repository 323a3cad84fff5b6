/**
 * C2SP signed-note (https://c2sp.org/signed-note): a text ending in a newline, a blank line, then one signature line
 * per key: `— <key name> base64(4-byte key ID ‖ signature)`. Ed25519 keys (type 0x01) sign the text itself; the
 * key ID is the first four bytes of SHA-256(key name ‖ 0x0A ‖ type ‖ 32-byte public key). Verifier keys ("vkeys")
 * are `<name>+<hex key ID>+<base64(type ‖ public key)>`.
 *
 * Written here rather than taken from a package: no maintained npm package implements signed notes (the reference
 * is Go's golang.org/x/mod/sumdb/note); the format is a few lines over node:crypto, and the spec tests hold it to
 * the C2SP examples.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Signature type bytes assigned by C2SP signed-note. */
export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

const EM_DASH = '\u2014';
/** At least 16 signatures must be accepted (signed-note §Signatures); more is refused as malformed. */
export const MAX_NOTE_SIGNATURES = 64;

/** Thrown for text that is not a well-formed signed note (or note text), naming what is wrong. */
export class NoteFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteFormatError';
  }
}

/** The 32 raw bytes of an Ed25519 public key (RFC 8032 encoding). */
export const rawEd25519PublicKey = (key: KeyObject): Buffer => {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('an Ed25519 key is required');
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
  return Buffer.from(jwk.x, 'base64url');
};

/** An Ed25519 public KeyObject from its 32 raw bytes. */
export const ed25519PublicKeyFromRaw = (raw: Buffer): KeyObject => {
  if (raw.length !== 32) throw new TypeError(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
};

/** Key names are non-empty and contain no Unicode space and no '+'. */
export const isValidKeyName = (name: string): boolean => name.length > 0 && !/[\s+]/u.test(name);

/** The 4-byte key ID: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export const noteKeyId = (name: string, type: number, publicKey: Buffer): Buffer => {
  if (!isValidKeyName(name)) throw new TypeError(`invalid key name ${JSON.stringify(name)}`);
  return createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, type]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
};

/** Something that signs a note's text: its name, key ID and the signature bytes that follow the key ID. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: Buffer;
  sign(text: string): Buffer;
}

/** Something that verifies a signature line of its name and key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Buffer;
  /** `signature` is what follows the 4-byte key ID in the signature line. */
  verify(text: string, signature: Buffer): boolean;
}

/** An Ed25519 (type 0x01) note signer named `name`. */
export const ed25519NoteSigner = (name: string, privateKey: KeyObject | string): NoteSigner => {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const keyId = noteKeyId(name, SIG_TYPE_ED25519, rawEd25519PublicKey(key));
  return { name, keyId, sign: (text) => sign(null, Buffer.from(text, 'utf8'), key) };
};

/** An Ed25519 (type 0x01) note verifier for the key `name` (public key as KeyObject, SPKI PEM or 32 raw bytes). */
export const ed25519NoteVerifier = (name: string, publicKey: KeyObject | string | Buffer): NoteVerifier => {
  const key = Buffer.isBuffer(publicKey)
    ? ed25519PublicKeyFromRaw(publicKey)
    : typeof publicKey === 'string'
      ? createPublicKey(publicKey)
      : publicKey;
  const keyId = noteKeyId(name, SIG_TYPE_ED25519, rawEd25519PublicKey(key));
  return {
    name,
    keyId,
    verify: (text, signature) => {
      if (signature.length !== 64) return false;
      try {
        return verify(null, Buffer.from(text, 'utf8'), key, signature);
      } catch {
        return false;
      }
    },
  };
};

/** The vkey of a public key: `<name>+<hex key ID>+<base64(type ‖ public key)>`. */
export const formatVkey = (name: string, publicKey: KeyObject | Buffer, type = SIG_TYPE_ED25519): string => {
  const raw = Buffer.isBuffer(publicKey) ? publicKey : rawEd25519PublicKey(publicKey);
  return `${name}+${noteKeyId(name, type, raw).toString('hex')}+${Buffer.concat([Buffer.from([type]), raw]).toString('base64')}`;
};

export interface ParsedVkey {
  name: string;
  keyId: Buffer;
  type: number;
  publicKey: Buffer;
}

/** Parses a vkey; throws NoteFormatError when it is malformed or its key ID does not match its key. */
export const parseVkey = (vkey: string): ParsedVkey => {
  // Base64 may itself hold '+': the name ends at the first '+', the key id is the next 8 hex digits.
  const m = /^([^+]+)\+([^+]*)\+(.*)$/s.exec(vkey.trim());
  if (!m) throw new NoteFormatError('a vkey is <name>+<hex key id>+<base64 key>');
  const [, name, idHex, keyB64] = m;
  if (!isValidKeyName(name)) throw new NoteFormatError(`invalid key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteFormatError('the key id of a vkey is 8 lowercase hex digits');
  const material = Buffer.from(keyB64, 'base64');
  if (material.toString('base64') !== keyB64 || material.length < 2)
    throw new NoteFormatError('the key of a vkey is standard base64');
  const type = material[0];
  const publicKey = material.subarray(1);
  const keyId = noteKeyId(name, type, publicKey);
  if (keyId.toString('hex') !== idHex) throw new NoteFormatError(`the vkey's key id ${idHex} does not match its key`);
  return { name, keyId, type, publicKey };
};

/** An Ed25519 note verifier from a vkey of type 0x01. */
export const verifierFromVkey = (vkey: string): NoteVerifier => {
  const parsed = parseVkey(vkey);
  if (parsed.type !== SIG_TYPE_ED25519)
    throw new NoteFormatError(`vkey type 0x${parsed.type.toString(16)} is not Ed25519 (0x01)`);
  return ed25519NoteVerifier(parsed.name, parsed.publicKey);
};

export interface NoteSignature {
  name: string;
  /** The 4-byte key ID, hex. */
  keyId: string;
  /** What follows the key ID (the algorithm's signature bytes). */
  signature: Buffer;
  /** The whole line, without its newline. */
  line: string;
}

export interface ParsedNote {
  /** The signed text, including its final newline. */
  text: string;
  signatures: NoteSignature[];
}

// Newline is the only control character a note may hold (C2SP signed-note).
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused.
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

/** Checks that `text` can be note text: ends in a newline, no control characters but newline. */
export const checkNoteText = (text: string): void => {
  if (!text.endsWith('\n')) throw new NoteFormatError('note text must end in a newline');
  if (CONTROL.test(text)) throw new NoteFormatError('note text holds a control character');
};

/** One signature line `— name base64(keyId ‖ signature)` (no newline); throws NoteFormatError when malformed. */
export const parseSignatureLine = (line: string): NoteSignature => {
  const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
  if (!m) throw new NoteFormatError(`not a signature line: ${JSON.stringify(line.slice(0, 80))}`);
  const [, name, b64] = m;
  if (!isValidKeyName(name)) throw new NoteFormatError(`invalid key name ${JSON.stringify(name)}`);
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64 || bytes.length < 5)
    throw new NoteFormatError(`the signature of ${name} is not standard base64 of at least 5 bytes`);
  return { name, keyId: bytes.subarray(0, 4).toString('hex'), signature: bytes.subarray(4), line };
};

/** Formats a signature line (with its newline). */
export const formatSignatureLine = (name: string, keyId: Buffer, signature: Buffer): string =>
  `${EM_DASH} ${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;

/** Splits a signed note into its text and signature lines; throws NoteFormatError when malformed. */
export const parseNote = (note: string): ParsedNote => {
  if (CONTROL.test(note)) throw new NoteFormatError('a note holds a control character');
  if (!note.endsWith('\n')) throw new NoteFormatError('a note ends in a newline');
  // The text is separated from the signatures by the last blank line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteFormatError('a note has a blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines[0] === '') throw new NoteFormatError('a note has at least one signature');
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw new NoteFormatError(`a note with more than ${MAX_NOTE_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
};

/** Signs `text` with each signer: the note text, a blank line, one signature line each. */
export const signNote = (text: string, signers: readonly NoteSigner[]): string => {
  checkNoteText(text);
  if (signers.length === 0) throw new TypeError('a note needs at least one signer');
  return `${text}\n${signers.map((s) => formatSignatureLine(s.name, s.keyId, s.sign(text))).join('')}`;
};

/** Adds signature lines (e.g. cosignatures returned by a witness) to a signed note. */
export const addSignatureLines = (note: string, lines: readonly string[]): string =>
  note + lines.map((l) => (l.endsWith('\n') ? l : `${l}\n`)).join('');

export interface NoteVerification {
  text: string;
  /** Names of the verifiers whose signature verified. */
  verified: string[];
}

/**
 * Verifies a signed note per C2SP signed-note: signatures of unknown keys (name and key ID not both matching a
 * verifier) are ignored; a known key whose signature fails rejects the whole note; at least one known signature
 * must verify. Throws NoteFormatError for a malformed note, NoteVerificationError otherwise.
 */
export const verifyNote = (note: string | ParsedNote, verifiers: readonly NoteVerifier[]): NoteVerification => {
  const parsed = typeof note === 'string' ? parseNote(note) : note;
  const verified: string[] = [];
  for (const sig of parsed.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId.toString('hex') === sig.keyId);
    if (!v) continue;
    if (!v.verify(parsed.text, sig.signature))
      throw new NoteVerificationError(`the signature of ${sig.name} (key ${sig.keyId}) does not verify`, 'bad');
    if (!verified.includes(v.name)) verified.push(v.name);
  }
  if (verified.length === 0)
    throw new NoteVerificationError(
      `no signature by a known key (${verifiers.map((v) => `${v.name}+${v.keyId.toString('hex')}`).join(', ') || 'none given'})`,
      'unsigned',
    );
  return { text: parsed.text, verified };
};

/** A note that does not verify: `bad` when a known key's signature fails, `unsigned` when no known key signed. */
export class NoteVerificationError extends Error {
  constructor(
    message: string,
    readonly kind: 'bad' | 'unsigned',
  ) {
    super(message);
    this.name = 'NoteVerificationError';
  }
}
