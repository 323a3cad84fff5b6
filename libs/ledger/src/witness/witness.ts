/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness) for any log that signs C2SP checkpoints with Ed25519: it
 * co-signs (cosignature/v1) a checkpoint only when it is consistent with the latest one it co-signed for that
 * origin, and remembers that checkpoint durably before it answers. Every refusal has the status code the spec
 * gives and co-signs nothing. Generic: nothing here knows about custody.
 *
 * Key hand-overs: a checkpoint signed by a key the witness trusts that names a new key of its origin in a
 * `key <vkey>` extension line, and carries that key's valid signature too, hands the log over to the new key. Once
 * the witness has co-signed it, the new key is the only one it trusts for that origin: the keys that were trusted
 * before are retired (docs/decisions.md), both learnt and retired keys saved atomically with the cosignature.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { EMPTY_ROOT, verifyConsistency } from '../integrity/merkle';
import {
  NoteFormatError,
  NoteVerificationError,
  SIG_TYPE_ED25519,
  parseNote,
  parseVkey,
  verifierFromVkey,
  verifyNote,
  type NoteVerifier,
  type ParsedNote,
} from '../note/signed-note';
import { parseCheckpointText, type CheckpointText } from '../note/tlog-checkpoint';
import { ed25519Cosigner, type Cosigner } from '../note/cosignature';
import { parseAddCheckpoint } from './add-checkpoint';
import type { WitnessLogState, WitnessStateStore } from './witness-state';

/** Largest add-checkpoint body accepted (a note with 16 signatures and 63 proof lines is well under this). */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** An HTTP answer: the status, its content type and body. */
export interface WitnessResponse {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
}

export interface WitnessOptions {
  /** The witness's key name (its cosignature lines carry it), e.g. `witness.example/w1`. */
  name: string;
  privateKey: KeyObject | string;
  /** Origin → the log's note verifiers (several while a log rotates its key). */
  logs: ReadonlyMap<string, readonly NoteVerifier[]>;
  state: WitnessStateStore;
  /** POSIX seconds now (injectable for tests). */
  now?: () => number;
}

/** The extension line by which a checkpoint hands its log over to a new key (checkpoint-signer.ts writes it). */
const KEY_LINE = 'key ';

const text = (status: WitnessResponse['status'], body: string, contentType = 'text/plain; charset=utf-8') => ({
  status,
  contentType,
  body: body.endsWith('\n') ? body : `${body}\n`,
});

export class Witness {
  readonly cosigner: Cosigner;
  private readonly state: Record<string, WitnessLogState>;
  private readonly now: () => number;
  private lastTimestamp = 0;

  constructor(private readonly options: WitnessOptions) {
    this.cosigner = ed25519Cosigner(options.name, options.privateKey);
    this.state = options.state.load();
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The origin whose SHA-256 (lowercase hex) is `hash` among the logs this witness serves (monitoring URLs). */
  originByHash(hash: string): string | undefined {
    for (const origin of this.options.logs.keys())
      if (createHash('sha256').update(origin).digest('hex') === hash) return origin;
    return undefined;
  }

  /** The log keys trusted for `origin` now: the configured ones and those learnt from hand-overs, minus retired ones. */
  trustedKeys(origin: string): NoteVerifier[] {
    const s = this.state[origin];
    const retired = new Set(s?.retired ?? []);
    const all = [...(this.options.logs.get(origin) ?? []), ...(s?.keys ?? []).map((k) => verifierFromVkey(k))];
    const seen = new Set<string>();
    return all.filter((v) => {
      const id = v.keyId.toString('hex');
      if (retired.has(id) || seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  /** The latest checkpoint co-signed for `origin`, or undefined. */
  latest(origin: string): WitnessLogState | undefined {
    const s = this.state[origin];
    return s ? { ...s } : undefined;
  }

  /**
   * Handles one `POST /add-checkpoint` body. Synchronous from the check to the durable save and the signature:
   * Node runs one call at a time, so two requests for one origin can never both pass the old-size check against
   * the same state (the race the spec warns about) — concurrent calls are serialized by construction.
   */
  addCheckpoint(body: string): WitnessResponse {
    let request;
    let note;
    let cp;
    try {
      request = parseAddCheckpoint(body);
      note = parseNote(request.checkpoint);
      cp = parseCheckpointText(note.text);
    } catch (e) {
      if (e instanceof NoteFormatError) return text(400, `malformed request: ${e.message}`);
      throw e;
    }
    if (!this.options.logs.has(cp.origin)) return text(404, `unknown log origin ${cp.origin}`);
    const verifiers = this.trustedKeys(cp.origin);
    try {
      verifyNote(note, verifiers);
    } catch (e) {
      if (e instanceof NoteVerificationError) return text(403, `checkpoint signature: ${e.message}`);
      throw e;
    }
    const handover = handoverOf(cp, note);
    if (typeof handover === 'string') return text(403, `key hand-over: ${handover}`);
    if (request.oldSize > cp.treeSize)
      return text(400, `old size ${request.oldSize} is larger than the checkpoint size ${cp.treeSize}`);
    const known = this.state[cp.origin];
    const knownSize = known?.treeSize ?? 0;
    if (request.oldSize !== knownSize)
      // The body is the size of the latest co-signed checkpoint, so the client can retry with a proof from it.
      return { status: 409, contentType: 'text/x.tlog.size', body: `${knownSize}\n` };
    if (cp.treeSize === 0 && cp.rootHash !== EMPTY_ROOT)
      return text(422, 'a checkpoint of size 0 must have the root of the empty tree');
    if (request.oldSize === 0) {
      if (request.proof.length !== 0) return text(422, 'the consistency proof from size 0 must be empty');
    } else if (request.oldSize === cp.treeSize) {
      if (cp.rootHash !== known.rootHash)
        return text(
          422,
          `fork: the checkpoint of size ${cp.treeSize} has root ${cp.rootHash}, the co-signed one has ${known.rootHash}`,
        );
    } else if (!verifyConsistency(request.oldSize, cp.treeSize, known.rootHash, cp.rootHash, request.proof)) {
      return text(422, `the consistency proof from size ${request.oldSize} to ${cp.treeSize} does not verify`);
    }
    // Timestamps never go backwards, even if the clock does (a cosignature says "largest tree as of this time").
    const timestamp = Math.max(this.now(), this.lastTimestamp);
    this.lastTimestamp = timestamp;
    const cosignature = this.cosigner.cosign(note.text, timestamp);
    const before = this.state[cp.origin];
    const logState: WitnessLogState = {
      treeSize: cp.treeSize,
      rootHash: cp.rootHash,
      note: request.checkpoint + cosignature,
    };
    if (before?.keys) logState.keys = before.keys;
    if (before?.retired) logState.retired = before.retired;
    if (handover) {
      // From now on the new key alone: every other key trusted until this checkpoint is retired.
      const newId = handover.verifier.keyId.toString('hex');
      const retired = new Set(before?.retired ?? []);
      for (const v of verifiers) if (v.keyId.toString('hex') !== newId) retired.add(v.keyId.toString('hex'));
      retired.delete(newId);
      logState.keys = [handover.vkey];
      logState.retired = [...retired].sort();
    }
    const next = { ...this.state, [cp.origin]: logState };
    // Durable before the answer: what was co-signed is never forgotten by a crash.
    this.options.state.save(next);
    this.state[cp.origin] = next[cp.origin];
    return text(200, cosignature);
  }
}

/**
 * The key a checkpoint hands its log over to: null when it names none, a reason when the hand-over does not hold
 * (a malformed key, a key of another name or type, or a key that did not sign the checkpoint).
 */
const handoverOf = (cp: CheckpointText, note: ParsedNote): { vkey: string; verifier: NoteVerifier } | null | string => {
  const line = cp.extensions.find((e) => e.startsWith(KEY_LINE));
  if (line === undefined) return null;
  const vkey = line.slice(KEY_LINE.length);
  let verifier: NoteVerifier;
  try {
    const parsed = parseVkey(vkey);
    if (parsed.name !== cp.origin) return `the new key is named ${parsed.name}, not ${cp.origin}`;
    if (parsed.type !== SIG_TYPE_ED25519) return `the new key is of type 0x${parsed.type.toString(16)}, not Ed25519`;
    verifier = verifierFromVkey(vkey);
  } catch (e) {
    if (e instanceof NoteFormatError) return `malformed new key: ${e.message}`;
    throw e;
  }
  try {
    // The new key must show it is held: its own signature on the hand-over.
    verifyNote(note, [verifier]);
  } catch (e) {
    if (e instanceof NoteVerificationError)
      return `the new key ${verifier.keyId.toString('hex')} did not sign it: ${e.message}`;
    throw e;
  }
  return { vkey, verifier };
};
