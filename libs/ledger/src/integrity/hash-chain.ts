/**
 * The per-stream SHA-256 hash chain (contract §4). Every event's metadata carries `prevHash` (the previous event's
 * `hash` in the same stream, 64 zeros for revision 0) and `hash`, computed here and nowhere else.
 */
import type { NewEvent, RecordedEvent } from '../store/event-store.port';
import { GENESIS_HASH, isHashHex, sealedEventHash } from './event-hash';
import { type VerifyResult, ChainVerifier } from './log-verifier';

export { GENESIS_HASH, eventHash, isHashHex } from './event-hash';
export type { HashedFields } from './event-hash';

// A shallow copy built key by key: V8 turns `{ ...o, extra }` and spread-then-add into slow objects, which then
// cost twice as much to canonicalize, and this runs for every event appended.
function copyOf(source: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (source === null || source === undefined) return out;
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    // An own "__proto__" member (JSON.parse makes those) must stay data, not become the copy's prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: source[key], enumerable: true, writable: true, configurable: true });
    else out[key] = source[key];
  }
  return out;
}

/**
 * Seals events about to be appended to `streamId`: returns copies whose metadata carries `prevHash` and `hash`,
 * chained from `prevHash` (the stream's last hash, {@link GENESIS_HASH} for a new stream) with revisions
 * `lastRevision + 1, + 2, …` (`lastRevision` = -1 for a new stream). The append must then use exactly
 * `lastRevision` as the expected revision, or the chain is wrong. `data` is shared with the input, not copied:
 * do not mutate it afterwards (its canonical text is remembered for the store, which writes exactly what was hashed).
 */
export function sealEvents<D, M extends Record<string, unknown>>(
  streamId: string,
  lastRevision: number,
  prevHash: string,
  events: readonly NewEvent<D, M>[],
): NewEvent<D, M & { prevHash: string; hash: string }>[] {
  if (!Number.isSafeInteger(lastRevision) || lastRevision < -1) {
    throw new RangeError(`sealEvents: lastRevision must be an integer >= -1, got ${lastRevision}`);
  }
  if (!isHashHex(prevHash)) throw new RangeError('sealEvents: prevHash must be 64 lowercase hex characters');
  if (lastRevision === -1 && prevHash !== GENESIS_HASH) {
    throw new RangeError('sealEvents: a new stream (lastRevision -1) must start from GENESIS_HASH');
  }
  const sealed: NewEvent<D, M & { prevHash: string; hash: string }>[] = [];
  let link = prevHash;
  let revision = lastRevision;
  for (const event of events) {
    revision += 1;
    // Any stale prevHash/hash on the input is overwritten: the library alone writes them.
    const metadata = copyOf(event.metadata);
    metadata.prevHash = link;
    metadata.hash = '';
    const hash = sealedEventHash(link, {
      streamId,
      revision,
      eventId: event.eventId,
      type: event.type,
      data: event.data,
      metadata,
    });
    metadata.hash = hash;
    const copy = copyOf(event as unknown as Record<string, unknown>);
    copy.metadata = metadata;
    sealed.push(copy as unknown as NewEvent<D, M & { prevHash: string; hash: string }>);
    link = hash;
  }
  return sealed;
}

/**
 * Verifies one stream's events, given in revision order from revision 0: every hash recomputes and every
 * `prevHash` links to the previous event. The first failing event is named in `firstFailure`.
 */
export function verifyStreamEvents(events: readonly RecordedEvent[]): VerifyResult {
  const verifier = new ChainVerifier({ checkPositions: false });
  const streamId = events[0]?.streamId;
  for (const event of events) {
    if (event.streamId !== streamId) {
      verifier.fail(event, 'out-of-order', `event of stream ${event.streamId} among stream ${streamId}`);
      break;
    }
    if (!verifier.check(event)) break;
  }
  return verifier.result();
}
