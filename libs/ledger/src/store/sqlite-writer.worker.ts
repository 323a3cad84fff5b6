/**
 * The writer thread of one SQLite store file ({@link SqliteWriterThread} starts it): its own connection, with the
 * store's `synchronous` setting, running {@link SqliteWriter}'s group commits as they come. Its event loop may block
 * in COMMIT's fsync; the main thread's does not.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteWriter, toWriterError, type WriterError } from './sqlite.event-store';
import type { WriterRequest, WriterResponse, WriterThreadData } from './sqlite-writer.thread';

const { file, synchronous } = workerData as WriterThreadData;
const port = parentPort!;

let db: Database.Database | undefined;
let writer: SqliteWriter | undefined;
// A connection that cannot be opened fails every group sent, as a failed transaction would (the main thread
// turns it into StoreUnavailable).
let unopened: WriterError | undefined;
try {
  // The main thread created the file, its schema and WAL mode; this connection only writes.
  db = new Database(file, { fileMustExist: true });
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  writer = new SqliteWriter(db);
} catch (error) {
  db?.close();
  db = undefined;
  unopened = toWriterError(error);
}

port.on('message', (request: WriterRequest) => {
  let response: WriterResponse;
  if ('close' in request) {
    db?.close();
    port.close();
    return;
  }
  if ('pragma' in request) {
    try {
      response = db ? { pragma: db.pragma(request.pragma, { simple: true }) } : { pragmaError: unopened!.message };
    } catch (error) {
      response = { pragmaError: error instanceof Error ? error.message : String(error) };
    }
  } else response = writer ? writer.commit(request.group) : { failure: unopened! };
  port.postMessage(response);
});
