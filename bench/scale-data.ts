/**
 * The scale data set (issue 16): an office's ledger at 100,000 or 1,000,000 events, built through the command path —
 * `LedgerCore.executeBatch`, the same validation, permission, decision, sealing, group commit and projections as
 * `POST /api/commands:batch` — never by raw inserts, so every event is one the domain decided and sealed.
 *
 * Shape (at 1M, scaled down for 100k): 10,000 persons, 100,000 items received, ordinary readings by persons in scope,
 * about 6 % of readings by a staff member out of scope (a violation and an incident each; their report and
 * investigation deadlines fire as the clock passes them, two more violations each), loans and returns, dispatches
 * and receipts, approved copies, and one much-read item (10,000 readings at 1M) for history pages.
 *
 * Time is a ManualClock walked from 2025-01-01 in steps; the deadlines due at a step's end fire after its commands
 * in the same batch, as a scheduler round right after them would. Out-of-scope readings stop four months before the end, so every deadline a start could find due
 * (the 3-month investigation one is the longest) has fired already: a service started on the data set fires none.
 *
 * Built once per (size, GENERATOR_VERSION) under bench/.data/ (git-ignored) and reused: a `complete.json` marker is
 * written last, so an interrupted build is started again from nothing. Runs that write copy the directory first.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock, STORE_FORMAT } from '@app/ledger';
import { READ_MODEL_SCHEMA_VERSION } from '@app/read-models';
import { LedgerCore, type Principal } from '@app/application';
import type { Deadline } from '@app/custody';
import { prng } from './bench-kit';

/** Bump when the shape changes: a data set built by another version is rebuilt. */
export const GENERATOR_VERSION = 1;

export interface ScaleShape {
  label: string;
  events: number;
  persons: number;
  items: number;
  /** Readings of the one much-read item (`doc-hot`). */
  hotReadings: number;
}

export const SHAPES: Record<string, ScaleShape> = {
  '1m': { label: '1M', events: 1_000_000, persons: 10_000, items: 100_000, hotReadings: 10_000 },
  '100k': { label: '100k', events: 100_000, persons: 1_000, items: 10_000, hotReadings: 1_000 },
  '10k': { label: '10k', events: 10_000, persons: 100, items: 1_000, hotReadings: 100 },
};

export interface ScaleDataSet {
  dir: string;
  shape: ScaleShape;
  events: number;
  violations: number;
  incidents: number;
  /** Wall-clock seconds the build took (when it was built). */
  buildSeconds: number;
  builtAt: string;
  /** An ordinary item (a handful of events) and the much-read one, for history questions. */
  ordinaryItem: string;
  hotItem: string;
  /** The admin key the bench starts the service with. */
  key: string;
}

export const SCALE_KEY = 'k-scale-bench-0123456789';
/** The repository root (this file runs from bench/ under ts-register and from dist/bench/ when built). */
const ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const dataRoot = (): string => path.join(ROOT, 'bench', '.data');

const START = Date.parse('2025-01-01T08:00:00Z');
const DAY = 86_400_000;
/** Simulated days; the last 120 have no out-of-scope readings (see above). */
const DAYS = 540;
const QUIET_DAYS = 120;
/**
 * Commands per `executeBatch` (in-process, so not bound by the HTTP route's 1,000): a day's commands (about 1,900
 * at 1M) in one store transaction. At 1M each event dirties a few random index pages (event ids, streams, command
 * ids), so fewer, larger commits write fewer pages per event.
 */
const BATCH = 5_000;
/** The clock at the end of the build (the last day's working hours over). */
const END = START + DAYS * DAY + 8 * 3_600_000;

const registrar: Principal = { personId: 'p-registrar', name: 'registrar', roles: ['admin'] };
const ranks = ['staff', 'staff', 'staff', 'manager', 'director', 'executive'] as const;

type Cmd = { name: string; body: { data: Record<string, unknown>; occurredAt?: string; commandId?: string } };

/** Persons: p-i; rank by i % 6. Staff (i % 6 < 3) are out of a SECRET item's default scope; directors are in. */
const inScopeReader = (random: () => number, persons: number) =>
  `p-${4 + 6 * Math.floor(random() * Math.floor((persons - 5) / 6))}`;
const outOfScopeReader = (random: () => number, persons: number) =>
  `p-${6 * Math.floor(random() * Math.floor(persons / 6))}`;

/** Builds the data set into `dir` (which must not exist yet or be empty). */
export async function buildScaleDataSet(
  dir: string,
  shape: ScaleShape,
  log: (s: string) => void,
): Promise<Omit<ScaleDataSet, 'dir' | 'shape' | 'key'>> {
  fs.mkdirSync(dir, { recursive: true });
  const clock = new ManualClock(new Date(START).toISOString());
  // Every stream's fold kept: at 1M the 110,000 items and persons would otherwise be read and folded again.
  const core = await LedgerCore.open({ dataDir: dir, clock, decisionCacheSize: shape.items + shape.persons + 50_000 });
  const random = prng(1_000_016);
  const started = Date.now();
  let sent = 0;
  let failed = 0;
  let firstFailure = '';
  // Wall time in the day's command batches and in the deadline rounds: the build is a chain of dependent rounds, and
  // these say how much of it is waits between them (docs/benchmarks.md "The 1M build, session 6").
  const spent = { commands: 0, deadlines: 0, batches: 0, rounds: 0, fired: 0 };
  /**
   * Runs lists of commands (each with the due deadlines to fire after it) as lanes of one `executeLanes` call, a
   * list over BATCH commands as several lanes of up to BATCH (its deadlines after the last): each lane is decided
   * while the one before it is committed on the store's writer thread. A day is one list (its commands depend on
   * the day before: see docs/benchmarks.md "The 1M build, session 7"); the registrations are many lanes.
   */
  const run = async (lanes: { cmds: Cmd[]; due?: readonly Deadline[] }[]) => {
    const t0 = performance.now();
    const batches: { commands: Cmd[]; fireDeadlines?: readonly Deadline[] }[] = [];
    for (const { cmds, due = [] } of lanes)
      for (let i = 0; i < Math.max(1, cmds.length); i += BATCH)
        batches.push({ commands: cmds.slice(i, i + BATCH), fireDeadlines: i + BATCH >= cmds.length ? due : [] });
    const answers = await core.executeLanes(
      batches.filter((b) => b.commands.length + (b.fireDeadlines?.length ?? 0) > 0),
      registrar,
    );
    for (const results of answers) {
      sent += results.length;
      for (const r of results)
        if (!r.ok) {
          failed++;
          if (!firstFailure) firstFailure = String((r.error as Error)?.message ?? r.error);
        }
      spent.batches++;
    }
    spent.commands += performance.now() - t0;
  };
  // The scheduler's work (LedgerCore.fireDueDeadlines: the same FireDeadline commands, ids and actor, in due order,
  // one batch of the decider runner each round), in rounds of up to 5,000: ~60k deadlines fire at 1M.
  const fireDue = async () => {
    const now = clock.now().toISOString();
    const t0 = performance.now();
    for (; ; spent.rounds++) {
      await core.readModels.catchUp();
      const due = core.readModels.dueDeadlines(now, 5_000);
      if (due.length === 0) return void (spent.deadlines += performance.now() - t0);
      spent.fired += due.length;
      const results = await core.fireDeadlines(due);
      results.forEach((r, i) => {
        if (!r.ok) throw r.error;
        core.readModels.markFired(due[i]);
      });
    }
  };
  let lastLog = 0;
  const progress = async (phase: string) => {
    if (Date.now() - lastLog < 5_000) return;
    lastLog = Date.now();
    const head = (await core.store.headPosition()) ?? 0;
    const s = (Date.now() - started) / 1000;
    log(`  ${phase}: ${head.toLocaleString('en-US')} events, ${Math.round(head / s).toLocaleString('en-US')}/s`);
  };
  try {
    // Day 0: the registry (persons, places), then every item received.
    clock.set(new Date(START));
    const setup: Cmd[] = [
      {
        name: 'RegisterPerson',
        body: {
          data: { personId: 'p-registrar', name: 'registrar', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' },
        },
      },
      { name: 'RegisterPlace', body: { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } } },
    ];
    await run([{ cmds: setup }]);
    const persons: Cmd[] = [];
    for (let i = 0; i < shape.persons; i++)
      persons.push({
        name: 'RegisterPerson',
        body: {
          data: {
            personId: `p-${i}`,
            name: `person ${i}`,
            rank: ranks[i % ranks.length],
            clearance: i % 6 < 3 && i % 4 === 1 ? 'CONFIDENTIAL' : 'SECRET',
            unit: `unit-${i % 50}`,
          },
        },
      });
    await run([{ cmds: persons }]);
    const itemIds = Array.from({ length: shape.items }, (_, i) => `doc-${i}`);
    itemIds.push('doc-hot');
    const register: Cmd[] = itemIds.map((itemId, i) => ({
      name: 'RegisterReceivedItem',
      body: {
        data: {
          itemId,
          title: `directive ${i}`,
          level: 'SECRET',
          periodYears: 10,
          basis: 'catalogue 2.1',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-registrar',
          scope: { persons: [] },
          copyAllowed: i % 20 === 0,
        },
      },
    }));
    for (let i = 0; i < register.length; i += 2 * BATCH) {
      await run([{ cmds: register.slice(i, i + 2 * BATCH) }]);
      await progress('items');
    }

    // The days: every item's life spread over them, and readings until the target is reached.
    const perDay = (n: number) => Math.max(1, Math.round(n / DAYS));
    const plannedLives = Math.floor(shape.items * 0.1);
    let life = 0;
    let hot = 0;
    const readingsNeeded = async () => shape.events - ((await core.store.headPosition()) ?? 0);
    for (let day = 1; day <= DAYS; day++) {
      const at = START + day * DAY;
      clock.set(new Date(at));
      const quiet = day > DAYS - QUIET_DAYS;
      const cmds: Cmd[] = [];
      // Loans (ApproveLoan, RecordLoan, RecordReturn), dispatch and receipt, copies: each on 10 % of the items.
      for (let k = 0; k < perDay(plannedLives); k++, life++) {
        if (life >= plannedLives) break;
        const loan = `doc-${life * 10}`;
        const borrower = inScopeReader(random, shape.persons);
        const dueAt = new Date(at + 7 * DAY).toISOString();
        cmds.push(
          { name: 'ApproveLoan', body: { data: { itemId: loan, loanId: `l-${life}`, borrower, dueAt } } },
          { name: 'RecordLoan', body: { data: { itemId: loan, loanId: `l-${life}`, borrower, dueAt } } },
          { name: 'RecordReturn', body: { data: { itemId: loan, loanId: `l-${life}` } } },
        );
        const sent = `doc-${life * 10 + 1}`;
        const to = inScopeReader(random, shape.persons);
        cmds.push(
          { name: 'DispatchItem', body: { data: { itemId: sent, to, channel: 'confidential-post', couriers: [] } } },
          { name: 'AcknowledgeReceipt', body: { data: { itemId: sent, by: to } } },
        );
        if (life % 2 === 0) {
          const src = `doc-${life * 10}`; // copyAllowed on every 20th item
          cmds.push(
            { name: 'RequestCopy', body: { data: { itemId: src, requestId: `r-${life}`, copies: 1 } } },
            { name: 'ApproveCopy', body: { data: { itemId: src, requestId: `r-${life}` } } },
            {
              name: 'RecordCopy',
              body: { data: { itemId: src, copyItemId: `${src}-c${life}`, requestId: `r-${life}` } },
            },
          );
        }
      }
      const hotToday = Math.min(perDay(shape.hotReadings), shape.hotReadings - hot);
      for (let k = 0; k < hotToday; k++, hot++)
        cmds.push({
          name: 'RecordReading',
          body: { data: { itemId: 'doc-hot', reader: inScopeReader(random, shape.persons), placeId: 'room-1' } },
        });
      // Ordinary readings: what is left of the target spread over the remaining days (each out-of-scope reading
      // brings about six events with its incident and deadlines, an ordinary one one).
      const left = await readingsNeeded();
      const today = Math.max(0, Math.round(left / (DAYS - day + 1) - cmds.length * 1.2));
      for (let k = 0; k < today; k++) {
        const itemId = `doc-${Math.floor(random() * shape.items)}`;
        const out = !quiet && random() < 0.058;
        cmds.push({
          name: 'RecordReading',
          body: {
            data: {
              itemId,
              reader: out ? outOfScopeReader(random, shape.persons) : inScopeReader(random, shape.persons),
              placeId: 'room-1',
            },
          },
        });
      }
      // Spread the day's commands over its working hours; the clock stands at the day's end while they run.
      const step = Math.floor((8 * 3_600_000) / Math.max(1, cmds.length));
      cmds.forEach((c, i) => (c.body.occurredAt = new Date(at + i * step).toISOString()));
      clock.set(new Date(at + 8 * 3_600_000));
      // The deadlines due by the day's end fire after its commands in the same batch (one append, no round of their
      // own), as a round of the scheduler right after them would: every one of them was set by an earlier day's
      // events (the shortest is a leak report's 24 hours; a loan's 7 days end with its same-day return), which the
      // read models hold since the last batch's answer waited for them. What they set that is due already (none in
      // this shape) fires with the next day's.
      const dueAt = clock.now().toISOString();
      const t0 = performance.now();
      const due = core.readModels.dueDeadlines(dueAt, 5_000);
      spent.deadlines += performance.now() - t0;
      spent.fired += due.length;
      await run([{ cmds, due }]);
      await progress(`day ${day}`);
    }
    // Whatever is due by the end fires now, so a start on the data set finds nothing due at its clock.
    await fireDue();
    await core.readModels.catchUp();
    log(`  spent: ${JSON.stringify(spent, (_, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`);
    if (failed > 0) throw new Error(`${failed} of ${sent} commands failed; the first: ${firstFailure}`);
    const events = (await core.store.headPosition()) ?? 0;
    const violations = core.readModels.violations.count();
    const incidents = core.readModels.incidents.count();
    return {
      events,
      violations,
      incidents,
      buildSeconds: (Date.now() - started) / 1000,
      builtAt: new Date().toISOString(),
      ordinaryItem: 'doc-3',
      hotItem: 'doc-hot',
    };
  } finally {
    await core.close();
  }
}

/**
 * What a data set holds, to compare two builds of one shape (docs/benchmarks.md "The 1M build"): events by type,
 * the rows of the read models' main tables, a digest of every event's type in position order (equal when no event
 * moved), and one of the (stream, type) pairs as a sorted list with the UUIDs in stream ids blanked: incident ids
 * carry the random command id, and the scheduler fires deadlines due at one instant in the order of their keys.
 */
export const summarize = (dir: string): Record<string, unknown> => {
  const store = new Database(path.join(dir, 'ledger.sqlite'), { fileMustExist: true, readonly: true });
  const rm = new Database(path.join(dir, 'read-models.sqlite'), { fileMustExist: true, readonly: true });
  try {
    const byType = Object.fromEntries(
      (
        store
          .prepare(`SELECT t.type, COUNT(*) AS n FROM events e JOIN types t USING (type_no) GROUP BY t.type`)
          .all() as { type: string; n: number }[]
      ).map((r) => [r.type, r.n]),
    );
    const types = createHash('sha256');
    const pairs: string[] = [];
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
    const rows = store
      .prepare(
        `SELECT s.stream_id AS s, t.type AS t FROM events e JOIN streams s USING (stream_no) JOIN types t USING (type_no)
         ORDER BY e.position`,
      )
      .raw()
      .iterate() as Iterable<[string, string]>;
    for (const [streamId, type] of rows) {
      types.update(`${type}\n`);
      pairs.push(`${streamId.replace(uuid, '*')}\t${type}`);
    }
    const streams = createHash('sha256');
    for (const p of pairs.sort()) streams.update(`${p}\n`);
    const count = (table: string) => (rm.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const tables = ['items', 'persons', 'incidents', 'violations', 'deadlines', 'custody_holders', 'stream_states'];
    return {
      streams: (store.prepare(`SELECT COUNT(*) AS n FROM streams`).get() as { n: number }).n,
      eventsByType: byType,
      readModelRows: Object.fromEntries(tables.map((t) => [t, count(t)])),
      typeSequenceDigest: types.digest('hex'),
      streamTypeDigest: streams.digest('hex'),
    };
  } finally {
    store.close();
    rm.close();
  }
};

/** The schema version a read-model file was written with, or undefined. */
const schemaOf = (file: string): string | undefined => {
  if (!fs.existsSync(file)) return undefined;
  const db = new Database(file, { fileMustExist: true });
  try {
    return (db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined)?.value;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
};

/** The store file format of a data set's ledger.sqlite (`PRAGMA user_version`; 0 is format 1). */
const storeFormatOf = (file: string): number => {
  const db = new Database(file, { fileMustExist: true, readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

/**
 * Brings a reused data set to this build: read models of another schema are replayed from the store, and a store
 * of an older file format is migrated (both on the ledger's own open, closed cleanly). Done on the data set itself,
 * once, so the runs' copies do not each pay it (a format-1 store at 1M took minutes to migrate on every run's first
 * start). The events, their positions and hashes are unchanged by either.
 */
const refreshReadModels = async (dir: string, log: (s: string) => void): Promise<void> => {
  const format = storeFormatOf(path.join(dir, 'ledger.sqlite'));
  const schemaOk = schemaOf(path.join(dir, 'read-models.sqlite')) === String(READ_MODEL_SCHEMA_VERSION);
  if (schemaOk && format >= STORE_FORMAT) return;
  if (format < STORE_FORMAT)
    log(`  its store is of file format ${format || 1}: migrating it in place to ${STORE_FORMAT}…`);
  if (!schemaOk) log(`  its read models are of another schema: rebuilding them in place…`);
  const started = Date.now();
  const core = await LedgerCore.open({ dataDir: dir, clock: new ManualClock(new Date(END).toISOString()) });
  // The Merkle index persists its state at close: the runs' starts resume from it.
  await core.close();
  log(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
};

/** The data set of a size, built when missing or built by another generator version. */
export async function scaleDataSet(sizeName: string, log: (s: string) => void): Promise<ScaleDataSet> {
  const shape = SHAPES[sizeName];
  if (!shape) throw new Error(`BENCH_SCALE must be one of ${Object.keys(SHAPES).join(', ')}, got ${sizeName}`);
  const dir = path.join(dataRoot(), `scale-${sizeName}-v${GENERATOR_VERSION}`);
  const marker = path.join(dir, 'complete.json');
  if (fs.existsSync(marker)) {
    const done = JSON.parse(fs.readFileSync(marker, 'utf8')) as Omit<ScaleDataSet, 'dir' | 'shape' | 'key'>;
    log(`  reusing ${path.relative(ROOT, dir)} (${done.events.toLocaleString('en-US')} events, built ${done.builtAt})`);
    await refreshReadModels(dir, log);
    return { ...done, dir, shape, key: SCALE_KEY };
  }
  // Other versions of this size are stale: remove them (they are large).
  if (fs.existsSync(dataRoot()))
    for (const d of fs.readdirSync(dataRoot()))
      if (d.startsWith(`scale-${sizeName}-v`)) fs.rmSync(path.join(dataRoot(), d), { recursive: true, force: true });
  log(`  building the ${shape.label} data set through the command path into ${path.relative(ROOT, dir)}…`);
  const built = await buildScaleDataSet(dir, shape, log);
  fs.writeFileSync(marker, JSON.stringify({ ...built, summary: summarize(dir) }, null, 2) + '\n');
  log(
    `  built: ${built.events.toLocaleString('en-US')} events, ${built.violations.toLocaleString('en-US')} violations, ` +
      `${built.incidents.toLocaleString('en-US')} incidents in ${built.buildSeconds.toFixed(0)} s ` +
      `(${Math.round(built.events / built.buildSeconds).toLocaleString('en-US')} events/s)`,
  );
  return { ...built, dir, shape, key: SCALE_KEY };
}

// `node -r ./test/support/ts-register.js bench/scale-data.ts 1m`: builds (or finds) the data set without the bench.
// `… bench/scale-data.ts summary DIR`: prints a data set's summary (for a set built before summaries were kept).
if (require.main === module && process.argv[2] === 'summary') {
  process.stdout.write(JSON.stringify(summarize(process.argv[3] ?? '.'), null, 2) + '\n');
} else if (require.main === module) {
  scaleDataSet(process.argv[2] ?? '100k', (line) => process.stderr.write(`${line}\n`)).catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
