import { Worker } from 'node:worker_threads';
import type { Db } from './read-model-db';

/**
 * The thread's code, evaluated (no file of its own: nothing to compile or resolve but better-sqlite3, whose path is
 * given). A PASSIVE checkpoint never waits for a lock and never blocks the writer; it copies what no reader needs.
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or gone: the next tick tries again; the runner's connection checkpoints at close either way.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints of a read-model file on a thread of its own (issue 16, the live path): SQLite's automatic
 * checkpoint runs inside a COMMIT on the event loop every 1,000 WAL pages, copying pages back and fsyncing the WAL and
 * the file. While this runs, the runner's connection has `wal_autocheckpoint = 0`; {@link stop} puts the default back
 * and closes this thread's connection first, so that the runner's close is the last one, folds the WAL in and stamps
 * the file as cleanly closed (the next start skips its full check).
 */
export class WalCheckpointer {
  private constructor(
    private readonly db: Db,
    private readonly worker: Worker,
    private readonly exited: Promise<void>,
  ) {}

  static start(db: Db, everyMs = 200): WalCheckpointer {
    const worker = new Worker(SCRIPT, {
      eval: true,
      workerData: { file: db.name, sqlite: require.resolve('better-sqlite3'), everyMs },
    });
    // Never what keeps a process alive, and never a crash of it: without this thread SQLite checkpoints as before.
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', () => db.open && db.pragma('wal_autocheckpoint = 1000'));
    db.pragma('wal_autocheckpoint = 0');
    return new WalCheckpointer(db, worker, exited);
  }

  /** Stops the thread (its last checkpoint, its connection closed) and gives the checkpoints back to SQLite. */
  async stop(): Promise<void> {
    // Held by the wait for its exit: an unref'd thread's exit is no reason for the loop to stay, so with nothing else
    // pending the process ended inside this await and the caller's next step never ran (the projections bench did).
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }
}
