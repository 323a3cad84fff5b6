/**
 * Export bundles (DESIGN §1, §8): an item's full history with everything an investigator needs to check it offline —
 * the events as stored, their hash-chain links, an RFC 9162 inclusion proof of every event against one signed
 * checkpoint, and that checkpoint. `verifyBundle` needs nothing but the bundle and the public key: no store, no
 * network. It imports only the integrity primitives (hashing, Merkle proofs, Ed25519).
 */
import {
  GENESIS_HASH,
  eventHash,
  isHashHex,
  leafHash,
  verifyInclusion,
  keyIdOf,
  verifyCheckpoint,
  type SignedCheckpoint,
  type RecordedEvent,
} from '@app/ledger';

export const BUNDLE_FORMAT = 'custody-ledger-bundle/1';

/** An event exactly as the store returned it (its metadata read back as a plain record, as from JSON). */
export type BundleEvent = RecordedEvent<unknown, Record<string, unknown>>;

export interface BundleStream {
  streamId: string;
  itemId: string;
  /** The whole stream from revision 0, in revision order. */
  events: BundleEvent[];
}

/** One hash-chain link: `hash` of (`streamId`, `revision`) and the `prevHash` it commits to. */
export interface BundleLink {
  eventId: string;
  streamId: string;
  revision: number;
  prevHash: string;
  hash: string;
}

export interface BundleProof {
  eventId: string;
  /** The event's leaf index in the global Merkle log. */
  leafIndex: number;
  /** `sha256(0x00 ‖ event hash)`, hex. */
  leafHash: string;
  /** RFC 9162 §2.1.3 audit path against the checkpoint's tree, bottom-up. */
  proof: string[];
}

export interface ExportBundle {
  format: typeof BUNDLE_FORMAT;
  itemId: string;
  /** The item and its copies (and their copies), in the order of `streams`. */
  items: string[];
  exportedAt: string;
  /** Id of the key that signed the checkpoint (first 16 hex of sha256 over its SPKI DER). */
  keyId: string;
  /** The signed checkpoint every proof is against (plus where its own event sits in the log). */
  checkpoint: SignedCheckpoint & { eventId?: string; eventPosition?: number };
  streams: BundleStream[];
  links: BundleLink[];
  proofs: BundleProof[];
  /**
   * Consistency proofs from earlier tree sizes to the checkpoint's (`export --prove-from SIZE`), for an auditor whose
   * trusted state pins that size (`verify-bundle --trusted-state`). Optional; checked, never trusted.
   */
  consistency?: { fromSize: number; toSize: number; proof: string[] }[];
}

/** Which check failed. */
export type BundleCheck =
  | 'format' // not a bundle of this format
  | 'key-id' // the bundle or checkpoint names another key than the one given
  | 'signature' // the checkpoint's Ed25519 signature does not verify
  | 'revision' // a stream does not run 0, 1, 2, … or an event sits in the wrong stream
  | 'hash' // an event's hash does not recompute from its content
  | 'link' // an event's prevHash is not its predecessor's hash
  | 'chain-record' // the bundle's link list disagrees with the event
  | 'missing-proof' // an event without an inclusion proof
  | 'leaf' // the proof's leaf hash is not the leaf of the event's hash
  | 'inclusion' // the audit path does not lead to the checkpoint root
  | 'order'; // leaf indices do not follow the stream's revisions

export interface BundleFailure {
  check: BundleCheck;
  eventId?: string;
  streamId?: string;
  revision?: number;
  detail: string;
}

export interface BundleVerifyResult {
  ok: boolean;
  itemId: string | null;
  events: number;
  streams: number;
  treeSize: number | null;
  rootHash: string | null;
  keyId: string;
  failures: BundleFailure[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** "event e-1 (item-doc-1#3): hash: recomputed …" — one line per failure, what the CLI prints. */
export const describeFailure = (f: BundleFailure): string =>
  `${f.eventId ? `event ${f.eventId} (${f.streamId}#${f.revision}): ` : ''}${f.check}: ${f.detail}`;

/**
 * Checks a bundle with the public key alone: the checkpoint's signature and key id, every event's hash, every chain
 * link from revision 0, and every event's inclusion in the signed root. Reports every failure (not only the first),
 * each naming the event and the check. Never throws on a malformed bundle; throws only when `publicKeyPem` is not a
 * public key.
 */
export function verifyBundle(
  bundle: unknown,
  publicKeyPem: string,
  onProgress?: (checked: number, total: number) => void,
): BundleVerifyResult {
  const keyId = keyIdOf(publicKeyPem);
  const failures: BundleFailure[] = [];
  const result = (
    itemId: string | null,
    events: number,
    streams: number,
    cp?: SignedCheckpoint,
  ): BundleVerifyResult => ({
    ok: failures.length === 0,
    itemId,
    events,
    streams,
    treeSize: cp?.treeSize ?? null,
    rootHash: cp?.rootHash ?? null,
    keyId,
    failures,
  });
  if (
    !isObject(bundle) ||
    bundle.format !== BUNDLE_FORMAT ||
    !Array.isArray(bundle.streams) ||
    !Array.isArray(bundle.proofs) ||
    !Array.isArray(bundle.links) ||
    !isObject(bundle.checkpoint)
  ) {
    failures.push({
      check: 'format',
      detail: `not a ${BUNDLE_FORMAT} bundle (format, streams, links, proofs and checkpoint are required)`,
    });
    return result(null, 0, 0);
  }
  const b = bundle as unknown as ExportBundle;
  const cp = b.checkpoint;
  if (b.keyId !== keyId || cp.keyId !== keyId) {
    failures.push({
      check: 'key-id',
      detail: `the bundle names key ${String(b.keyId)} (checkpoint: ${String(cp.keyId)}); the public key given is ${keyId}`,
    });
  }
  if (!verifyCheckpoint(cp, publicKeyPem)) {
    failures.push({
      check: 'signature',
      detail: `the checkpoint of ${String(cp.treeSize)} events (root ${String(cp.rootHash)}) does not carry a valid signature by key ${keyId}`,
    });
  }

  const proofs = new Map<string, BundleProof>();
  for (const p of b.proofs) if (isObject(p) && typeof p.eventId === 'string') proofs.set(p.eventId, p);
  const links = new Map<string, BundleLink>();
  for (const l of b.links) if (isObject(l) && typeof l.eventId === 'string') links.set(l.eventId, l);

  const total = b.streams.reduce((n, s) => n + (isObject(s) && Array.isArray(s.events) ? s.events.length : 0), 0);
  let checked = 0;
  for (const stream of b.streams) {
    if (!isObject(stream) || typeof stream.streamId !== 'string' || !Array.isArray(stream.events)) {
      failures.push({ check: 'format', detail: 'a stream without streamId or events' });
      continue;
    }
    let prev = GENESIS_HASH;
    let lastLeaf = -1;
    stream.events.forEach((raw: unknown, i: number) => {
      checked += 1;
      if (onProgress && checked % 1000 === 0) onProgress(checked, total);
      if (!isObject(raw) || !isObject(raw.metadata)) {
        failures.push({
          check: 'format',
          streamId: stream.streamId,
          revision: i,
          detail: 'an event without metadata',
        });
        return;
      }
      const e = raw as unknown as BundleEvent;
      const at = { eventId: String(e.eventId), streamId: String(e.streamId), revision: e.revision };
      const fail = (check: BundleCheck, detail: string) => failures.push({ check, ...at, detail });
      const { prevHash, hash } = e.metadata;
      if (e.streamId !== stream.streamId) fail('revision', `listed in stream ${String(stream.streamId)}`);
      // Full streams from revision 0: a missing or extra event shows as a revision out of place.
      if (e.revision !== i) fail('revision', `revision ${String(e.revision)} at place ${i} of the stream`);
      let recomputed: string | undefined;
      try {
        recomputed = isHashHex(prevHash)
          ? eventHash(prevHash, {
              streamId: e.streamId,
              revision: e.revision,
              eventId: e.eventId,
              type: e.type,
              data: e.data,
              metadata: e.metadata,
            })
          : undefined;
      } catch {
        recomputed = undefined;
      }
      if (recomputed === undefined || recomputed !== hash)
        fail('hash', `recomputed ${recomputed ?? '(cannot hash)'}, the event says ${String(hash)}`);
      if (prevHash !== prev)
        fail(
          'link',
          `prevHash ${String(prevHash)} is not ${i === 0 ? 'the genesis hash' : `the hash ${prev} of revision ${i - 1}`}`,
        );
      prev = typeof hash === 'string' ? hash : '';
      const link = links.get(at.eventId);
      if (
        !link ||
        link.streamId !== e.streamId ||
        link.revision !== e.revision ||
        link.prevHash !== prevHash ||
        link.hash !== hash
      ) {
        fail('chain-record', link ? 'the link list disagrees with the event' : 'no entry in the link list');
      }
      const p = proofs.get(at.eventId);
      if (!p) {
        fail('missing-proof', 'no inclusion proof');
        return;
      }
      const expectedLeaf = isHashHex(hash) ? leafHash(hash) : undefined;
      if (p.leafHash !== expectedLeaf)
        fail('leaf', `leaf hash ${String(p.leafHash)} is not the leaf ${expectedLeaf ?? '?'} of the event hash`);
      if (
        !Array.isArray(p.proof) ||
        !verifyInclusion(String(p.leafHash), p.leafIndex, cp.treeSize, p.proof, String(cp.rootHash))
      ) {
        fail(
          'inclusion',
          `the audit path of leaf ${String(p.leafIndex)} does not lead to the checkpoint root ${String(cp.rootHash)} of ${String(cp.treeSize)} events`,
        );
      }
      // Within a stream the global order follows the revisions, so leaf indices must increase with them.
      if (!(typeof p.leafIndex === 'number' && p.leafIndex > lastLeaf))
        fail('order', `leaf ${String(p.leafIndex)} does not come after leaf ${lastLeaf} of the previous revision`);
      if (typeof p.leafIndex === 'number') lastLeaf = p.leafIndex;
    });
  }
  onProgress?.(checked, total);
  return result(typeof b.itemId === 'string' ? b.itemId : null, checked, b.streams.length, cp);
}
