/**
 * Disk per event (issue 16: ≤ 1 KB per event in all): the bytes of every table and index of a data directory's
 * store (`ledger.sqlite`) and read models (`read-models.sqlite`), per event of the store, from SQLite's own `dbstat`
 * table (pages in use, so free pages and the WAL are not counted: a store after a checkpoint has no WAL to speak of).
 *
 *   node -r ./test/support/ts-register.js bench/disk.bench.ts DATA_DIR…
 *
 * Also run by `npm run bench -- disk` over `BENCH_DISK_DIRS` (default: bench/.data/scale-100k-v1 when it is built).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { BenchResult } from './bench-kit';

export interface DiskUsage {
  file: string;
  events: number;
  /** Bytes in use per table or index (its pages, `pgsize` summed), largest first. */
  objects: { name: string; table: string; bytes: number }[];
  bytes: number;
}

/** Events in a store file, whichever format wrote it (`events` is keyed by position in both). */
const countEvents = (file: string): number => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Bytes of each table and index of one SQLite file (dbstat's `pgsize` summed per object). */
export const diskUsage = (file: string, events: number): DiskUsage => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const objects = db
      .prepare(
        `SELECT d.name AS name, coalesce(m.tbl_name, d.name) AS tbl, sum(d.pgsize) AS bytes
         FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name
         GROUP BY d.name ORDER BY bytes DESC`,
      )
      .all() as { name: string; tbl: string; bytes: number }[];
    return {
      file,
      events,
      objects: objects.map((o) => ({ name: o.name, table: o.tbl, bytes: o.bytes })),
      bytes: objects.reduce((s, o) => s + o.bytes, 0),
    };
  } finally {
    db.close();
  }
};

/** The store and read models of a data directory, per event of its store. */
export const dataDirUsage = (dir: string): DiskUsage[] => {
  const store = path.join(dir, 'ledger.sqlite');
  const events = countEvents(store);
  const files = [store, path.join(dir, 'read-models.sqlite')].filter((f) => fs.existsSync(f));
  return files.map((f) => diskUsage(f, events));
};

const perEvent = (bytes: number, events: number): number => (events === 0 ? 0 : bytes / events);

/** The table of one data directory: each table (its indexes beside it), each file, and all. */
export const printUsage = (dir: string, usage: DiskUsage[], write: (line: string) => void = console.log): void => {
  const events = usage[0]?.events ?? 0;
  write(`${dir}: ${events.toLocaleString('en-US')} events`);
  for (const u of usage) {
    write(`  ${path.basename(u.file)}: ${perEvent(u.bytes, events).toFixed(0)} B/event`);
    for (const o of u.objects) {
      const b = perEvent(o.bytes, events);
      if (b < 0.5) continue;
      const what = o.name === o.table ? o.name : `  ${o.name} (index of ${o.table})`;
      write(`    ${what.padEnd(64)} ${b.toFixed(1).padStart(8)} B/event`);
    }
  }
  write(
    `  in all: ${perEvent(
      usage.reduce((s, u) => s + u.bytes, 0),
      events,
    ).toFixed(0)} B/event`,
  );
};

/** `npm run bench -- disk`: the data directories in BENCH_DISK_DIRS (comma-separated), or the 100k scale set. */
export async function runDiskBench(): Promise<BenchResult[]> {
  const fallback = path.join(__dirname, '..', '..', 'bench', '.data', 'scale-100k-v1');
  const dirs = (process.env.BENCH_DISK_DIRS ?? fallback).split(',').filter((d) => fs.existsSync(d));
  const results: BenchResult[] = [];
  for (const dir of dirs) {
    const usage = dataDirUsage(dir);
    printUsage(dir, usage, (line) => process.stderr.write(line + '\n'));
    const events = usage[0]?.events ?? 0;
    for (const u of usage)
      results.push({
        name: `${path.basename(dir)}: ${path.basename(u.file)}`,
        value: perEvent(u.bytes, events),
        unit: 'B/event',
        runs: [perEvent(u.bytes, events)],
      });
    const all = perEvent(
      usage.reduce((s, u) => s + u.bytes, 0),
      events,
    );
    results.push({ name: `${path.basename(dir)}: in all (target ≤ 1,024)`, value: all, unit: 'B/event', runs: [all] });
  }
  return Promise.resolve(results);
}

if (require.main === module) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: bench/disk.bench.ts DATA_DIR…');
    process.exit(2);
  }
  for (const dir of dirs) printUsage(dir, dataDirUsage(dir));
}
