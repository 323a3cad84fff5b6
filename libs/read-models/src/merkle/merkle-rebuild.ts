import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { workerEntry, type RecordedEvent } from '@app/ledger';
import type { Db } from '../db/read-model-db';
import type { ProjectionFailure } from '../runner/projection-runner';
import { MERKLE_STATE_SCHEMA, MERKLE_STATE_TABLES } from './merkle-index';

/**
 * What the Merkle side of a rebuild needs of an event: its identity and its chain hash, never its data. A page of
 * them goes to the worker as five flat arrays (one structured clone of strings and numbers, no object per event).
 */
export interface MerklePage {
  eventIds: string[];
  streamIds: string[];
  revisions: number[];
  positions: number[];
  /** `metadata.hash` as the event carries it (not necessarily a string: the worker's projection judges it). */
  hashes: unknown[];
}

export type MerkleWorkerMessage = { done: true; failures: ProjectionFailure[] } | { error: string };

/** The Merkle tables a rebuild's worker fills in its own file, copied into the rebuilt file at the end. */
const MERKLE_TABLES = ['merkle_leaves', 'merkle_streams', ...MERKLE_STATE_TABLES] as const;

/**
 * The Merkle half of a rebuild on a second thread (issue 16: the leaves' rows, their SHA-256 and the tree were a
 * third of a rebuild's CPU on one thread). The main thread posts each page's identities and hashes before it projects
 * the page itself; the worker runs the same `merkle-leaves` projection (through a ProjectionRunner, so a bad hash is
 * recorded and skipped exactly as on one thread) and the same MerkleIndex into a file of its own; at the end its
 * tables are copied into the rebuilt file in one statement each (SQLite, not JavaScript, moves the rows).
 */
export class MerkleRebuild {
  private readonly worker: Worker;
  private readonly outcome: Promise<ProjectionFailure[]>;

  /** `byStore`: the rebuilt file finds its events through the store (no `merkle_events`; setEventsFoundByStore). */
  constructor(
    readonly file: string,
    private readonly byStore = false,
  ) {
    for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    // The worker imports `@app/*`: compiled, it inherits this process's `-r` that resolves them.
    const entry = workerEntry(__filename, 'merkle-rebuild.worker', true);
    this.worker = new Worker(entry.file, {
      workerData: { file, byStore },
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    });
    this.outcome = new Promise((resolve, reject) => {
      this.worker.on('message', (m: MerkleWorkerMessage) =>
        'error' in m ? reject(new Error(`merkle rebuild worker: ${m.error}`)) : resolve(m.failures),
      );
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => reject(new Error(`merkle rebuild worker exited with code ${code}`)));
    });
    // Settled by finish(); a failed rebuild that never gets there must not leave an unhandled rejection behind.
    this.outcome.catch(() => undefined);
  }

  /** Hands a page to the worker (it is projected there while this thread projects the rest). */
  page(events: readonly RecordedEvent[]): void {
    const page: MerklePage = { eventIds: [], streamIds: [], revisions: [], positions: [], hashes: [] };
    for (const e of events) {
      page.eventIds.push(e.eventId);
      page.streamIds.push(e.streamId);
      page.revisions.push(e.revision);
      page.positions.push(e.position);
      page.hashes.push((e.metadata as { hash?: unknown } | undefined)?.hash);
    }
    this.worker.postMessage(page);
  }

  /**
   * Waits for the worker to have committed every page and persisted the Merkle state, then copies its tables into
   * `db` (the rebuilt file, whose Merkle tables are empty) and removes its file. Returns the worker's failures.
   */
  async finish(db: Db): Promise<ProjectionFailure[]> {
    this.worker.postMessage({ done: true });
    const failures = await this.outcome;
    await this.worker.terminate();
    db.exec(MERKLE_STATE_SCHEMA);
    db.prepare(`ATTACH DATABASE ? AS merkle_part`).run(this.file);
    try {
      db.transaction(() => {
        for (const t of this.byStore ? MERKLE_TABLES : [...MERKLE_TABLES, 'merkle_events'])
          db.exec(`INSERT INTO main.${t} SELECT * FROM merkle_part.${t}`);
      })();
    } finally {
      db.exec(`DETACH DATABASE merkle_part`);
    }
    this.remove();
    return failures;
  }

  /** Stops the worker and removes its file (a rebuild that failed). */
  async abort(): Promise<void> {
    await this.worker.terminate();
    this.remove();
  }

  private remove(): void {
    for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(this.file + suffix, { force: true });
  }
}
