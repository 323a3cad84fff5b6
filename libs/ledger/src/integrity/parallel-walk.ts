/**
 * `verify` on every core (issue 16): the chains of an SQLite store file checked by worker threads, the streams split
 * among them, while this thread puts their leaves back in global order into the Merkle tree and holds it to the
 * trusted checkpoints. The outcome is {@link ChainVerifier}'s, event for event: chains are per stream and
 * independent, so a stream's first failure is found by whichever worker walks it, with the same reason; the first
 * failure of the log is the earliest of those and of the tree's own (a checkpoint mismatch), as in one walk.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker/worker-entry';
import Database from 'better-sqlite3';
import type { TrustedCheckpoint, VerifyFailure, VerifyResult } from './log-verifier';
import { MerkleFrontier } from './merkle/frontier';
import { idOf } from '../store/sqlite.row-codec';

/** What a worker is asked to walk. */
export interface WalkRequest {
  file: string;
  share: number;
  workers: number;
  /** Positions in (after, head]: the log as it was when the walk began. */
  after: number;
  head: number;
  pageSize: number;
}

/** One page of the log, as one worker saw it: the leaves of its streams' events in it. */
export interface WalkPage {
  index: number;
  /** Rows of this worker's share in the page (every worker walks the same pages: ranges of positions). */
  rows: number;
  /** The page's last position: it covers (previous page's last, last]. */
  last: number;
  count: number;
  positions: ArrayBuffer;
  revisions: ArrayBuffer;
  leaves: ArrayBuffer;
  failure?: VerifyFailure;
}

type WorkerMessage = WalkPage | { done: true } | { error: string };

/**
 * Where the tree's leaves go besides the frontier (the caller's full log, for consistency proofs). A sink that is a
 * tree itself (a MerkleLog: `size` and `root()`) is used as the tree, so this thread hashes each node once, not twice.
 */
export interface LeafSink {
  appendLeaf(leaf: Buffer): void;
  readonly size?: number;
  root?(): string;
}

type LeafTree = Required<LeafSink>;
const isTree = (sink: LeafSink | undefined): sink is LeafTree =>
  sink !== undefined && typeof sink.root === 'function' && sink.size === 0;

export interface ParallelWalkOptions {
  /** Worker threads (default: the cores available, at least 2). */
  workers?: number;
  pageSize?: number;
  checkpoints?: readonly TrustedCheckpoint[];
  /** Called after each page with the number of events checked so far. */
  onProgress?: (checked: number) => void;
  /** Also receives every verified leaf, in order. */
  leaves?: LeafSink;
}

/** Reads a page's events' identity for a failure this thread finds (a checkpoint mismatch, a truncation). */
const eventAt = (file: string, position: number): Omit<VerifyFailure, 'reason' | 'detail'> => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const r = db
      .prepare(
        `SELECT e.event_id, s.stream_id, e.revision, e.position FROM events e
         LEFT JOIN streams s ON s.stream_no = e.stream_no WHERE e.position = ?`,
      )
      .get(position) as
      { event_id: Buffer | string; stream_id: string | null; revision: number; position: number } | undefined;
    return r
      ? { eventId: idOf(r.event_id), streamId: r.stream_id ?? '', revision: r.revision, position: r.position }
      : { eventId: '', streamId: '', revision: -1, position: -1 };
  } finally {
    db.close();
  }
};

/**
 * Verifies every stream's chain and the Merkle tree over the global order of the SQLite store at `file`, up to the
 * head it has when called, on worker threads. Same result as {@link verifyEvents} over the same events.
 */
export async function verifySqliteLog(file: string, options: ParallelWalkOptions = {}): Promise<VerifyResult> {
  const workers = Math.max(1, options.workers ?? Math.max(2, os.availableParallelism?.() ?? os.cpus().length));
  const pageSize = options.pageSize ?? 5_000;
  const headDb = new Database(file, { readonly: true, fileMustExist: true });
  const head = (headDb.prepare(`SELECT MAX(position) AS p FROM events`).get() as { p: number | null }).p ?? 0;
  headDb.close();

  const checkpoints = [...(options.checkpoints ?? [])].sort((a, b) => a.treeSize - b.treeSize);
  const sink = isTree(options.leaves) ? undefined : options.leaves;
  const tree: Pick<LeafTree, 'appendLeaf' | 'size' | 'root'> = isTree(options.leaves)
    ? options.leaves
    : new MerkleFrontier();
  let nextCheckpoint = 0;
  let checked = 0;
  let streams = 0;
  let lastPosition = -1;
  let failure: VerifyFailure | undefined;
  /** A mismatch found here: the position of the event, and what to say (its identity is read once, at the end). */
  let treeFailure: { position: number; detail: string } | undefined;

  // The checkpoints the tree reached so far; false (and `treeFailure` set) at a mismatch.
  const matchCheckpoints = (position: number | undefined): boolean => {
    while (nextCheckpoint < checkpoints.length) {
      const cp = checkpoints[nextCheckpoint];
      if (cp.treeSize !== tree.size) return true;
      nextCheckpoint += 1;
      const root = tree.root();
      if (root !== cp.rootHash) {
        const detail = `Merkle root after ${cp.treeSize} events is ${root}, the checkpoint says ${cp.rootHash}`;
        if (position === undefined)
          failure = { eventId: '', streamId: '', revision: -1, position: -1, reason: 'checkpoint-mismatch', detail };
        else treeFailure = { position, detail };
        return false;
      }
      if (position !== undefined && cp.position !== undefined && cp.position !== position) {
        treeFailure = {
          position,
          detail: `leaf ${cp.treeSize - 1} is at position ${position}, the checkpoint says ${cp.position}`,
        };
        return false;
      }
    }
    return true;
  };
  if (!matchCheckpoints(undefined)) return resultOf();

  // Pages from each worker, taken in order; a page is merged once every worker has sent it.
  const queues: WalkPage[][] = Array.from({ length: workers }, () => []);
  const finished = new Array<boolean>(workers).fill(false);
  let stopped = false;
  const entry = workerEntry(__filename, 'chain-walk.worker');
  const threads = Array.from(
    { length: workers },
    (_, share) =>
      new Worker(entry.file, {
        execArgv: entry.execArgv,
        workerData: { file, share, workers, after: 0, head, pageSize } satisfies WalkRequest,
      }),
  );

  /** Merges the pages every worker has sent; false once the walk is over (a failure). */
  const mergeReady = (): boolean => {
    while (queues.every((q, k) => q.length > 0 || finished[k]) && queues.some((q) => q.length > 0)) {
      const pages = queues.map((q) => q.shift());
      const positions = pages.map((p) => (p ? new Float64Array(p.positions, 0, p.count) : new Float64Array(0)));
      const revisions = pages.map((p) => (p ? new Int32Array(p.revisions, 0, p.count) : new Int32Array(0)));
      const leaves = pages.map((p) => (p ? Buffer.from(p.leaves) : Buffer.alloc(0)));
      // The earliest failure any worker met in this page: everything before it is merged, it is the outcome.
      const failed = pages
        .map((p) => p?.failure)
        .filter((f): f is VerifyFailure => f !== undefined)
        .reduce<VerifyFailure | undefined>((a, f) => (!a || f.position < a.position ? f : a), undefined);
      const at = positions.map(() => 0);
      for (;;) {
        let k = -1;
        for (let j = 0; j < workers; j++)
          if (at[j] < positions[j].length && (k < 0 || positions[j][at[j]] < positions[k][at[k]])) k = j;
        if (k < 0) break;
        const position = positions[k][at[k]];
        if (failed && position > failed.position) break;
        const leaf = leaves[k].subarray(at[k] * 32, at[k] * 32 + 32);
        checked += 1;
        tree.appendLeaf(leaf);
        sink?.appendLeaf(leaf);
        if (revisions[k][at[k]] === 0) streams += 1;
        lastPosition = position;
        at[k] += 1;
        if (!matchCheckpoints(position)) return false;
      }
      if (failed) {
        checked += 1;
        failure = failed;
        return false;
      }
      options.onProgress?.(checked);
    }
    return true;
  };

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      stopped = true;
      void Promise.all(threads.map((t) => t.terminate())).then(() => (error ? reject(error) : resolve()));
    };
    threads.forEach((t, k) => {
      t.on('message', (m: WorkerMessage) => {
        if (stopped) return;
        if ('error' in m) return settle(new Error(m.error));
        if ('done' in m) finished[k] = true;
        else {
          queues[k].push(m);
          // A worker stops at its first failure: that page is its last.
          if (m.failure) finished[k] = true;
        }
        if (!mergeReady() || finished.every(Boolean)) settle();
      });
      t.on('error', (e) => settle(e));
      t.on('exit', (code) => {
        if (!finished[k] && !stopped) settle(new Error(`verify worker ${k} exited with code ${code}`));
      });
    });
  });
  return resultOf();

  function resultOf(): VerifyResult {
    if (treeFailure)
      failure = { ...eventAt(file, treeFailure.position), reason: 'checkpoint-mismatch', detail: treeFailure.detail };
    if (!failure && nextCheckpoint < checkpoints.length) {
      const cp = checkpoints[nextCheckpoint];
      failure = {
        ...eventAt(file, lastPosition),
        reason: 'truncated',
        detail: `a checkpoint covers ${cp.treeSize} events, the log holds ${tree.size}`,
      };
    }
    return {
      ok: failure === undefined,
      eventsChecked: checked,
      streams,
      treeSize: tree.size,
      rootHash: tree.root(),
      ...(failure ? { firstFailure: { ...failure } } : {}),
    };
  }
}
