/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) note text: the origin line, the tree size in decimal
 * (no leading zeroes), the base64 RFC 6962 root hash, then optional non-empty extension lines. Hashes are
 * lowercase hex in this codebase and base64 only on the wire.
 */
import { isHashHex } from '../integrity/event-hash';
import { NoteFormatError, checkNoteText } from './signed-note';

export interface CheckpointText {
  origin: string;
  treeSize: number;
  /** Root hash, lowercase hex. */
  rootHash: string;
  /** Extension lines, without their newlines. */
  extensions: string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Base64 of a hex hash (32 bytes). */
export const hexToBase64 = (hex: string): string => {
  if (!isHashHex(hex)) throw new TypeError('a hash is 64 lowercase hex characters');
  return Buffer.from(hex, 'hex').toString('base64');
};

/** Hex of a base64 32-byte hash; throws NoteFormatError when it is not exactly that. */
export const base64ToHex = (b64: string, what = 'hash'): string => {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== b64)
    throw new NoteFormatError(`${what} must be the standard base64 of 32 bytes`);
  return bytes.toString('hex');
};

/** Parses a decimal size with no leading zeroes. */
export const parseDecimal = (s: string, what: string): number => {
  if (!DECIMAL.test(s)) throw new NoteFormatError(`${what} must be a decimal with no leading zeroes`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new NoteFormatError(`${what} is too large`);
  return n;
};

/** The note text of a checkpoint (ends in a newline). */
export const formatCheckpointText = (cp: CheckpointText): string => {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) throw new TypeError('the origin is one non-empty line');
  if (!Number.isSafeInteger(cp.treeSize) || cp.treeSize < 0) throw new RangeError('treeSize must be an integer >= 0');
  for (const e of cp.extensions)
    if (e.length === 0 || e.includes('\n')) throw new TypeError('an extension line is one non-empty line');
  const text = [cp.origin, String(cp.treeSize), hexToBase64(cp.rootHash), ...cp.extensions].join('\n') + '\n';
  checkNoteText(text);
  return text;
};

/** Parses checkpoint note text; throws NoteFormatError when it is not one. */
export const parseCheckpointText = (text: string): CheckpointText => {
  checkNoteText(text);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteFormatError('a checkpoint has at least three lines');
  const [origin, size, root, ...extensions] = lines;
  if (origin.length === 0) throw new NoteFormatError('the origin line is empty');
  if (extensions.some((e) => e.length === 0)) throw new NoteFormatError('an extension line is empty');
  return {
    origin,
    treeSize: parseDecimal(size, 'the tree size'),
    rootHash: base64ToHex(root, 'the root hash'),
    extensions,
  };
};
