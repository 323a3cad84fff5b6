import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, type EventStore } from '@app/ledger';
import { storeRollbackCases } from './store-rollback.cases';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rollback-sqlite-'));
const files = new WeakMap<EventStore, string>();
let n = 0;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

storeRollbackCases('the embedded SQLite store', {
  fresh: () => {
    const file = path.join(root, `store-${n++}.sqlite`);
    const store = SqliteEventStore.open(file);
    files.set(store, file);
    return Promise.resolve(store);
  },
  // Another connection on the file, as the sqlite3 shell of an operator would be.
  cutLive: (store, afterPosition) => {
    const db = new Database(files.get(store));
    db.prepare(`DELETE FROM events WHERE position > ?`).run(afterPosition);
    db.close();
    return Promise.resolve();
  },
});
