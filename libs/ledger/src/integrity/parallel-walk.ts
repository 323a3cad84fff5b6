/**
 * `verify` on every core (issue 16): the chains of an SQLite store file checked by worker threads, the log split by
 * position into spans that the workers take in turn, while this thread appends their leaves, span after span, to
 * the Merkle tree and holds it to the trusted checkpoints. The outcome is {@link ChainVerifier}'s, event for event.
 * In format 2 every event keeps its own hash and its link is the stored hash of its stream's previous event, so a
 * span is checked alone from the heads its streams have where it begins (read from the store). Where every event
 * before a position verified, those heads are what a walk from the start holds there, so the first failure of the
 * span that holds the walk's first failure is that failure, with the same reason; a span after it may name another
 * (its heads may be of damaged rows), but later; the walk takes the earliest, and the tree's own (a checkpoint
 * mismatch) where it comes first, as one walk would.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker/worker-entry';
import Database from 'better-sqlite3';
import type { TrustedCheckpoint, VerifyFailure, VerifyResult } from './log-verifier';
import { MerkleFrontier } from './merkle/frontier';
import { idOf } from '../store/sqlite.row-codec';
import { defaultSha256Batch, type Sha256Batch } from './batch-hash';

/** What a worker is asked to walk. */
export interface WalkRequest {
  file: string;
  share: number;
  workers: number;
  /** Positions in (after, head]: the log as it was when the walk began. */
  after: number;
  head: number;
  pageSize: number;
  /** Span k is positions (after + k·spanSize, after + (k + 1)·spanSize]; a worker walks spans share, share + workers, … */
  spans: number;
  spanSize: number;
  /** The batch hasher the worker hashes with (by name: a function does not cross to a thread). */
  hasher: Sha256Batch['name'];
}

/** One page of a span, as its worker walked it: the leaves of its events, in order. */
export interface WalkPage {
  span: number;
  /** The span's last page (or the one with its failure). */
  last: boolean;
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
  /** `count` leaves laid end to end at once (a MerkleLog's: a level of nodes a call); else appendLeaf each. */
  appendLeaves?(leaves: Uint8Array, count: number): unknown;
  readonly size?: number;
  root?(): string;
}

type LeafTree = Required<Omit<LeafSink, 'appendLeaves'>> & Pick<LeafSink, 'appendLeaves'>;
const isTree = (sink: LeafSink | undefined): sink is LeafTree =>
  sink !== undefined && typeof sink.root === 'function' && sink.size === 0;

export interface ParallelWalkOptions {
  /** Worker threads (default: the cores available, at least 2). */
  workers?: number;
  pageSize?: number;
  /** Pages in a span of positions (default 16). */
  pagesPerSpan?: number;
  checkpoints?: readonly TrustedCheckpoint[];
  /** Called after each page with the number of events checked so far. */
  onProgress?: (checked: number) => void;
  /** Also receives every verified leaf, in order. */
  leaves?: LeafSink;
  /**
   * What the workers hash the events' texts and leaves with, and this thread the tree's nodes when `leaves` is not a
   * tree (default: the native addon when built, else node:crypto; same bytes either way).
   */
  hasher?: Sha256Batch;
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
  // Spans of 16 pages: enough of them for each worker to take turns (this thread merges one while the workers walk the
  // next), few enough that reading the heads where each begins (one indexed lookup per stream in it) stays small.
  const spanSize = pageSize * (options.pagesPerSpan ?? 16);
  const headDb = new Database(file, { readonly: true, fileMustExist: true });
  const head = (headDb.prepare(`SELECT MAX(position) AS p FROM events`).get() as { p: number | null }).p ?? 0;
  headDb.close();

  const checkpoints = [...(options.checkpoints ?? [])].sort((a, b) => a.treeSize - b.treeSize);
  const hasher = options.hasher ?? defaultSha256Batch;
  const sink = isTree(options.leaves) ? undefined : options.leaves;
  const frontier = new MerkleFrontier();
  const tree: LeafTree = isTree(options.leaves)
    ? options.leaves
    : {
        appendLeaf: (leaf) => frontier.appendLeaf(leaf),
        appendLeaves: (leaves, count) => frontier.appendLeaves(leaves, count, hasher),
        get size() {
          return frontier.size;
        },
        root: () => frontier.root(),
      };
  /** Appends leaves [from, from + count) of a page to the tree (and the sink), at once where the tree can. */
  const append = (leaves: Buffer, from: number, count: number): void => {
    if (tree.appendLeaves) tree.appendLeaves(leaves.subarray(from * 32, (from + count) * 32), count);
    else for (let i = from; i < from + count; i++) tree.appendLeaf(leaves.subarray(i * 32, i * 32 + 32));
    if (sink) for (let i = from; i < from + count; i++) sink.appendLeaf(leaves.subarray(i * 32, i * 32 + 32));
  };
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

  // Pages of each span as they come (a worker sends a span's pages in order), merged span after span.
  const spans = Math.max(1, Math.ceil(head / spanSize));
  const queues: WalkPage[][] = Array.from({ length: spans }, () => []);
  let current = 0;
  const finished = new Array<boolean>(workers).fill(false);
  let stopped = false;
  const entry = workerEntry(__filename, 'chain-walk.worker');
  const threads = Array.from(
    { length: workers },
    (_, share) =>
      new Worker(entry.file, {
        execArgv: entry.execArgv,
        workerData: {
          file,
          share,
          workers,
          after: 0,
          head,
          pageSize,
          spans,
          spanSize,
          hasher: hasher.name,
        } satisfies WalkRequest,
      }),
  );

  /** Merges the pages that are next in order; false once the walk is over (all merged, or a failure). */
  const mergeReady = (): boolean => {
    while (current < spans && queues[current].length > 0) {
      const p = queues[current].shift()!;
      const positions = new Float64Array(p.positions, 0, p.count);
      const revisions = new Int32Array(p.revisions, 0, p.count);
      const leaves = Buffer.from(p.leaves);
      // The page's leaves at once, cut where a checkpoint's size falls (its root is the tree's there). Every
      // checkpoint of a size reached is matched (matchCheckpoints), so the next one lies beyond the tree's size.
      for (let i = 0; i < p.count;) {
        const room = nextCheckpoint < checkpoints.length ? checkpoints[nextCheckpoint].treeSize - tree.size : p.count;
        const n = Math.min(p.count - i, Math.max(1, room));
        append(leaves, i, n);
        for (const end = i + n; i < end; i++) if (revisions[i] === 0) streams += 1;
        checked += n;
        lastPosition = positions[i - 1];
        if (!matchCheckpoints(positions[i - 1])) return false;
      }
      if (p.failure) {
        checked += 1;
        failure = p.failure;
        return false;
      }
      options.onProgress?.(checked);
      if (p.last) current += 1;
    }
    return current < spans;
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
          queues[m.span].push(m);
          // A worker stops at its first failure: that page is its last.
          if (m.failure) finished[k] = true;
        }
        // Over when all is merged or a failure is reached, or when every worker stopped (a failure not reached yet
        // cannot be: the spans before it were walked whole, so it was merged).
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
