import type Database from 'better-sqlite3';
import type { Db } from './read-model-db';

const cache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * The prepared statement for `sql` on this connection, compiled once. better-sqlite3 compiles on every `prepare`
 * (it keeps no cache of its own), which was a large share of each projected event's CPU and of each query's.
 */
export const statement = <P extends unknown[] = unknown[]>(db: Db, sql: string): Database.Statement<P> => {
  let byText = cache.get(db);
  if (!byText) cache.set(db, (byText = new Map<string, Database.Statement>()));
  let s = byText.get(sql);
  if (!s) byText.set(sql, (s = db.prepare(sql)));
  return s as Database.Statement<P>;
};

/**
 * A version of the database as this connection sees it: changes with every row this connection writes
 * (`total_changes()`) and every commit of another connection (`data_version`). An answer computed at the same
 * version is still the answer, so a query may keep it (violations' first-page totals, readers pages).
 */
export const dbVersion = (db: Db): string => {
  const changes = statement(db, `SELECT total_changes() AS n`).get() as { n: number };
  const other = statement(db, `PRAGMA data_version`).get() as { data_version: number };
  return `${changes.n}:${other.data_version}`;
};

/** True when the file has a table of this name. */
export const hasTable = (db: Db, name: string): boolean =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
