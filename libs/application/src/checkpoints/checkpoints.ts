import { readFileSync } from 'node:fs';
import {
  type Clock,
  eventIdFor,
  GENESIS_HASH,
  sealEvents,
  fromPem,
  loadOrCreateSigningKey,
  signCheckpoint,
  type SignedCheckpoint,
  type SigningKey,
  verifyInclusion,
  CHECKPOINT_STREAM,
  ConcurrencyConflict,
  type EventStore,
  type RecordedEvent,
} from '@app/ledger';
import { DomainError } from '@app/custody';
import type { ReadModels } from '@app/read-models';
import { RequestValidationError } from '../errors';

/** The type of the events of `ledger-checkpoints`; their data is the {@link SignedCheckpoint}. */
export const CHECKPOINT_SIGNED = 'CheckpointSigned';
/** Who signs on the timer (the actor recorded on a scheduled checkpoint). */
export const CHECKPOINT_ACTOR = 'system:checkpointer';
/** Default of CHECKPOINT_INTERVAL_MS. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

/** A signed checkpoint as stored: the signed body, plus where its own event sits in the log. */
export interface CheckpointRecord extends SignedCheckpoint {
  /** The `CheckpointSigned` event that recorded it (itself a leaf of later trees). */
  eventId: string;
  /** Its revision in `ledger-checkpoints`. */
  revision: number;
  /** Global position of the checkpoint event (not to be confused with `position`, the last leaf it covers). */
  eventPosition: number;
}

export interface SignOutcome {
  /** False when the tree had not grown since the latest checkpoint (nothing new to attest) or is empty. */
  created: boolean;
  checkpoint: CheckpointRecord | null;
}

/** GET /api/ledger/proofs/{eventId}: everything needed to check one event against a signed root. */
export interface InclusionProofResponse {
  eventId: string;
  streamId: string;
  position: number;
  leafIndex: number;
  eventHash: string;
  leafHash: string;
  treeSize: number;
  rootHash: string;
  /** RFC 9162 §2.1.3 audit path, bottom-up, hex. */
  proof: string[];
  checkpoint: CheckpointRecord;
}

/** GET /api/ledger/consistency: the tree of `toSize` extends the tree of `fromSize` (RFC 9162 §2.1.4). */
export interface ConsistencyProofResponse {
  fromSize: number;
  toSize: number;
  fromRoot: string;
  toRoot: string;
  proof: string[];
  /** The signed checkpoints of those sizes, when there are any. */
  fromCheckpoint: CheckpointRecord | null;
  toCheckpoint: CheckpointRecord | null;
}

export class EventNotInLog extends DomainError {
  readonly code = 'EVENT_NOT_FOUND';
  readonly status = 404;
  constructor(eventId: string) {
    super(`no event ${eventId} in the ledger`);
  }
}

export class NoCheckpoint extends DomainError {
  readonly code = 'NO_CHECKPOINT';
  readonly status = 409;
  constructor() {
    super('the ledger is empty: there is no checkpoint to prove against');
  }
}

/** The served proof does not verify against the signed root: the read model and the checkpoint disagree. */
export class ProofMismatch extends DomainError {
  readonly code = 'PROOF_MISMATCH';
  readonly status = 500;
  constructor(detail: string) {
    super(detail);
  }
}

/**
 * The checkpoint key: the PKCS#8 PEM named by LEDGER_SIGNING_KEY_FILE when set (every replica that signs must share
 * one key), else DATA_DIR/signing-key.pem, created on first use.
 */
export const signingKeyFor = (dataDir: string, options: { signingKeyFile?: string } = {}): SigningKey =>
  options.signingKeyFile ? fromPem(readFileSync(options.signingKeyFile, 'utf8')) : loadOrCreateSigningKey(dataDir);

/** A `CheckpointSigned` event read back as its record; null for anything else in the stream. */
export const checkpointOf = (event: RecordedEvent): CheckpointRecord | null => {
  if (event.type !== CHECKPOINT_SIGNED || event.data === null || typeof event.data !== 'object') return null;
  const d = event.data as SignedCheckpoint;
  return {
    treeSize: d.treeSize,
    rootHash: d.rootHash,
    position: d.position,
    signedAt: d.signedAt,
    keyId: d.keyId,
    signature: d.signature,
    eventId: event.eventId,
    revision: event.revision,
    eventPosition: event.position,
  };
};

/** Conflicts with another signer (another replica) are retried this many times: each retry re-reads the stream. */
const MAX_ATTEMPTS = 5;

/**
 * Signs the Merkle log (DESIGN §4): the root over every committed leaf, appended as a `CheckpointSigned` event to
 * `ledger-checkpoints` with the hash chain, sealed against the stream's last hash and appended with its exact
 * revision, as the DeciderRunner does. The tree comes from the read model's `merkle_leaves`, caught up first.
 */
export class CheckpointService {
  // One signing at a time in this process: the timer and an on-demand request would otherwise race for a revision.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModels,
    private readonly clock: Clock,
    private readonly key: SigningKey,
  ) {}

  /** Over a core's store and read models, with the key of its data dir (or LEDGER_SIGNING_KEY_FILE). */
  static forCore(
    core: { store: EventStore; readModels: ReadModels; clock: Clock; config: { dataDir: string } },
    options: { signingKeyFile?: string } = {},
  ): CheckpointService {
    return new CheckpointService(core.store, core.readModels, core.clock, signingKeyFor(core.config.dataDir, options));
  }

  get keyId(): string {
    return this.key.keyId;
  }

  /** SPKI PEM: what `verify-bundle --public-key` and any offline verifier take. */
  get publicKeyPem(): string {
    return this.key.publicKeyPem;
  }

  /** Checkpoints, newest first (at most `limit`). */
  async list(limit = 100): Promise<CheckpointRecord[]> {
    const events = await this.store.readStream(CHECKPOINT_STREAM, { direction: 'backwards', maxCount: limit });
    return events.map(checkpointOf).filter((c): c is CheckpointRecord => c !== null);
  }

  /** Every checkpoint, oldest first. */
  async all(): Promise<CheckpointRecord[]> {
    const events = await this.store.readStream(CHECKPOINT_STREAM);
    return events.map(checkpointOf).filter((c): c is CheckpointRecord => c !== null);
  }

  async latest(): Promise<CheckpointRecord | null> {
    return (await this.list(1))[0] ?? null;
  }

  /**
   * Catches the read models up and signs the current tree. Skips (created: false, the latest checkpoint returned)
   * when nothing but checkpoint events was appended since the latest checkpoint — otherwise every checkpoint would
   * grow the tree by its own event and the timer would sign forever on an idle ledger. `force` signs anyway when the
   * tree grew at all (a checkpoint event needs a later checkpoint to be proven).
   */
  signNow(options: { force?: boolean; actor?: string } = {}): Promise<SignOutcome> {
    const run = this.queue.then(() => this.sign(options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The latest checkpoint if it covers leaf `leafIndex`; otherwise a new one, signed now. */
  async covering(leafIndex: number): Promise<CheckpointRecord> {
    const latest = await this.latest();
    if (latest && latest.treeSize > leafIndex) return latest;
    const { checkpoint } = await this.signNow({ force: true });
    if (!checkpoint || checkpoint.treeSize <= leafIndex) throw new NoCheckpoint();
    return checkpoint;
  }

  /** Inclusion proof of an event against the latest checkpoint (signing one first when the event is newer). */
  async inclusion(eventId: string): Promise<InclusionProofResponse> {
    await this.readModels.catchUp();
    const leaf = this.readModels.merkle.leafOf(eventId);
    if (!leaf) throw new EventNotInLog(eventId);
    const checkpoint = await this.covering(leaf.leafIndex);
    const proof = this.readModels.merkle.inclusionProof(leaf.leafIndex, checkpoint.treeSize);
    // Never hand out a proof that does not check: it would mean the read model diverged from what was signed.
    if (!verifyInclusion(leaf.leafHash, leaf.leafIndex, checkpoint.treeSize, proof, checkpoint.rootHash)) {
      const detail = `the proof of leaf ${leaf.leafIndex} does not verify against checkpoint ${checkpoint.treeSize} (${checkpoint.rootHash})`;
      console.error(JSON.stringify({ level: 'error', msg: 'merkle proof mismatch', detail }));
      throw new ProofMismatch(detail);
    }
    return {
      eventId,
      streamId: leaf.streamId,
      position: leaf.position,
      leafIndex: leaf.leafIndex,
      eventHash: leaf.eventHash,
      leafHash: leaf.leafHash,
      treeSize: checkpoint.treeSize,
      rootHash: checkpoint.rootHash,
      proof,
      checkpoint,
    };
  }

  /**
   * Consistency proof between the trees of `from` and `to` leaves (`to` defaults to the latest checkpoint's size).
   * Any sizes up to the committed tree are served; the signed checkpoints of those sizes come with it when they exist.
   */
  async consistency(from: number, to?: number): Promise<ConsistencyProofResponse> {
    await this.readModels.catchUp();
    const merkle = this.readModels.merkle;
    const size = merkle.size;
    const toSize = to ?? (await this.latest())?.treeSize;
    if (toSize === undefined) throw new NoCheckpoint();
    const errors = [];
    if (!Number.isSafeInteger(from) || from < 0)
      errors.push({ field: 'query.from', reason: 'must be an integer >= 0' });
    if (!Number.isSafeInteger(toSize) || toSize < 0 || toSize > size)
      errors.push({ field: 'query.to', reason: `must be an integer in [0, ${size}]` });
    else if (Number.isSafeInteger(from) && from > toSize)
      errors.push({ field: 'query.from', reason: `must not exceed to (${toSize})` });
    if (errors.length) throw new RequestValidationError(errors);
    const all = await this.all();
    const bySize = (n: number) => [...all].reverse().find((c) => c.treeSize === n) ?? null;
    return {
      fromSize: from,
      toSize,
      fromRoot: merkle.root(from),
      toRoot: merkle.root(toSize),
      proof: merkle.consistencyProof(from, toSize),
      fromCheckpoint: bySize(from),
      toCheckpoint: bySize(toSize),
    };
  }

  private async sign(options: { force?: boolean; actor?: string }): Promise<SignOutcome> {
    for (let attempt = 1; ; attempt++) {
      await this.readModels.catchUp();
      const merkle = this.readModels.merkle;
      const size = merkle.size;
      const [tail] = await this.store.readStream(CHECKPOINT_STREAM, { direction: 'backwards', maxCount: 1 });
      const last = tail ? checkpointOf(tail) : null;
      if (size === 0) return { created: false, checkpoint: last };
      if (
        last &&
        !(size > last.treeSize && (options.force || merkle.countOutsideStream(last.treeSize, CHECKPOINT_STREAM) > 0))
      ) {
        return { created: false, checkpoint: last };
      }
      const lastLeaf = merkle.leafAt(size - 1);
      if (!lastLeaf) throw new Error(`merkle leaf ${size - 1} vanished`);
      const signedAt = this.clock.now().toISOString();
      const rootHash = merkle.root(size);
      const signed = signCheckpoint({ treeSize: size, rootHash, position: lastLeaf.position, signedAt }, this.key);
      // One checkpoint per tree: two replicas signing the same tree derive the same event id and the store keeps one.
      const commandId = `checkpoint:${size}:${rootHash}`;
      const revision = tail ? tail.revision : -1;
      const prevHash = tail ? String(tail.metadata.hash) : GENESIS_HASH;
      const metadata = {
        occurredAt: signedAt,
        recordedAt: signedAt,
        actor: options.actor ?? CHECKPOINT_ACTOR,
        commandId,
        correlationId: commandId,
        causationId: null,
        schemaVersion: 1,
      };
      const event = {
        eventId: eventIdFor(commandId, CHECKPOINT_STREAM, 0),
        type: CHECKPOINT_SIGNED,
        data: signed,
        metadata,
      };
      try {
        const result = await this.store.append(
          CHECKPOINT_STREAM,
          sealEvents(CHECKPOINT_STREAM, revision, prevHash, [event]),
          revision,
        );
        // Read back what the store holds (an identical event id from another replica keeps the first one's signature).
        const [stored] = await this.store.readStream(CHECKPOINT_STREAM, {
          fromRevision: result.events[0]?.revision ?? result.nextExpectedRevision,
          maxCount: 1,
        });
        await this.readModels.runner.waitFor(stored.position);
        const record = checkpointOf(stored);
        return { created: record?.signature === signed.signature, checkpoint: record };
      } catch (e) {
        // Another signer appended first: re-read its checkpoint and decide again (it may already cover this tree).
        if (!(e instanceof ConcurrencyConflict) || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  }
}
