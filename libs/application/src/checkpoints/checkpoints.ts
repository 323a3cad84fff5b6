import {
  type Clock,
  eventIdFor,
  GENESIS_HASH,
  sealEvents,
  signCheckpointNote,
  checkpointNoteFacts,
  type SignedCheckpoint,
  type SigningKey,
  verifyInclusion,
  verifyStreamHeadProof,
  type StreamHeadProof,
  CHECKPOINT_STREAM,
  ConcurrencyConflict,
  type EventStore,
  type RecordedEvent,
} from '@app/ledger';
import { DomainError } from '@app/custody';
import type { ReadModels } from '@app/read-models';
import { RequestValidationError, StoreRolledBack } from '../errors';
import { FileKeyRing, ORIGIN_PREFIX, fixedKeyRing, ledgerIdFor, type KeyRing } from './signing-keys';

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
  FileKeyRing.forDataDir(dataDir, options).current();

/** A stream's head and its proof against the stream-heads root of a checkpoint (contract §4.1). */
export interface StreamHeadProofResponse extends StreamHeadProof {
  treeSize: number;
  streamsRoot: string;
  checkpoint: CheckpointRecord;
}

export class StreamNotInCheckpoint extends DomainError {
  readonly code = 'STREAM_NOT_FOUND';
  readonly status = 404;
  constructor(streamId: string, size: number) {
    super(`no stream ${streamId} among the streams of the checkpoint of ${size} events`);
  }
}

export class CheckpointNotFound extends DomainError {
  readonly code = 'CHECKPOINT_NOT_FOUND';
  readonly status = 404;
  constructor(size: number) {
    super(`no checkpoint of ${size} events with stream heads (a v2 checkpoint)`);
  }
}

/** Options of a {@link CheckpointService}. */
export interface CheckpointServiceOptions {
  /** The note origin; default `custody-ledger/<first 16 hex of the key id>` (forCore passes the stored ledger id). */
  origin?: string;
  /** Told of every checkpoint this service stores (the witness publisher listens here). */
  onCheckpoint?: (checkpoint: CheckpointRecord) => void;
}

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
    ...(d.origin !== undefined ? { origin: d.origin } : {}),
    ...(d.streamsRoot !== undefined ? { streamsRoot: d.streamsRoot } : {}),
    ...(d.note !== undefined ? { note: d.note } : {}),
    eventId: event.eventId,
    revision: event.revision,
    eventPosition: event.position,
  };
};

/** Conflicts with another signer (another replica) are retried this many times: each retry re-reads the stream. */
const MAX_ATTEMPTS = 5;

/**
 * Signs the Merkle log (contract §4): the root over every committed leaf, appended as a `CheckpointSigned` event to
 * `ledger-checkpoints` with the hash chain, sealed against the stream's last hash and appended with its exact
 * revision, as the DeciderRunner does. The tree comes from the read model's `merkle_leaves`, caught up first.
 */
export class CheckpointService {
  // One signing at a time in this process: the timer and an on-demand request would otherwise race for a revision.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly keys: KeyRing;
  readonly origin: string;
  private readonly listeners: ((checkpoint: CheckpointRecord) => void)[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModels,
    private readonly clock: Clock,
    key: SigningKey | KeyRing,
    options: CheckpointServiceOptions = {},
  ) {
    this.keys = 'current' in key ? key : fixedKeyRing(key);
    this.origin = options.origin ?? `${ORIGIN_PREFIX}${this.keys.current().keyId}`;
    if (options.onCheckpoint) this.listeners.push(options.onCheckpoint);
  }

  /**
   * Over a core's store and read models, with the key of its data dir (or LEDGER_SIGNING_KEY_FILE) and the ledger
   * id stored beside it.
   */
  static forCore(
    core: { store: EventStore; readModels: ReadModels; clock: Clock; config: { dataDir: string } },
    options: { signingKeyFile?: string; ledgerId?: string } = {},
  ): CheckpointService {
    return new CheckpointService(
      core.store,
      core.readModels,
      core.clock,
      FileKeyRing.forDataDir(core.config.dataDir, options),
      { origin: `${ORIGIN_PREFIX}${ledgerIdFor(core.config.dataDir, options)}` },
    );
  }

  /** Calls `listener` with every checkpoint this service stores from now on. */
  onCheckpoint(listener: (checkpoint: CheckpointRecord) => void): void {
    this.listeners.push(listener);
  }

  get keyId(): string {
    return this.keys.current().keyId;
  }

  /** SPKI PEM: what `verify-bundle --public-key` and any offline verifier take. */
  get publicKeyPem(): string {
    return this.keys.current().publicKeyPem;
  }

  /** The key ring (rotation stages the next key here). */
  get keyRing(): KeyRing {
    return this.keys;
  }

  /** Checkpoints, newest first (at most `limit`); other events of the stream (cosignatures) are skipped. */
  async list(limit = 100): Promise<CheckpointRecord[]> {
    const out: CheckpointRecord[] = [];
    let from: number | undefined;
    for (;;) {
      const page = await this.store.readStream(CHECKPOINT_STREAM, {
        direction: 'backwards',
        maxCount: Math.max(64, limit),
        ...(from !== undefined ? { fromRevision: from } : {}),
      });
      for (const e of page) {
        const c = checkpointOf(e);
        if (c) out.push(c);
        if (out.length >= limit) return out;
      }
      const lastRevision = page[page.length - 1]?.revision ?? 0;
      if (page.length < Math.max(64, limit) || lastRevision === 0) return out;
      from = lastRevision - 1;
    }
  }

  /**
   * The latest checkpoint's note with the cosignatures stored for it appended (C2SP: a checkpoint may carry
   * several signatures). Throws NoCheckpoint when none carries a note yet.
   */
  async latestNote(): Promise<string> {
    const latest = await this.latest();
    if (!latest?.note) throw new NoCheckpoint();
    return latest.note + ((await this.cosignatureLinesFor?.(latest)) ?? []).join('');
  }

  /** Where stored cosignatures come from (set by the witness publisher); signature lines with newlines. */
  cosignatureLinesFor?: (checkpoint: CheckpointRecord) => Promise<string[]>;

  /** The checkpoints that handed the ledger over to a new key (a `key` line in their note), oldest first. */
  async keyHandovers(): Promise<CheckpointRecord[]> {
    return (await this.all()).filter((c) => c.note && checkpointNoteFacts(c.note).handoverVkey !== undefined);
  }

  /** The latest checkpoint of exactly `size` events, or null. */
  async ofSize(size: number): Promise<CheckpointRecord | null> {
    const all = await this.all();
    for (let i = all.length - 1; i >= 0; i--) if (all[i].treeSize === size) return all[i];
    return null;
  }

  /**
   * The head of `streamId` with its proof against the stream-heads root of the checkpoint of `size` events (the
   * latest checkpoint by default). Checked against the signed root before it is served.
   */
  async streamHead(streamId: string, size?: number): Promise<StreamHeadProofResponse> {
    await this.readModels.catchUp();
    const checkpoint = size === undefined ? await this.latest() : await this.ofSize(size);
    if (!checkpoint) throw size === undefined ? new NoCheckpoint() : new CheckpointNotFound(size);
    if (!checkpoint.streamsRoot) throw new CheckpointNotFound(checkpoint.treeSize);
    const proof = this.readModels.merkle.streamHeadProof(streamId, checkpoint.treeSize);
    if (!proof) throw new StreamNotInCheckpoint(streamId, checkpoint.treeSize);
    if (!verifyStreamHeadProof(proof, checkpoint.streamsRoot)) {
      const detail = `the head of ${streamId} does not verify against the streams root ${checkpoint.streamsRoot} of checkpoint ${checkpoint.treeSize}`;
      console.error(JSON.stringify({ level: 'error', msg: 'stream head proof mismatch', detail }));
      throw new ProofMismatch(detail);
    }
    return { ...proof, treeSize: checkpoint.treeSize, streamsRoot: checkpoint.streamsRoot, checkpoint };
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

  /** The newest event of the checkpoint stream (any type: its revision and hash) and the newest checkpoint. */
  private async tail(): Promise<{ tail: RecordedEvent | undefined; last: CheckpointRecord | null }> {
    const page = await this.store.readStream(CHECKPOINT_STREAM, { direction: 'backwards', maxCount: 64 });
    const tail = page[0];
    for (const e of page) {
      const c = checkpointOf(e);
      if (c) return { tail, last: c };
    }
    if (page.length < 64) return { tail, last: null };
    return { tail, last: (await this.list(1))[0] ?? null };
  }

  private async sign(options: { force?: boolean; actor?: string }): Promise<SignOutcome> {
    for (let attempt = 1; ; attempt++) {
      await this.readModels.catchUp();
      // Never sign a tree over a store seen longer (contract §4.1): that would attest the cut as the ledger's history.
      const rollback = await this.readModels.runner.checkStore();
      if (rollback) throw new StoreRolledBack(rollback);
      const merkle = this.readModels.merkle;
      const { tail, last } = await this.tail();
      // Size, root and stream heads read together, synchronously: the projection cannot advance in between. Whether
      // there is anything to sign is decided first: the stream heads cost a pass over every stream the first time
      // (a start, issue 16), which a start with nothing new to sign need not pay.
      const size = merkle.size;
      if (size === 0) return { created: false, checkpoint: last };
      if (
        last &&
        !(size > last.treeSize && (options.force || merkle.countOutsideStream(last.treeSize, CHECKPOINT_STREAM) > 0))
      ) {
        return { created: false, checkpoint: last };
      }
      const rootHash = merkle.root(size);
      const streamsRoot = merkle.streamsRoot(size);
      const lastLeaf = merkle.leafAt(size - 1);
      if (!lastLeaf) throw new Error(`merkle leaf ${size - 1} vanished`);
      const signedAt = this.clock.now().toISOString();
      const key = this.keys.current();
      const next = this.keys.next();
      const signed = signCheckpointNote(
        { treeSize: size, rootHash, position: lastLeaf.position, signedAt, origin: this.origin, streamsRoot },
        key,
        next ?? undefined,
      );
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
        const created = record?.signature === signed.signature;
        // The hand-over is in the store: from now on the new key alone signs.
        if (created && next) this.keys.promote(next);
        if (created && record) for (const l of this.listeners) l(record);
        return { created, checkpoint: record };
      } catch (e) {
        // Another signer appended first: re-read its checkpoint and decide again (it may already cover this tree).
        if (!(e instanceof ConcurrencyConflict) || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  }

  /**
   * Appends events to `ledger-checkpoints` in this service's signing queue (so they never race a checkpoint for a
   * revision): the witness publisher stores cosignatures this way. Identical event ids are kept once by the store.
   */
  appendToCheckpointStream(events: { eventId: string; type: string; data: unknown; actor: string }[]): Promise<void> {
    const run = this.queue.then(async () => {
      for (let attempt = 1; ; attempt++) {
        const [tail] = await this.store.readStream(CHECKPOINT_STREAM, { direction: 'backwards', maxCount: 1 });
        const revision = tail ? tail.revision : -1;
        const prevHash = tail ? String(tail.metadata.hash) : GENESIS_HASH;
        const at = this.clock.now().toISOString();
        const sealed = sealEvents(
          CHECKPOINT_STREAM,
          revision,
          prevHash,
          events.map((e) => ({
            eventId: e.eventId,
            type: e.type,
            data: e.data,
            metadata: {
              occurredAt: at,
              recordedAt: at,
              actor: e.actor,
              commandId: e.eventId,
              correlationId: e.eventId,
              causationId: null,
              schemaVersion: 1,
            },
          })),
        );
        try {
          await this.store.append(CHECKPOINT_STREAM, sealed, revision);
          return;
        } catch (err) {
          if (!(err instanceof ConcurrencyConflict) || attempt >= MAX_ATTEMPTS) throw err;
        }
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
