/**
 * Offline verification of the global log: every per-stream hash chain and the Merkle root over the global order,
 * optionally against signed checkpoints. Streams its input, so millions of events verify page by page in
 * O(number of streams) memory.
 */
import type { EventStore, RecordedEvent } from '../store/event-store.port';
import type { EventMetadata } from '../store/event-store.port';
import { GENESIS_HASH, eventHash, isHashHex } from './event-hash';
import { type StoredEvent, metadataOf, storedEventHash, storedTextHash } from '../store/sqlite.row-codec';
import { MerkleFrontier } from './merkle/frontier';

/**
 * Why an event failed verification:
 * - `missing-hash`: its metadata has no well-formed `prevHash`/`hash` (never sealed, or stripped);
 * - `out-of-order`: its position is not after the previous event's, or its revision goes backwards/repeats;
 * - `revision-gap`: its revision skips ahead (an event before it in the stream is missing);
 * - `hash-mismatch`: its recomputed hash differs from `metadata.hash` (its content or metadata was edited);
 * - `broken-link`: its `prevHash` is not the previous event's `hash` (something before it was removed, replaced
 *   or re-hashed);
 * - `checkpoint-mismatch`: the Merkle root (or position) after this event differs from a trusted checkpoint's;
 * - `truncated`: a trusted checkpoint covers more events than the log holds (events were removed from the end).
 */
export type FailureReason =
  | 'hash-mismatch'
  | 'broken-link'
  | 'revision-gap'
  | 'out-of-order'
  | 'missing-hash'
  | 'checkpoint-mismatch'
  | 'truncated';

/** The first event that did not verify. */
export interface VerifyFailure {
  eventId: string;
  streamId: string;
  revision: number;
  position: number;
  reason: FailureReason;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Events examined, including the failing one. */
  eventsChecked: number;
  /** Distinct streams seen. */
  streams: number;
  /** Leaves in the recomputed Merkle tree (events that verified). */
  treeSize: number;
  /** Recomputed Merkle root over the verified events, hex; compare it with the latest signed checkpoint. */
  rootHash: string;
  firstFailure?: VerifyFailure;
}

/** A checkpoint the verifier trusts (its signature already checked, e.g. with `verifyCheckpoint`). */
export interface TrustedCheckpoint {
  treeSize: number;
  rootHash: string;
  /** Position of the last event the checkpoint covers; checked when given. */
  position?: number;
}

export interface ChainVerifierOptions {
  /** Require positions to increase strictly along the input (default true; off for a single stream's events). */
  checkPositions?: boolean;
  /** Called every `progressEvery` events (default 10,000) with the number checked so far. */
  onProgress?: (count: number) => void;
  progressEvery?: number;
  /** Checkpoints to hold the recomputed Merkle roots to; any order. */
  checkpoints?: readonly TrustedCheckpoint[];
  /**
   * Build the Merkle tree (default true). Off for a walk of some streams only (a worker of a split walk), whose
   * leaves another thread puts in order; `treeSize` and `rootHash` then stay those of the empty tree.
   */
  merkle?: boolean;
}

interface StreamHead {
  revision: number;
  hash: string;
}

/** {@link ChainVerifier}'s answer for a row its fast paths leave to the whole check. */
const DECLINED = Symbol('declined');

/**
 * Verifies events fed one at a time in global order (`check`), then reports (`result`). Stops at the first
 * failure: later events are not examined, since everything after a break is suspect anyway.
 */
export class ChainVerifier {
  private readonly heads = new Map<string, StreamHead>();
  private readonly tree = new MerkleFrontier();
  private readonly checkPositions: boolean;
  private readonly buildTree: boolean;
  private readonly progressEvery: number;
  private readonly checkpoints: TrustedCheckpoint[];
  private nextCheckpoint = 0;
  private lastPosition = -Infinity;
  private lastEvent: Pick<RecordedEvent, 'eventId' | 'streamId' | 'revision' | 'position'> | undefined;
  private checked = 0;
  private failure: VerifyFailure | undefined;

  constructor(private readonly options: ChainVerifierOptions = {}) {
    this.checkPositions = options.checkPositions ?? true;
    this.buildTree = options.merkle ?? true;
    this.progressEvery = Math.max(1, options.progressEvery ?? 10_000);
    this.checkpoints = [...(options.checkpoints ?? [])].sort((a, b) => a.treeSize - b.treeSize);
    // A checkpoint of the empty log can be checked before any event arrives.
    this.matchCheckpoints(undefined);
  }

  /**
   * Starts a stream's chain at a head walked elsewhere: the stream's last event before this walk's range of
   * positions, as the store keeps it (a walk split by position, parallel-walk.ts). Only for a stream not seen yet.
   */
  assumeHead(streamId: string, revision: number, hash: string): void {
    if (!this.heads.has(streamId)) this.heads.set(streamId, { revision, hash });
  }

  /**
   * Takes the walk up where a checker of the same fast path left it (the verify worker's row walk over a page,
   * row-walk.ts, which accepts only what {@link checkStoredText} accepts and records its heads itself): the position
   * it accepted last and, for `stream`, the head it holds there (`head` undefined: none, its next event is revision
   * 0). For the row that checker stopped at, before it is checked here. Not after a failure.
   */
  resume(lastPosition: number, stream?: { id: string; head: StreamHead | undefined }): void {
    if (this.failure) return;
    this.lastPosition = lastPosition;
    if (!stream) return;
    if (stream.head) this.heads.set(stream.id, { revision: stream.head.revision, hash: stream.head.hash });
    else this.heads.delete(stream.id);
  }

  /** True once the stream has a head here: an event of it verified, or its head was assumed. */
  knows(streamId: string): boolean {
    return this.heads.has(streamId);
  }

  /** The stream's head here (its last event verified, or the head assumed), or undefined before its first. */
  headOf(streamId: string): Readonly<StreamHead> | undefined {
    return this.heads.get(streamId);
  }

  /** True while nothing has failed. */
  get ok(): boolean {
    return this.failure === undefined;
  }

  /** Checks the next event in global order. Returns false once verification has failed (this event or earlier). */
  check(event: RecordedEvent): boolean {
    if (this.failure) return false;
    this.checked += 1;
    const metadata = event.metadata as unknown as Record<string, unknown> | null | undefined;
    if (metadata === null || typeof metadata !== 'object') return this.fail(event, 'missing-hash', 'no metadata');
    const { prevHash, hash } = metadata;

    // Order before hashes: an event whose predecessor is gone is named for the gap, even where a store derives
    // prevHash from the predecessor (the SQLite store's format 2) and so has none to give.
    if (this.checkPositions) {
      if (typeof event.position !== 'number' || !(event.position > this.lastPosition)) {
        return this.fail(event, 'out-of-order', `position ${event.position} does not follow ${this.lastPosition}`);
      }
    }

    const head = this.heads.get(event.streamId);
    const expectedRevision = head ? head.revision + 1 : 0;
    if (event.revision !== expectedRevision) {
      if (Number.isSafeInteger(event.revision) && event.revision > expectedRevision) {
        return this.fail(event, 'revision-gap', `revision ${event.revision} where ${expectedRevision} was expected`);
      }
      return this.fail(event, 'out-of-order', `revision ${event.revision} where ${expectedRevision} was expected`);
    }

    if (!isHashHex(prevHash)) return this.fail(event, 'missing-hash', 'metadata.prevHash is not a 64-hex hash');
    if (!isHashHex(hash)) return this.fail(event, 'missing-hash', 'metadata.hash is not a 64-hex hash');

    let recomputed: string;
    try {
      recomputed = eventHash(prevHash, event);
    } catch (e) {
      // Content that cannot even be canonicalized cannot be what was sealed.
      return this.fail(event, 'hash-mismatch', `cannot hash the event: ${(e as Error).message}`);
    }
    if (recomputed !== hash) {
      return this.fail(event, 'hash-mismatch', `recomputed ${recomputed}, stored ${hash}`);
    }
    const expectedPrev = head ? head.hash : GENESIS_HASH;
    if (prevHash !== expectedPrev) {
      return this.fail(
        event,
        'broken-link',
        head
          ? `prevHash ${prevHash} is not the hash ${expectedPrev} of revision ${head.revision}`
          : `prevHash of revision 0 is ${prevHash}, not the genesis hash`,
      );
    }

    return this.accept(event, head, hash);
  }

  /**
   * Checks the next event in global order from the row the SQLite store keeps ({@link StoredEvent}, at `position`).
   * Returns the event's chain hash when it verified, undefined once verification has failed.
   *
   * Stored as the store writes it, the event is hashed as stored, without parsing ({@link storedEventHash});
   * anything else — a foreign writer, an edit — is read as the store reads it and goes through {@link check}, so the
   * outcome and the failure named are exactly check's. A row that is not JSON throws, as the store's own read would.
   */
  checkStored(position: number, e: StoredEvent): string | undefined {
    if (this.failure) return undefined;
    const head = this.heads.get(e.streamId);
    if (!this.checkPositions || position > this.lastPosition) {
      if (e.revision === (head ? head.revision + 1 : 0)) {
        // The previous event's hash is the prevHash the text must hash with: a match proves the link as well.
        const hash = storedEventHash(head ? head.hash : GENESIS_HASH, e);
        if (hash !== undefined) {
          this.checked += 1;
          const event = { eventId: e.eventId, streamId: e.streamId, revision: e.revision, position };
          return this.accept(event, head, hash) ? hash : undefined;
        }
      }
    }
    // The prevHash a reader derives: the stream's previous stored event's hash, which is the head walked so far.
    const prevHash = e.revision === 0 ? GENESIS_HASH : (head?.hash ?? '');
    const event: RecordedEvent = {
      position,
      eventId: e.eventId,
      streamId: e.streamId,
      revision: e.revision,
      type: e.type,
      data: JSON.parse(e.data) as unknown,
      metadata: metadataOf(e.metadata, e.hash, prevHash) as unknown as EventMetadata,
    };
    return this.check(event) ? String(event.metadata.hash) : undefined;
  }

  /**
   * {@link checkStored}'s fast path from the pieces of the hashed text (`storedTextHash` in the row codec:
   * `eventIdToken` is `eventId`'s JSON string token, `back` is `,"streamId":S,"type":Y}` of this `streamId`, `stored`
   * the hash column as hex), for a walk that has them at hand without a {@link StoredEvent} per row. The event's hash
   * when it verified by that path; undefined when it did not — declined (nothing is recorded: check the row with
   * {@link checkStored}, which decides) or failed before (`ok` says which).
   */
  checkStoredText(
    position: number,
    streamId: string,
    revision: number,
    eventId: string,
    eventIdToken: string,
    data: string,
    metadata: string,
    back: string,
    stored: string,
  ): string | undefined {
    const head = this.nextOf(position, streamId, revision);
    if (head === DECLINED) return undefined;
    const hash = storedTextHash(head ? head.hash : GENESIS_HASH, data, eventIdToken, metadata, revision, back, stored);
    if (hash === undefined) return undefined;
    this.checked += 1;
    return this.accept({ eventId, streamId, revision, position }, head, hash) ? hash : undefined;
  }

  /**
   * {@link checkStoredText}'s fast path for a caller that assembled the hashed text itself (`storedHashedText` in the
   * row codec, with `prevHash`) and hashed it (`digest`, hex; many texts in one call: the verify worker's pages),
   * ahead of the checks. The event's hash (`digest`) when it verified: the text was assembled with the hash of the
   * stream's head here, in order, and hashes to the stored hash. Undefined when it did not — declined (nothing is
   * recorded: check the row with {@link checkStoredText}, which decides) or failed before (`ok` says which).
   * `digest` becomes the stream's head: a string of its own, not a slice of a longer one it would keep alive.
   */
  checkStoredDigest(
    position: number,
    streamId: string,
    revision: number,
    eventId: string,
    prevHash: string,
    digest: string,
    stored: string,
  ): string | undefined {
    const head = this.nextOf(position, streamId, revision);
    if (head === DECLINED) return undefined;
    if (prevHash !== (head ? head.hash : GENESIS_HASH) || digest !== stored) return undefined;
    this.checked += 1;
    return this.accept({ eventId, streamId, revision, position }, head, digest) ? digest : undefined;
  }

  /**
   * The head of `streamId` (undefined for a new stream) when the event at `position` with `revision` is the one the
   * fast paths may check next: no failure yet, the position moving on, the stream's next revision. {@link DECLINED}
   * otherwise (the row's whole check decides).
   */
  private nextOf(position: number, streamId: string, revision: number): StreamHead | undefined | typeof DECLINED {
    if (this.failure) return DECLINED;
    if (this.checkPositions && !(position > this.lastPosition)) return DECLINED;
    const head = this.heads.get(streamId);
    return revision === (head ? head.revision + 1 : 0) ? head : DECLINED;
  }

  /** Records a verified event: the stream's new head, the tree, the checkpoints it reaches, progress. */
  private accept(
    event: Pick<RecordedEvent, 'eventId' | 'streamId' | 'revision' | 'position'>,
    head: StreamHead | undefined,
    hash: string,
  ): boolean {
    if (head) {
      head.revision = event.revision;
      head.hash = hash;
    } else this.heads.set(event.streamId, { revision: event.revision, hash });
    this.lastPosition = event.position;
    this.lastEvent = event;
    if (this.buildTree) this.tree.appendEventHash(hash);
    if (!this.matchCheckpoints(event)) return false;
    if (this.options.onProgress && this.checked % this.progressEvery === 0) this.options.onProgress(this.checked);
    return true;
  }

  /**
   * Records a failure at `event` (also used by callers that detect a problem the verifier cannot see, such as an
   * event of the wrong stream) and returns false. Only the first failure is kept.
   */
  fail(
    event: Pick<RecordedEvent, 'eventId' | 'streamId' | 'revision' | 'position'>,
    reason: FailureReason,
    detail: string,
  ): false {
    this.failure ??= {
      eventId: event.eventId,
      streamId: event.streamId,
      revision: event.revision,
      position: event.position,
      reason,
      detail,
    };
    return false;
  }

  /** The outcome so far. Call it once the input is exhausted: trusted checkpoints beyond the end count as truncation. */
  result(): VerifyResult {
    if (!this.failure && this.nextCheckpoint < this.checkpoints.length) {
      const cp = this.checkpoints[this.nextCheckpoint];
      const last = this.lastEvent;
      this.failure = {
        eventId: last?.eventId ?? '',
        streamId: last?.streamId ?? '',
        revision: last?.revision ?? -1,
        position: last?.position ?? -1,
        reason: 'truncated',
        detail: `a checkpoint covers ${cp.treeSize} events, the log holds ${this.tree.size}`,
      };
    }
    return {
      ok: this.failure === undefined,
      eventsChecked: this.checked,
      streams: this.heads.size,
      treeSize: this.tree.size,
      rootHash: this.tree.root(),
      ...(this.failure ? { firstFailure: { ...this.failure } } : {}),
    };
  }

  private matchCheckpoints(
    event: Pick<RecordedEvent, 'eventId' | 'streamId' | 'revision' | 'position'> | undefined,
  ): boolean {
    while (this.nextCheckpoint < this.checkpoints.length) {
      const cp = this.checkpoints[this.nextCheckpoint];
      if (cp.treeSize !== this.tree.size) return true;
      this.nextCheckpoint += 1;
      const root = this.tree.root();
      if (root !== cp.rootHash) {
        const detail = `Merkle root after ${cp.treeSize} events is ${root}, the checkpoint says ${cp.rootHash}`;
        if (event) return this.fail(event, 'checkpoint-mismatch', detail);
        this.failure = { eventId: '', streamId: '', revision: -1, position: -1, reason: 'checkpoint-mismatch', detail };
        return false;
      }
      if (event && cp.position !== undefined && cp.position !== event.position) {
        return this.fail(
          event,
          'checkpoint-mismatch',
          `leaf ${cp.treeSize - 1} is at position ${event.position}, the checkpoint says ${cp.position}`,
        );
      }
    }
    return true;
  }
}

/**
 * Walks the global log in order and verifies every stream's chain and the Merkle tree over it (see
 * {@link ChainVerifier}); resolves with the outcome and the first failing event, if any.
 */
export async function verifyEvents(
  events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>,
  options: ChainVerifierOptions = {},
): Promise<VerifyResult> {
  const verifier = new ChainVerifier(options);
  if (Symbol.asyncIterator in events) {
    for await (const event of events) if (!verifier.check(event)) break;
  } else {
    // A plain loop for arrays and generators: for-await would add a promise per event.
    for (const event of events) if (!verifier.check(event)) break;
  }
  return verifier.result();
}

/** Pages through a store's global log in order (`pageSize` events per read), for {@link verifyEvents}. */
export async function* readAllEvents(
  store: Pick<EventStore, 'readAll'>,
  pageSize = 1000,
): AsyncGenerator<RecordedEvent> {
  let after: number | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize, direction: 'forwards' });
    for (const event of page) yield event;
    if (page.length < pageSize) return;
    after = page[page.length - 1].position;
  }
}
