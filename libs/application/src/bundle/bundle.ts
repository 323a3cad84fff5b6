/**
 * Export bundles (contract §1, §8): an item's full history with everything an investigator needs to check it offline —
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
  CheckpointKeyChain,
  verifyStreamHeadProof,
  isCosignatureBy,
  parseNote,
  parseSignatureLine,
  type StreamHeadProof,
  type SignedCheckpoint,
  type RecordedEvent,
} from '@app/ledger';
import { witnessVerifier } from '../witnesses/witness-keys';

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

/** A stream's head and its proof against the checkpoint's stream-heads root (contract §4.1). */
export type BundleStreamHead = Omit<StreamHeadProof, 'rootHash'>;

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
  /** Per stream (same order as `streams`): its head and proof against `checkpoint.streamsRoot`. */
  heads: BundleStreamHead[];
  /** Witness cosignature lines (C2SP cosignature/v1) on the checkpoint's note. */
  cosignatures: string[];
  /** The key hand-over checkpoints since the ledger's first key, oldest first: a verifier follows them from its pin. */
  keyHandovers: SignedCheckpoint[];
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
  | 'order' // leaf indices do not follow the stream's revisions
  | 'stream-head' // a stream's last event is not the head the checkpoint commits to (cut short), or no proof of it
  | 'missing-stream' // an item the bundle names has no stream in it (emptied)
  | 'binding' // a stream id is not item-<itemId> of an item the bundle names (relabelled)
  | 'witness-quorum'; // fewer of the named witnesses co-signed the checkpoint than the quorum

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
/** Witnesses a bundle's checkpoint must carry cosignatures of (`verify-bundle --witness … --quorum N`). */
export interface BundleWitnessOptions {
  witnesses?: { name: string; publicKey: string }[];
  quorum?: number;
}

export function verifyBundle(
  bundle: unknown,
  publicKeyPem: string,
  onProgress?: (checked: number, total: number) => void,
  witnessOptions: BundleWitnessOptions = {},
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
  // From the pinned key through the hand-overs the bundle carries, to the key that signed its checkpoint.
  const chain = new CheckpointKeyChain(publicKeyPem);
  for (const h of Array.isArray(b.keyHandovers) ? b.keyHandovers : []) {
    const step = isObject(h) ? chain.accept(h) : { ok: false, detail: 'malformed' };
    if (!step.ok || !step.handedOverTo)
      failures.push({
        check: 'signature',
        detail: `a key hand-over does not verify: ${step.detail ?? 'it hands over nothing'}`,
      });
  }
  const effectiveKeyId = keyIdOf(chain.currentPem);
  if (b.keyId !== effectiveKeyId || cp.keyId !== effectiveKeyId) {
    failures.push({
      check: 'key-id',
      detail: `the bundle names key ${String(b.keyId)} (checkpoint: ${String(cp.keyId)}); the public key given is ${keyId}${effectiveKeyId !== keyId ? `, handed over to ${effectiveKeyId}` : ''}`,
    });
  }
  if (!chain.accept(cp).ok) {
    failures.push({
      check: 'signature',
      detail: `the checkpoint of ${String(cp.treeSize)} events (root ${String(cp.rootHash)}) does not carry a valid signature by key ${effectiveKeyId}`,
    });
  }
  checkCompleteness(b, failures);
  if (witnessOptions.witnesses && witnessOptions.witnesses.length > 0) checkWitnesses(b, witnessOptions, failures);

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

/**
 * Complete streams (contract §4.1): every item the bundle names has its stream; each stream is `item-<itemId>` of a
 * named item; and each stream's last event is the head the checkpoint's stream-heads root commits to, so a stream
 * cut short (its last events and their proofs dropped) is caught even though what remains verifies.
 */
function checkCompleteness(b: ExportBundle, failures: BundleFailure[]): void {
  const items: unknown[] = Array.isArray(b.items) ? b.items : [];
  const named = new Set<string>([...items.filter((i): i is string => typeof i === 'string'), String(b.itemId)]);
  const streams = b.streams.filter(isObject);
  for (const s of streams) {
    if (s.streamId !== `item-${String(s.itemId)}` || !named.has(String(s.itemId)))
      failures.push({
        check: 'binding',
        streamId: String(s.streamId),
        detail: `stream ${String(s.streamId)} is not item-<itemId> of an item the bundle names (${[...named].join(', ')})`,
      });
  }
  for (const itemId of named) {
    if (!streams.some((s) => s.streamId === `item-${itemId}`))
      failures.push({
        check: 'missing-stream',
        streamId: `item-${itemId}`,
        detail: `the bundle names item ${itemId} but holds no stream item-${itemId}`,
      });
  }
  const cp = b.checkpoint;
  if (typeof cp.streamsRoot !== 'string') {
    failures.push({
      check: 'stream-head',
      detail: 'the checkpoint commits to no stream heads (a v1 checkpoint): no stream can be shown complete',
    });
    return;
  }
  const heads = Array.isArray(b.heads) ? b.heads.filter(isObject) : [];
  for (const s of streams) {
    const events = Array.isArray(s.events) ? s.events : [];
    const last = events[events.length - 1] as BundleEvent | undefined;
    const head = heads.find((h) => isObject(h.head) && h.head.streamId === s.streamId);
    const at = { streamId: String(s.streamId) };
    if (!head || !verifyStreamHeadProof({ ...head, rootHash: cp.streamsRoot }, cp.streamsRoot)) {
      failures.push({
        check: 'stream-head',
        ...at,
        detail: `no valid proof of the head of ${String(s.streamId)} against the streams root ${cp.streamsRoot}`,
      });
      continue;
    }
    if (!last || last.revision !== head.head.revision || last.metadata?.hash !== head.head.hash)
      failures.push({
        check: 'stream-head',
        ...at,
        revision: last?.revision,
        detail: `stream ${String(s.streamId)} is cut short: it ends at revision ${last ? String(last.revision) : '(none)'}, the checkpoint commits to revision ${head.head.revision} (hash ${head.head.hash})`,
      });
  }
}

/** The named witnesses' cosignatures on the bundle's checkpoint note, against the quorum (default: all). */
function checkWitnesses(b: ExportBundle, o: BundleWitnessOptions, failures: BundleFailure[]): void {
  const named = o.witnesses ?? [];
  const quorum = o.quorum ?? named.length;
  const cosigned = new Set<string>();
  let text: string | null = null;
  try {
    text = typeof b.checkpoint.note === 'string' ? parseNote(b.checkpoint.note).text : null;
  } catch {
    text = null;
  }
  if (text) {
    const verifiers = named.map((w) => witnessVerifier(w.name, w.publicKey));
    for (const line of Array.isArray(b.cosignatures) ? b.cosignatures : []) {
      try {
        const sig = parseSignatureLine(String(line).replace(/\n$/, ''));
        const v = verifiers.find((x) => x.name === sig.name);
        if (v && isCosignatureBy(v, text, sig)) cosigned.add(v.name);
      } catch {
        // Not a cosignature line.
      }
    }
  }
  if (cosigned.size < quorum) {
    const missing = named.map((w) => w.name).filter((n) => !cosigned.has(n));
    failures.push({
      check: 'witness-quorum',
      detail: `witness quorum not met: ${cosigned.size} of quorum ${quorum} co-signed the checkpoint of ${String(b.checkpoint.treeSize)} events; missing: ${missing.join(', ')}`,
    });
  }
}
