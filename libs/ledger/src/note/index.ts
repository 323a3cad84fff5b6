export {
  MAX_NOTE_SIGNATURES,
  NoteFormatError,
  NoteVerificationError,
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
  addSignatureLines,
  checkNoteText,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519PublicKeyFromRaw,
  formatSignatureLine,
  formatVkey,
  isValidKeyName,
  noteKeyId,
  parseNote,
  parseSignatureLine,
  parseVkey,
  rawEd25519PublicKey,
  signNote,
  verifierFromVkey,
  verifyNote,
} from './signed-note';
export type { NoteSignature, NoteSigner, NoteVerification, NoteVerifier, ParsedNote, ParsedVkey } from './signed-note';
export { base64ToHex, formatCheckpointText, hexToBase64, parseCheckpointText, parseDecimal } from './tlog-checkpoint';
export type { CheckpointText } from './tlog-checkpoint';
export { cosignatureMessage, ed25519CosignatureVerifier, ed25519Cosigner, isCosignatureBy } from './cosignature';
export type { CosignatureVerifier, Cosigner } from './cosignature';
