import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker/worker-entry';
import { StoreUnavailable } from './event-store.port';
import type { WriterOperation, WriterReply } from './sqlite.event-store';

/** What the writer thread is started with. */
export interface WriterThreadData {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
}

/** A message to the writer thread: a group to commit, a PRAGMA to run (tests, maintenance), or the end. */
export type WriterRequest = { group: WriterOperation[][] } | { pragma: string } | { close: true };

/** Its answer to a group or a PRAGMA, in the order asked. */
export type WriterResponse = WriterReply | { pragma: unknown } | { pragmaError: string };

interface Pending {
  resolve(response: WriterResponse): void;
  reject(error: unknown): void;
}

/**
 * This thread's handle on the writer thread of one store file (sqlite-writer.worker.ts). Started on the first write,
 * so a store only read never starts one. The thread keeps the process alive only while a request is with it, so a
 * store left open does not hold a finished program; answers come back in the order asked.
 */
export class SqliteWriterThread {
  private worker: Worker | undefined;
  private readonly pending: Pending[] = [];

  constructor(
    private readonly file: string,
    private readonly synchronous: 'FULL' | 'NORMAL',
  ) {}

  commit(group: WriterOperation[][]): Promise<WriterReply> {
    return this.ask({ group }) as Promise<WriterReply>;
  }

  async pragma(pragma: string): Promise<unknown> {
    const response = await this.ask({ pragma });
    if ('pragmaError' in response) throw new Error(response.pragmaError);
    return (response as { pragma: unknown }).pragma;
  }

  /** Lets the thread finish what it was sent, close its connection and exit. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ close: true } satisfies WriterRequest);
    await exited;
    // Anything still unanswered when the thread exited was not committed by it.
    this.failPending(new StoreUnavailable('event store: closed while a write was in flight'));
  }

  private ask(request: WriterRequest): Promise<WriterResponse> {
    const worker = this.worker ?? this.start();
    return new Promise<WriterResponse>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      if (this.pending.length === 1) worker.ref();
      worker.postMessage(request);
    });
  }

  private start(): Worker {
    const entry = workerEntry(__filename, 'sqlite-writer.worker');
    const worker = new Worker(entry.file, {
      execArgv: entry.execArgv,
      workerData: { file: this.file, synchronous: this.synchronous } satisfies WriterThreadData,
    });
    worker.unref();
    worker.on('message', (response: WriterResponse) => {
      const next = this.pending.shift();
      if (this.pending.length === 0) worker.unref();
      next?.resolve(response);
    });
    const stopped = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // The next write starts a new thread. What was in flight has an unknown fate only if the thread died inside
      // COMMIT; SQLite's journal makes that all or nothing, and a retried command finds its claim if it did commit.
      this.failPending(new StoreUnavailable(`event store: the writer thread stopped: ${error.message}`, error));
    };
    worker.on('error', stopped);
    worker.on('exit', (code) => stopped(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failPending(error: StoreUnavailable): void {
    for (const p of this.pending.splice(0)) p.reject(error);
  }
}
