import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** What a witness remembers of one log: the latest checkpoint it co-signed. */
export interface WitnessLogState {
  treeSize: number;
  /** Root hash, lowercase hex. */
  rootHash: string;
  /** The checkpoint note it co-signed, with the log's signatures and its cosignature (for monitors). */
  note?: string;
  /**
   * The log keys (vkeys) the witness learnt from the log's key hand-overs: trusted beside the configured ones.
   * Written in the same atomic save as the hand-over checkpoint's cosignature.
   */
  keys?: string[];
  /** Key IDs (hex) of log keys a hand-over retired: never trusted again for this origin, configured or not. */
  retired?: string[];
}

/** Where a witness keeps its state. `save` must be durable when it returns: the witness answers only after it. */
export interface WitnessStateStore {
  load(): Record<string, WitnessLogState>;
  save(state: Record<string, WitnessLogState>): void;
}

/** In memory (tests, embedders with their own durability). */
export class MemoryWitnessState implements WitnessStateStore {
  private state: Record<string, WitnessLogState> = {};
  load(): Record<string, WitnessLogState> {
    return structuredClone(this.state);
  }
  save(state: Record<string, WitnessLogState>): void {
    this.state = structuredClone(state);
  }
}

/** The first format: the whole state as one JSON document, replaced atomically on every save. Still read. */
const STATE_FORMAT = 'custody-ledger-witness-state/1';
/** The two-slot format (below): each slot opens with this word. */
const SLOT_FORMAT = 'custody-ledger-witness-state/2';
/** Slots are whole 4 KiB blocks, so writing one never touches a block of the other. */
const BLOCK = 4096;

/** Bytes of a slot holding `payload` (UTF-8 JSON), with room to grow; a whole number of blocks. */
const slotBytesFor = (payloadBytes: number): number =>
  Math.max(BLOCK, Math.ceil((2 * payloadBytes + 256) / BLOCK) * BLOCK);

/** The checksum of a slot: over its generation, its length and its payload, so a torn or stale slot never checks. */
const slotChecksum = (generation: number, payload: Buffer): string =>
  createHash('sha256').update(`${generation} ${payload.length}\n`).update(payload).digest('hex');

/** A slot's bytes: `custody-ledger-witness-state/2 <generation> <length> <sha256>\n<payload>\n`, padded with newlines. */
const slotImage = (generation: number, payload: Buffer, slotBytes: number): Buffer => {
  const head = Buffer.from(`${SLOT_FORMAT} ${generation} ${payload.length} ${slotChecksum(generation, payload)}\n`);
  const image = Buffer.alloc(slotBytes, '\n');
  head.copy(image, 0);
  payload.copy(image, head.length);
  return image;
};

/** The generation and payload of a slot, or undefined when it is empty, torn or not a slot. */
const readSlot = (bytes: Buffer): { generation: number; payload: Buffer } | undefined => {
  const eol = bytes.indexOf(0x0a);
  if (eol < 0) return undefined;
  const m = /^custody-ledger-witness-state\/2 (\d{1,15}) (\d{1,9}) ([0-9a-f]{64})$/.exec(
    bytes.toString('latin1', 0, eol),
  );
  if (!m) return undefined;
  const generation = Number(m[1]);
  const length = Number(m[2]);
  if (eol + 1 + length > bytes.length) return undefined;
  const payload = bytes.subarray(eol + 1, eol + 1 + length);
  return slotChecksum(generation, payload) === m[3] ? { generation, payload } : undefined;
};

const parseLogs = (text: string, path: string, format: string): Record<string, WitnessLogState> => {
  const parsed = JSON.parse(text) as { format?: string; logs?: Record<string, WitnessLogState> };
  if (parsed.format !== format || !parsed.logs || typeof parsed.logs !== 'object')
    throw new Error(`${path} is not a ${format} file`);
  return parsed.logs;
};

/**
 * The witness's state file, written only by the witness, in two slots of whole 4 KiB blocks: each slot holds a
 * generation number, the length and SHA-256 of its payload, and the payload (the state as JSON, readable with `cat`).
 * A save writes the next generation into the slot that does not hold the latest one, in place, with one fdatasync;
 * a load takes the valid slot of the higher generation. A crash while a slot is written leaves that slot torn (its
 * checksum fails) and the other — the state of the last answer given — whole; once `save` returns, the new slot is on
 * disk. So nothing the witness answered is lost, at the cost of one data flush per co-signature instead of a file's
 * fsync, a rename and its directory's fsync (decisions.md).
 *
 * The file itself is created — and replaced, when it is in the first format (an older witness's file: migrated on its
 * first save) or when the state outgrows a slot — the careful way: a temp file in the same directory, fsynced,
 * renamed over the old one, the directory fsynced.
 */
export class FileWitnessState implements WitnessStateStore {
  /** Where the file is in its slots: the generation of the latest slot and which slot holds it; null = replace. */
  private slots: { generation: number; latest: 0 | 1; slotBytes: number } | null | undefined;

  constructor(readonly path: string) {}

  load(): Record<string, WitnessLogState> {
    this.slots = null;
    if (!existsSync(this.path)) return {};
    const bytes = readFileSync(this.path);
    // The first format is one JSON document; the two-slot format opens with its format word.
    if (bytes[0] === 0x7b) return parseLogs(bytes.toString('utf8'), this.path, STATE_FORMAT);
    const slotBytes = bytes.length / 2;
    if (!Number.isInteger(slotBytes) || slotBytes % BLOCK !== 0)
      throw new Error(`${this.path} is not a ${SLOT_FORMAT} file (size ${bytes.length})`);
    const found = [readSlot(bytes.subarray(0, slotBytes)), readSlot(bytes.subarray(slotBytes))];
    const latest: 0 | 1 = (found[1]?.generation ?? -1) > (found[0]?.generation ?? -1) ? 1 : 0;
    const slot = found[latest];
    if (!slot) throw new Error(`${this.path}: neither slot of the ${SLOT_FORMAT} file is intact`);
    const logs = parseLogs(slot.payload.toString('utf8'), this.path, SLOT_FORMAT);
    this.slots = { generation: slot.generation, latest, slotBytes };
    return logs;
  }

  save(state: Record<string, WitnessLogState>): void {
    if (this.slots === undefined) this.load();
    const payload = Buffer.from(JSON.stringify({ format: SLOT_FORMAT, logs: state }, null, 2));
    const slots = this.slots;
    if (slots && payload.length + 128 <= slots.slotBytes) {
      const generation = slots.generation + 1;
      const target: 0 | 1 = slots.latest === 0 ? 1 : 0;
      const fd = openSync(this.path, 'r+');
      try {
        writeFully(fd, slotImage(generation, payload, slots.slotBytes), target * slots.slotBytes);
        // The file's size and blocks are as they were: flushing the data is enough (no metadata to commit).
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.slots = { generation, latest: target, slotBytes: slots.slotBytes };
      return;
    }
    this.replace(payload, (slots?.generation ?? 0) + 1);
  }

  /** Writes a new file holding `payload` as `generation` in slot 0 (slot 1 empty), atomically replacing the old. */
  private replace(payload: Buffer, generation: number): void {
    const slotBytes = slotBytesFor(payload.length);
    const image = Buffer.alloc(2 * slotBytes, '\n');
    slotImage(generation, payload, slotBytes).copy(image, 0);
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeFully(fd, image, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.slots = { generation, latest: 0, slotBytes };
  }
}

/** writeSync until every byte of `bytes` is written at `position`. */
const writeFully = (fd: number, bytes: Buffer, position: number): void => {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
};
