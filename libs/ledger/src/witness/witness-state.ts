import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
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

const STATE_FORMAT = 'custody-ledger-witness-state/1';

/**
 * The witness's state file, written only by the witness: the new content goes to a temp file in the same
 * directory, is fsynced, renamed over the old file, and the directory is fsynced — so after a crash at any point
 * the file holds either the old state or the new one, never a torn mix, and once `save` returns the new state
 * survives a power loss.
 */
export class FileWitnessState implements WitnessStateStore {
  constructor(readonly path: string) {}

  load(): Record<string, WitnessLogState> {
    if (!existsSync(this.path)) return {};
    const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as {
      format?: string;
      logs?: Record<string, WitnessLogState>;
    };
    if (parsed.format !== STATE_FORMAT || !parsed.logs || typeof parsed.logs !== 'object')
      throw new Error(`${this.path} is not a ${STATE_FORMAT} file`);
    return parsed.logs;
  }

  save(state: Record<string, WitnessLogState>): void {
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify({ format: STATE_FORMAT, logs: state }, null, 2) + '\n');
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
  }
}
