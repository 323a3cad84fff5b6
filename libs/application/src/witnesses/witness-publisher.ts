/**
 * Sends every new checkpoint to the configured witnesses (C2SP tlog-witness add-checkpoint) and stores the
 * cosignatures they return (contract §4.1). Never in the way of commands: it runs beside them, each witness on its
 * own loop; a witness that is down is retried with exponential backoff and caught up with the latest checkpoint
 * (one consistency proof from the size it last co-signed) when it returns.
 *
 * Cosignatures are stored as `CheckpointCosigned` events in `ledger-checkpoints` (not in a read model): they are
 * facts about the ledger that must survive a read-model rebuild, travel with the store (EventStoreDB replicas see
 * them), and are themselves committed to by the next checkpoint. They are not domain events, so they never cause
 * a checkpoint of their own (the signer skips trees that grew only by the checkpoint stream).
 */
import {
  CHECKPOINT_STREAM,
  eventIdFor,
  formatAddCheckpoint,
  isCosignatureBy,
  parseNote,
  parseSignatureLine,
  type CosignatureVerifier,
  type EventStore,
  type RecordedEvent,
} from '@app/ledger';
import type { ReadModels } from '@app/read-models';
import type { CheckpointRecord, CheckpointService } from '../checkpoints/checkpoints';
import type { WitnessConfig } from '../config';
import { witnessVerifier } from './witness-keys';

export const CHECKPOINT_COSIGNED = 'CheckpointCosigned';

/** The data of a `CheckpointCosigned` event. */
export interface CheckpointCosignedData {
  treeSize: number;
  rootHash: string;
  witness: string;
  /** The signature line as the witness returned it, without its newline. */
  cosignature: string;
  /** POSIX seconds the witness put in its cosignature. */
  timestamp: number;
}

export interface WitnessStatus {
  name: string;
  url: string;
  /** The largest tree this witness co-signed for us (as far as we know). */
  cosignedSize: number;
  /** The last failure (network, or a refusal with its status and text), cleared by the next success. */
  lastError?: string;
  /** Attempts since the last success. */
  failures: number;
}

export interface WitnessPublisherOptions {
  /** First retry delay (ms), doubled per failure up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Per request (ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Reads `CheckpointCosigned` events back. */
export const cosignedOf = (e: RecordedEvent): CheckpointCosignedData | null =>
  e.type === CHECKPOINT_COSIGNED && e.data !== null && typeof e.data === 'object'
    ? (e.data as CheckpointCosignedData)
    : null;

/** Every stored cosignature, oldest first. */
export const storedCosignatures = async (store: EventStore): Promise<CheckpointCosignedData[]> =>
  (await store.readStream(CHECKPOINT_STREAM)).map(cosignedOf).filter((c): c is CheckpointCosignedData => c !== null);

/** What identifies a checkpoint's cosignatures: its size, root and note. */
type CheckpointFacts = Pick<CheckpointRecord, 'treeSize' | 'rootHash' | 'note'>;

interface WitnessLoop {
  config: WitnessConfig;
  verifier: CosignatureVerifier;
  status: WitnessStatus;
  /** The size the witness has (what `old` must be); learnt from a 409 when ours is stale. */
  knownSize: number;
  running: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
  /**
   * A key hand-over checkpoint the witness must co-sign before the latest one: it refused the latest (403) because
   * it still trusts the key before the hand-over.
   */
  handover?: CheckpointRecord;
}

export class WitnessPublisher {
  private readonly loops: WitnessLoop[];
  private stopped = false;
  private readonly opts: Required<WitnessPublisherOptions>;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModels,
    private readonly checkpoints: CheckpointService,
    witnesses: readonly WitnessConfig[],
    options: WitnessPublisherOptions = {},
  ) {
    this.opts = {
      retryMinMs: options.retryMinMs ?? 500,
      retryMaxMs: options.retryMaxMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 10_000,
      fetch: options.fetch ?? fetch,
    };
    this.loops = witnesses.map((config) => ({
      config,
      verifier: witnessVerifier(config.name, config.publicKey),
      status: { name: config.name, url: config.url, cosignedSize: 0, failures: 0 },
      knownSize: 0,
      running: false,
      again: false,
    }));
    checkpoints.onCheckpoint(() => this.kick());
    checkpoints.cosignatureLinesFor = (cp) => this.linesFor(cp);
  }

  /** Learns what each witness co-signed from the store, then sends the latest checkpoint to any that lags. */
  async start(): Promise<void> {
    for (const c of await storedCosignatures(this.store)) {
      const loop = this.loops.find((l) => l.config.name === c.witness);
      if (loop && c.treeSize > loop.knownSize) {
        loop.knownSize = c.treeSize;
        loop.status.cosignedSize = c.treeSize;
      }
    }
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    for (const l of this.loops) clearTimeout(l.timer);
  }

  status(): WitnessStatus[] {
    return this.loops.map((l) => ({ ...l.status }));
  }

  /** Resolves once `count` witnesses (default: every one) have co-signed a tree of at least `size` (tests, export). */
  async waitFor(size: number, timeoutMs: number, count = this.loops.length): Promise<boolean> {
    const done = () => this.loops.filter((l) => l.status.cosignedSize >= size).length >= count;
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() >= deadline || this.stopped) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
        this.idle.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** The stored cosignature lines (with newlines) of a checkpoint, valid ones of configured witnesses only. */
  async linesFor(cp: CheckpointRecord): Promise<string[]> {
    return this.validCosignatures(cp, await storedCosignatures(this.store)).map((c) => `${c.cosignature}\n`);
  }

  /** The configured witnesses that validly co-signed `cp`, among `stored` (what {@link storedCosignatures} read). */
  cosignersOf(cp: CheckpointFacts, stored: readonly CheckpointCosignedData[]): string[] {
    return [...new Set(this.validCosignatures(cp, stored).map((c) => c.witness))];
  }

  /** Every cosignature stored so far (oldest first). */
  stored(): Promise<CheckpointCosignedData[]> {
    return storedCosignatures(this.store);
  }

  /** The names of the configured witnesses. */
  get names(): string[] {
    return this.loops.map((l) => l.config.name);
  }

  private validCosignatures(cp: CheckpointFacts, stored: readonly CheckpointCosignedData[]): CheckpointCosignedData[] {
    if (!cp.note) return [];
    const text = parseNote(cp.note).text;
    const valid = new Map<string, CheckpointCosignedData>();
    for (const c of stored) {
      if (c.treeSize !== cp.treeSize || c.rootHash !== cp.rootHash) continue;
      const loop = this.loops.find((l) => l.config.name === c.witness);
      try {
        if (loop && isCosignatureBy(loop.verifier, text, parseSignatureLine(c.cosignature)))
          valid.set(c.cosignature, c);
      } catch {
        // A malformed stored line is not a cosignature.
      }
    }
    return [...valid.values()];
  }

  private kick(): void {
    if (this.stopped) return;
    for (const l of this.loops) {
      if (l.running) l.again = true;
      else {
        clearTimeout(l.timer);
        void this.run(l);
      }
    }
  }

  private notifyIdle(): void {
    for (const f of this.idle) f();
    this.idle.clear();
  }

  private async run(l: WitnessLoop): Promise<void> {
    l.running = true;
    try {
      do {
        l.again = false;
        const outcome = await this.sendLatest(l);
        if (outcome === 'retry-later') {
          l.status.failures += 1;
          const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(20, l.status.failures - 1));
          if (!this.stopped) l.timer = setTimeout(() => this.kick(), delay);
          return;
        }
        if (outcome === 'again') l.again = true;
      } while (l.again && !this.stopped);
    } finally {
      l.running = false;
      this.notifyIdle();
    }
  }

  /**
   * One attempt to bring a witness up to the latest checkpoint — or first to a key hand-over it has not seen: a
   * witness follows a new key only through the checkpoint signed by the old and the new key, so one that was away
   * during a rotation (or was sent only the later checkpoints) must get that one first.
   */
  private async sendLatest(l: WitnessLoop): Promise<'done' | 'again' | 'retry-later'> {
    const latest = await this.checkpoints.latest();
    if (!latest?.note || this.stopped) return 'done';
    if (l.status.cosignedSize >= latest.treeSize && l.knownSize >= latest.treeSize) return 'done';
    await this.readModels.catchUp();
    const pending = l.handover;
    const target =
      pending?.note && pending.treeSize > l.knownSize && pending.treeSize < latest.treeSize ? pending : latest;
    const viaHandover = target !== latest;
    if (!viaHandover) delete l.handover;
    // (A pending hand-over has a note: checked just above.)
    const targetNote = target.note ?? latest.note;
    if (l.knownSize > latest.treeSize) {
      l.status.lastError = `the witness has co-signed ${l.knownSize} events, more than our latest checkpoint (${latest.treeSize}): was this store rolled back?`;
      this.log('error', l, l.status.lastError);
      return 'retry-later';
    }
    const body = formatAddCheckpoint({
      oldSize: l.knownSize,
      proof: this.readModels.merkle.consistencyProof(l.knownSize, target.treeSize),
      checkpoint: targetNote,
    });
    let res: Response;
    let text: string;
    try {
      res = await this.opts.fetch(`${l.config.url}/add-checkpoint`, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      l.status.lastError = `unreachable: ${(e as Error).message}`;
      if (l.status.failures === 0) this.log('warn', l, l.status.lastError);
      return 'retry-later';
    }
    if (res.status === 409 && /^\d+\n?$/.test(text)) {
      // Our idea of its size was stale (first contact, or a cosignature we did not get to store): try from its size.
      const size = Number(text.trim());
      if (size === l.knownSize) return 'retry-later';
      l.knownSize = size;
      return 'again';
    }
    if (res.status === 403 && !viaHandover) {
      // Not signed by a key it trusts: it may not have seen a key hand-over since the size it has.
      const pending = (await this.checkpoints.keyHandovers()).find(
        (c) => c.note && c.treeSize > l.knownSize && c.treeSize < latest.treeSize,
      );
      if (pending) {
        l.handover = pending;
        return 'again';
      }
    }
    if (res.status !== 200) {
      l.status.lastError = `refused with ${res.status}: ${text.trim()}`;
      this.log('error', l, l.status.lastError);
      return 'retry-later';
    }
    const noteText = parseNote(targetNote).text;
    const cosignatures: CheckpointCosignedData[] = [];
    for (const line of text.split('\n').filter((x) => x !== '')) {
      try {
        const sig = parseSignatureLine(line);
        const timestamp = sig.name === l.config.name ? l.verifier.timestampOf(noteText, sig.signature) : null;
        if (timestamp !== null && sig.keyId === l.verifier.keyId.toString('hex'))
          cosignatures.push({
            treeSize: target.treeSize,
            rootHash: target.rootHash,
            witness: l.config.name,
            cosignature: line,
            timestamp,
          });
      } catch {
        // Lines of unknown form or keys are ignored (tlog-witness: clients ignore unknown cosignatures).
      }
    }
    if (cosignatures.length === 0) {
      l.status.lastError = 'answered 200 without a valid cosignature by its configured key';
      this.log('error', l, l.status.lastError);
      return 'retry-later';
    }
    await this.checkpoints.appendToCheckpointStream(
      cosignatures.slice(0, 1).map((c) => ({
        eventId: eventIdFor(`cosign:${c.witness}:${c.treeSize}:${c.rootHash}`, CHECKPOINT_STREAM, 0),
        type: CHECKPOINT_COSIGNED,
        data: c,
        actor: `witness:${c.witness}`,
      })),
    );
    l.knownSize = target.treeSize;
    l.status.cosignedSize = target.treeSize;
    if (viaHandover) this.log('info', l, `co-signed the key hand-over at ${target.treeSize} events`);
    else if (l.status.failures > 0) this.log('info', l, `caught up at ${latest.treeSize} events`);
    l.status.failures = 0;
    delete l.status.lastError;
    // A newer checkpoint may have been signed meanwhile (or this was a hand-over on the way to the latest).
    return 'again';
  }

  private log(level: 'info' | 'warn' | 'error', l: WitnessLoop, msg: string): void {
    if (process.env.JEST_WORKER_ID !== undefined && level !== 'error') return;
    console.error(JSON.stringify({ level, msg: `witness ${l.config.name}: ${msg}`, witness: l.config.name }));
  }
}
