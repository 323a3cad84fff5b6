/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness) for any log that signs C2SP checkpoints with Ed25519: it
 * co-signs (cosignature/v1) a checkpoint only when it is consistent with the latest one it co-signed for that
 * origin, and remembers that checkpoint durably before it answers. Every refusal has the status code the spec
 * gives and co-signs nothing. Generic: nothing here knows about custody.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { EMPTY_ROOT, verifyConsistency } from '../integrity/merkle';
import { NoteFormatError, NoteVerificationError, parseNote, verifyNote, type NoteVerifier } from '../note/signed-note';
import { parseCheckpointText } from '../note/tlog-checkpoint';
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
    const verifiers = this.options.logs.get(cp.origin);
    if (!verifiers) return text(404, `unknown log origin ${cp.origin}`);
    try {
      verifyNote(note, verifiers);
    } catch (e) {
      if (e instanceof NoteVerificationError) return text(403, `checkpoint signature: ${e.message}`);
      throw e;
    }
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
    const next = {
      ...this.state,
      [cp.origin]: { treeSize: cp.treeSize, rootHash: cp.rootHash, note: request.checkpoint + cosignature },
    };
    // Durable before the answer: what was co-signed is never forgotten by a crash.
    this.options.state.save(next);
    this.state[cp.origin] = next[cp.origin];
    return text(200, cosignature);
  }
}
