import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AppendResult,
  AppendedEventRef,
  CommandAppendResult,
  CommandClaim,
  CommandWrite,
  CommandWriteOutcome,
  ConcurrencyConflict,
  EventHandler,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreUnavailable,
  StoredCommand,
  StreamWrite,
  SubscribeOptions,
  Subscription,
} from './event-store.port';
import { SqliteSubscription } from './sqlite.subscription';
import { SqliteWriterThread } from './sqlite-writer.thread';
import { GENESIS_HASH as GENESIS, isHashHex, storedDataText } from '../integrity/event-hash';
import {
  PREV_MARKER,
  derivedPrevHash,
  derivesPrevHash,
  encodeMetadata,
  hashOf,
  idOf,
  idTextSql,
  metadataOf,
  storedHash,
  storedId,
} from './sqlite.row-codec';
import { openFormat } from './sqlite.migration';

/** Options for {@link SqliteEventStore.open}. */
export interface SqliteEventStoreOptions {
  /**
   * `FULL` (default): every commit is fsynced, so an acknowledged append survives kill -9 and power loss.
   * `NORMAL`: in WAL mode, survives a process crash but the last commits may be lost on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How often live subscriptions look for appends made by other processes on the same file (default 200 ms). */
  pollIntervalMs?: number;
  /**
   * Where group commits run. `worker` (default for a file): on a worker thread with its own connection, so the event
   * loop keeps deciding the next group while one waits for its fsync. `inline`: on this thread's connection (always
   * so for an in-memory database, which a second connection could not share).
   */
  writer?: 'worker' | 'inline';
}

/** Counters for tests and metrics. */
export interface SqliteEventStoreStats {
  /** Transactions committed by group commit (each is one fsync with `synchronous=FULL`). */
  commits: number;
  /** `append`/`appendMany` calls settled by those transactions (including those that failed a check). */
  appends: number;
}

/** A row of the embedded store's `events` table in format 2, as better-sqlite3 returns it (docs/integrity.md §3.1). */
export interface EventRow {
  position: number;
  stream_no: number;
  revision: number;
  /** 16 bytes for a lowercase UUID, else the id's text (sqlite.row-codec.ts). */
  event_id: Buffer | string;
  type_no: number;
  data: string;
  /** The canonical metadata without `hash`, its top-level members shortened (sqlite.row-codec.ts). */
  metadata: string;
  /** 32 bytes when the metadata's `hash` is a hex SHA-256 (else NULL, and the hash, if any, is in the text). */
  hash: Buffer | null;
}

/**
 * A read row, raw (better-sqlite3's arrays: no object per row): position, stream_no, revision, event_id, type_no,
 * data, metadata, hash, and the hash of the stream's previous event when the metadata leaves `prevHash` to derive.
 */
type ReadRow = [
  number,
  number,
  number,
  Buffer | string,
  number,
  string,
  string,
  Buffer | string | null,
  Buffer | string | null,
];
/*
 * The event id and hash come out as text, formatted by SQLite (`hex`, in C), when they are what the writer keeps (16
 * bytes of a UUID, 32 bytes of a SHA-256): a BLOB column becomes a Buffer per row in better-sqlite3, and two Buffers
 * an event (allocated, hexed, dropped) were a tenth of a read and much of its garbage (issue 16). Any other stored
 * value comes as it is and idOf / hashOf / derivedPrevHash read it as before, so the events are the same.
 */
const READ_COLUMNS =
  'position, stream_no, revision, ' +
  `${idTextSql('event_id')}, ` +
  "type_no, data, metadata, CASE WHEN typeof(hash) = 'blob' AND length(hash) = 32 THEN lower(hex(hash)) ELSE hash END";
/**
 * The previous event's hash (its metadata text when its hash column is NULL: derivedPrevHash), read only for a row that
 * needs it (format 2 leaves `prevHash` out when it is that).
 */
const PREVIOUS_HASH = `CASE WHEN e.revision > 0 AND instr(e.metadata, char(1)) > 0 THEN (SELECT coalesce(p.hash, p.metadata) FROM events p
  WHERE p.stream_no = e.stream_no AND p.revision < e.revision ORDER BY p.revision DESC LIMIT 1) END`;

/**
 * A row this store just committed, as its subscriptions read it from the tail (no query): the values it was written
 * with, and the prevHash it expands with (sqlite.row-codec.ts).
 */
interface TailRow {
  position: number;
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  hash: Buffer | null;
  prevHash: string;
}

const fromTail = (t: TailRow): RecordedEvent => ({
  eventId: t.eventId,
  type: t.type,
  streamId: t.streamId,
  revision: t.revision,
  position: t.position,
  data: JSON.parse(t.data) as unknown,
  metadata: metadataOf(t.metadata, t.hash, t.prevHash) as unknown as EventMetadata,
});

export interface PreparedEvent {
  eventId: string;
  id: Buffer | string;
  type: string;
  data: string;
  /** Encoded as if `prevHash` were the stream's link; `candidate` is that prevHash (checked when applied). */
  metadata: string;
  candidate: string | undefined;
  /** 32 bytes (a Uint8Array once it crossed to the writer thread), and the same as hex. */
  hash: Buffer | null;
  hashHex: string | undefined;
}

/** A write validated and serialized before it is queued, so a bad input fails its caller alone and early. */
export interface PreparedWrite {
  streamId: string;
  expectedRevision: ExpectedRevision;
  events: PreparedEvent[];
}

/** What one queued operation did: its writes' results, or the command row that already held its claim. */
type OperationResult =
  | {
      results: AppendResult[];
      taken?: undefined;
      heads?: Array<[string, number]>;
      appended?: boolean[];
      names?: NamesSeen;
    }
  | { results?: undefined; taken: CommandRow; heads?: undefined; appended?: undefined; names?: undefined };

/** Stream and type numbers an operation resolved in the group transaction, remembered once it committed. */
interface NamesSeen {
  streams: Array<[string, number]>;
  types: Array<[string, number]>;
}
type Outcome = { ok: true; result: OperationResult } | { ok: false; error: unknown };

/** One append or one command: its own SAVEPOINT in the group transaction. */
interface PreparedOperation extends WriterOperation {
  /** Why this command of an appendCommands call could not even be prepared: it fails without being applied. */
  invalid?: unknown;
}

/** An operation as the writer gets it (it may cross to the writer thread: plain data only). */
export interface WriterOperation {
  writes: PreparedWrite[];
  claim?: CommandClaim;
  /** Streams the command was decided on (appendCommands): a failed earlier write to one of them fails it too. */
  reads?: readonly string[];
  /** Set when the operation could not be prepared: it is not applied, and the caller keeps its reason. */
  invalid?: unknown;
}

/** An error as plain data, so that it can come back from the writer thread and be made again here. */
export type WriterError =
  | { conflict: true; streamId: string; expected: ExpectedRevision; actual: number; message: string }
  | { conflict?: false; name: string; message: string; code?: string };

/** An operation's outcome from the writer; a failed prepared operation comes back without an error (the caller has it). */
export type WriterOutcome = { ok: true; result: OperationResult } | { ok: false; error?: WriterError };

/**
 * What one group commit did: every call's outcomes, and whether another connection had written the file since the
 * writer's previous commit (its remembered heads are then void); or the failure that rolled the whole group back.
 */
export type WriterReply =
  { outcomes: WriterOutcome[][]; foreign: boolean; failure?: undefined } | { failure: WriterError };

/** What one call queued: one operation, or a batch of commands settled together (appendCommands). */
interface QueuedOperation {
  ops: PreparedOperation[];
  resolve(outcomes: Outcome[]): void;
  reject(error: unknown): void;
}

export interface CommandRow {
  scope: string;
  command_id: Buffer | string;
  name: string;
  hash: Buffer | string;
  /** Position of the command's first event (its events are consecutive: one operation inserts them in a row). */
  first_position: number | null;
  event_count: number;
}

/** Upper bound of queued calls per group-commit transaction, so one huge burst does not stall the event loop. */
const MAX_GROUP = 1000;
/** Stream heads remembered from this store's own commits; past this many the memory starts afresh (reads refill it). */
const MAX_KNOWN_HEADS = 100_000;
/** Streams whose last read row forwardPage remembers; past this many it starts afresh (a lookup refills it). */
const MAX_LAST_READ = 200_000;
const DEFAULT_POLL_MS = 200;
/** Rows of the store's own last commits kept for its subscriptions (between this and twice as many). */
const TAIL_ROWS = 2_048;

/** Numbers remembered per name table; past this many the memory starts afresh (reads refill it). */
const MAX_KNOWN_NAMES = 200_000;
/** Names read at once when a row's number is not known yet: it and the next ones (see NameTable.nameOf). */
const NAMES_READ_AHEAD = 512;

/** SQLite result codes that mean "the store cannot take writes now", as opposed to a caller bug. */
const isStorageFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    code === 'SQLITE_FULL' ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_BUSY')
  );
};

const toStoreUnavailable = (error: unknown, what: string): StoreUnavailable => {
  if (error instanceof StoreUnavailable) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  return new StoreUnavailable(
    `event store: ${what} failed${typeof code === 'string' ? ` (${code})` : ''}: ${detail}`,
    error,
  );
};

/**
 * A numbered name (format 2: streams and event types are kept once, rows carry their number). Numbers found or
 * made inside the group transaction are remembered only once it committed (the caller passes them to `remember`):
 * a rolled-back insert would otherwise leave a number that belongs to nobody, or later to another name.
 */
class NameTable {
  private readonly byName = new Map<string, number>();
  private readonly byNumber = new Map<number, string>();
  private readonly findNumber: Database.Statement<[string], number>;
  private readonly findName: Database.Statement<[number], string>;
  private readonly namesFrom: Database.Statement<[number], [number, string]>;
  private readonly insert: Database.Statement<[string]>;

  constructor(
    private readonly db: Database.Database,
    table: 'streams' | 'types',
    key: string,
    value: string,
  ) {
    this.findNumber = db.prepare<[string], number>(`SELECT ${key} FROM ${table} WHERE ${value} = ?`).pluck();
    this.findName = db.prepare<[number], string>(`SELECT ${value} FROM ${table} WHERE ${key} = ?`).pluck();
    this.namesFrom = db
      .prepare<[number], [number, string]>(
        `SELECT ${key}, ${value} FROM ${table} WHERE ${key} >= ? ORDER BY ${key} LIMIT ${NAMES_READ_AHEAD}`,
      )
      .raw();
    this.insert = db.prepare<[string]>(`INSERT INTO ${table} (${value}) VALUES (?)`);
  }

  /** The number of `name`, made if new (inside the write transaction); the pair goes to `seen`. */
  numberFor(name: string, seen: Array<[string, number]>): number {
    let n = this.byName.get(name) ?? this.findNumber.get(name);
    n ??= Number(this.insert.run(name).lastInsertRowid);
    seen.push([name, n]);
    return n;
  }

  /** The number of `name`, if it has one. */
  numberOf(name: string): number | undefined {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    const n = this.findNumber.get(name);
    if (n !== undefined && !this.db.inTransaction) this.remember([[name, n]]);
    return n;
  }

  /** The name numbered `n` (a row that names no number is a damaged file: it reads as an error). */
  nameOf(n: number): string {
    const known = this.byNumber.get(n);
    if (known !== undefined) return known;
    if (!this.db.inTransaction) {
      // Numbers are given in first-seen order, so a read forwards meets the next ones soon: they come in one query
      // rather than one each (143k point lookups were 5 % of a rebuild's main thread at 1M events, issue 16).
      const ahead = this.namesFrom.all(n);
      if (ahead.length > 0 && ahead[0][0] === n) {
        this.remember(ahead.map(([number, name]) => [name, number] as const));
        return ahead[0][1];
      }
    }
    const name = this.findName.get(n);
    if (name === undefined) throw new Error(`event store: no name is numbered ${n} (the file is damaged)`);
    if (!this.db.inTransaction) this.remember([[name, n]]);
    return name;
  }

  remember(pairs: readonly (readonly [string, number])[]): void {
    if (this.byName.size > MAX_KNOWN_NAMES) {
      this.byName.clear();
      this.byNumber.clear();
    }
    for (const [name, n] of pairs) {
      this.byName.set(name, n);
      this.byNumber.set(n, name);
    }
  }
}

/**
 * A synchronous read as the port's promise. better-sqlite3 reads synchronously; a throw (the store is closed)
 * becomes the promise's rejection, as it would in an async function, never a synchronous throw.
 */
const promised = <T>(read: () => T): Promise<T> => new Promise<T>((resolve) => resolve(read()));

const expectedMatches = (expected: ExpectedRevision, actual: number): boolean =>
  expected === 'any' || (expected === 'no-stream' || expected === -1 ? actual === -1 : actual === expected);

/** An error made plain for the trip back from the writer thread (a structured clone keeps neither class nor code). */
export const toWriterError = (error: unknown): WriterError => {
  if (error instanceof ConcurrencyConflict)
    return {
      conflict: true,
      streamId: error.streamId,
      expected: error.expected,
      actual: error.actual,
      message: error.message,
    };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
};

/** The error again, of the class callers test for: a ConcurrencyConflict, an SqliteError with its code, an Error. */
const fromWriterError = (wire: WriterError): Error => {
  if (wire.conflict) {
    const conflict = new ConcurrencyConflict(wire.streamId, wire.expected, wire.actual);
    conflict.message = wire.message;
    return conflict;
  }
  if (wire.code?.startsWith('SQLITE')) return new Database.SqliteError(wire.message, wire.code);
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
};

/**
 * The embedded event store: one SQLite file (WAL mode), the default store of the ledger.
 *
 * Writes go through **group commit**. better-sqlite3 is synchronous, and with `synchronous=FULL` every COMMIT
 * waits for an fsync (milliseconds on real disks). Committing each append alone would cap the store at one append
 * per fsync. Instead, appends are queued and flushed together on the next macrotask (`setImmediate`): one
 * transaction, one fsync, many appends. Each queued append runs in its own SAVEPOINT, so a conflict or a caller
 * error fails only that append; the others commit. Promises resolve only after COMMIT returned, so an acknowledged
 * append is durable.
 *
 * The transaction runs in {@link SqliteWriter}: by default on a worker thread with its own connection
 * (sqlite-writer.worker.ts), so that this thread is not blocked in the fsync and keeps deciding the next group; the
 * next group is sent as soon as the one in flight is answered. A commit is visible to this thread's reads once
 * COMMIT returned, which is before its promises resolve, so whoever awaited an append reads it (read-your-writes).
 *
 * Storage failures (disk full, read-only file, I/O error, locked database) roll back the whole group and reject every
 * append in it with {@link StoreUnavailable}: nothing partial stays behind.
 */
export class SqliteEventStore implements EventStore {
  /** The underlying connection. Exposed for tests (tampering with rows) and maintenance; do not write events through it. */
  readonly db: Database.Database;

  private readonly pollIntervalMs: number;
  private queue: QueuedOperation[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly counters: SqliteEventStoreStats = { commits: 0, appends: 0 };
  /** Heads of the streams this store committed, as of its last commit (void once another connection wrote). */
  private readonly heads = new Map<string, number>();
  /** The global head at this store's last commit that appended (its rows are the last: it held the write lock). */
  private committedHead: { position: number; at: number } | undefined;
  /** The writer on this thread's connection (`writer: 'inline'`), else undefined. */
  private readonly inline: SqliteWriter | undefined;
  /** The writer thread (`writer: 'worker'`), else undefined. */
  private readonly thread: SqliteWriterThread | undefined;
  /** A group is with the writer thread: the next one waits for its answer, gathering what arrives meanwhile. */
  private inFlight: Promise<void> | undefined;
  /**
   * The rows this store committed last, positions without a gap (`tail[k].position === tail[0].position + k`), kept
   * so that subscriptions read what was just committed from here instead of back from the file: a page read there
   * costs its query and, after the writer thread's commit reset this connection's page cache, its pages again.
   * Every position in it was given to this store's own transaction, so no other row can sit between them.
   */
  private tail: TailRow[] = [];
  /** The last row read forwards of each stream (its revision; its hash column, or text): see forwardPage. */
  private readonly lastReadRevision = new Map<number, number>();
  private readonly lastReadHash = new Map<number, Buffer | string>();
  /** `PRAGMA data_version` when they were remembered: another connection's commit (an edit too) voids them. */
  private lastReadVersion = -1;

  private readonly streams: NameTable;
  private readonly types: NameTable;
  private readonly stmt: {
    streamHead: Database.Statement<[number], { revision: number; position: number }>;
    streamForwards: Database.Statement<[number, number, number], ReadRow>;
    streamBackwards: Database.Statement<[number, number, number], ReadRow>;
    previousHash: Database.Statement<[number, number], Buffer | string | null>;
    allForwards: Database.Statement<[number, number], ReadRow>;
    dataVersion: Database.Statement<[], number>;
    allBackwards: Database.Statement<[number, number], ReadRow>;
    head: Database.Statement<[], { position: number | null }>;
    findCommand: Database.Statement<[string, Buffer | string], CommandRow>;
    positionOf: Database.Statement<[Buffer | string], number>;
  };

  private constructor(db: Database.Database, file: string, options: SqliteEventStoreOptions) {
    this.db = db;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.streams = new NameTable(db, 'streams', 'stream_no', 'stream_id');
    this.types = new NameTable(db, 'types', 'type_no', 'type');
    const read = (sql: string) => db.prepare(sql).raw() as Database.Statement<never, ReadRow>;
    this.stmt = {
      // The last row through the (stream_no, revision) unique index: O(log n).
      streamHead: db.prepare(
        'SELECT revision, position FROM events WHERE stream_no = ? ORDER BY revision DESC LIMIT 1',
      ),
      // A stream's rows come in revision order, so each row's previous hash is the row beside it (previousHash
      // reads the one before the outermost).
      streamForwards: read(
        `SELECT ${READ_COLUMNS} FROM events WHERE stream_no = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
      ),
      streamBackwards: read(
        `SELECT ${READ_COLUMNS} FROM events WHERE stream_no = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
      ),
      previousHash: db
        .prepare<[number, number], Buffer | string | null>(
          'SELECT coalesce(hash, metadata) FROM events WHERE stream_no = ? AND revision < ? ORDER BY revision DESC LIMIT 1',
        )
        .pluck(),
      allBackwards: read(
        `SELECT ${READ_COLUMNS}, ${PREVIOUS_HASH} FROM events e WHERE position > ? ORDER BY position DESC LIMIT ?`,
      ),
      // Without the previous hash (allBackwards asks SQLite for it): forwardPage derives it.
      allForwards: read(`SELECT ${READ_COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      head: db.prepare('SELECT MAX(position) AS position FROM events'),
      findCommand: db.prepare(
        'SELECT scope, command_id, name, hash, first_position, event_count FROM commands WHERE scope = ? AND command_id = ?',
      ),
      // Through the unique index events_event_id (the one that makes an append idempotent by event id).
      positionOf: db.prepare<[Buffer | string], number>('SELECT position FROM events WHERE event_id = ?').pluck(),
    };
    if (options.writer === 'inline' || db.memory) this.inline = new SqliteWriter(db);
    else this.thread = new SqliteWriterThread(file, options.synchronous ?? 'FULL');
  }

  /**
   * Opens (creating if needed) the store file and its directory, in WAL mode with `synchronous=FULL` unless told
   * otherwise. Throws {@link StoreUnavailable} when the file cannot be opened or initialized.
   */
  static open(file: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    let db: Database.Database | undefined;
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file);
      // WAL: readers (subscriptions, queries, other processes) never block the writer, and a commit is one
      // sequential WAL write plus one fsync.
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      // Another process may hold the write lock for a moment; wait for it rather than failing at once.
      db.pragma('busy_timeout = 5000');
      // Creates a new file in format 2, or migrates a format-1 file in one transaction (sqlite.migration.ts).
      openFormat(db);
      return new SqliteEventStore(db, file, options);
    } catch (error) {
      db?.close();
      throw toStoreUnavailable(error, `opening ${file}`);
    }
  }

  /** Counters since open: committed group transactions and the appends they carried. */
  get stats(): SqliteEventStoreStats {
    return { ...this.counters };
  }

  /**
   * Runs a PRAGMA on the connection that writes (the writer thread's, else this one's), for tests that make the
   * store fail as a full disk or a read-only file would, and for maintenance. Returns what the PRAGMA answered.
   */
  async writerPragma(pragma: string): Promise<unknown> {
    this.assertOpen();
    if (this.thread) return this.thread.pragma(pragma);
    return this.db.pragma(pragma, { simple: true });
  }

  append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    return this.enqueueOne([{ streamId, events, expectedRevision }]).then((r) => r.results![0]);
  }

  appendMany(writes: StreamWrite[]): Promise<AppendResult[]> {
    if (writes.length === 0) return Promise.resolve([]);
    return this.enqueueOne(writes).then((r) => r.results!);
  }

  async appendCommand(claim: CommandClaim, writes: StreamWrite[]): Promise<CommandAppendResult> {
    return this.commandResult(await this.enqueueOne(writes, claim));
  }

  /** Every command in one SAVEPOINT of its own, all of them in one group transaction: one fsync for the batch. */
  async appendCommands(commands: readonly CommandWrite[]): Promise<CommandWriteOutcome[]> {
    if (commands.length === 0) return [];
    const outcomes = await this.enqueue(
      commands.map((c): PreparedOperation => {
        try {
          prepareClaim(c.claim);
          return { writes: c.writes.map(prepareWrite), claim: c.claim, reads: c.reads };
        } catch (invalid) {
          const writes = c.writes.map((w) => ({ streamId: w.streamId, expectedRevision: 'any' as const, events: [] }));
          return { writes, invalid };
        }
      }),
    );
    return outcomes.map((o): CommandWriteOutcome => {
      if (!o.ok) return o;
      try {
        return { ok: true, result: this.commandResult(o.result) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  private commandResult(result: OperationResult): CommandAppendResult {
    if (result.taken) return { duplicate: true, command: this.toStoredCommand(result.taken) };
    return { duplicate: false, results: result.results };
  }

  findCommand(scope: string, commandId: string): Promise<StoredCommand | undefined> {
    return promised(() => {
      this.assertOpen();
      const row = this.stmt.findCommand.get(scope, storedId(commandId));
      return row ? this.toStoredCommand(row) : undefined;
    });
  }

  private toStoredCommand(row: CommandRow): StoredCommand {
    const events =
      row.first_position === null || row.event_count === 0
        ? []
        : this.forwardPage(row.first_position - 1, row.event_count);
    return { scope: row.scope, commandId: idOf(row.command_id), name: row.name, hash: hashOf(row.hash), events };
  }

  /**
   * The one way a row becomes an event (format 2, sqlite.row-codec.ts). `previous` is the hash of the stream's
   * previous stored event, needed only when the row leaves `prevHash` to derive.
   */
  private toRecorded(r: ReadRow, previous: Buffer | string | null | undefined): RecordedEvent {
    const revision = r[2];
    const text = r[6];
    return {
      eventId: idOf(r[3]),
      type: this.types.nameOf(r[4]),
      streamId: this.streams.nameOf(r[1]),
      revision,
      position: r[0],
      data: JSON.parse(r[5]) as unknown,
      metadata: metadataOf(
        text,
        r[7],
        derivesPrevHash(text) ? derivedPrevHash(revision, previous) : '',
      ) as unknown as EventMetadata,
    };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return promised(() => {
      this.assertOpen();
      const n = this.streams.numberOf(streamId);
      if (n === undefined) return [];
      const limit = options.maxCount ?? -1; // LIMIT -1: no limit in SQLite
      const backwards = options.direction === 'backwards';
      const rows = backwards
        ? this.stmt.streamBackwards.all(n, options.fromRevision ?? Number.MAX_SAFE_INTEGER, limit)
        : this.stmt.streamForwards.all(n, options.fromRevision ?? 0, limit);
      // A row's previous event is its neighbour in the answer (forwards: the one before; backwards: the one after),
      // or for the outermost row the stream's row before it.
      return rows.map((r, i) => {
        if (r[2] === 0 || !derivesPrevHash(r[6])) return this.toRecorded(r, undefined);
        const neighbour = backwards ? rows[i + 1] : rows[i - 1];
        return this.toRecorded(r, neighbour ? (neighbour[7] ?? neighbour[6]) : this.stmt.previousHash.get(n, r[2]));
      });
    });
  }

  streamRevision(streamId: string): Promise<number> {
    return promised(() => {
      this.assertOpen();
      const n = this.streams.numberOf(streamId);
      return n === undefined ? -1 : (this.stmt.streamHead.get(n)?.revision ?? -1);
    });
  }

  /**
   * The head as of this store's last commit, without I/O. Another connection's write since then is not seen here
   * (the next commit learns of it and forgets every head); the expected-revision check at append is the guard.
   */
  knownRevision(streamId: string): number | undefined {
    if (this.closed) return undefined;
    return this.heads.get(streamId);
  }

  recentHeadPosition(maxAgeMs: number): number | undefined {
    const head = this.committedHead;
    if (this.closed || head === undefined || performance.now() - head.at > maxAgeMs) return undefined;
    return head.position;
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return promised(() => {
      this.assertOpen();
      if (options.direction === 'backwards')
        return this.stmt.allBackwards
          .all(options.after ?? 0, options.maxCount ?? -1)
          .map((r) => this.toRecorded(r, r[8]));
      return this.forwardPage(options.after ?? 0, options.maxCount ?? -1);
    });
  }

  positionOf(eventId: string): number | undefined {
    this.assertOpen();
    return this.stmt.positionOf.get(storedId(eventId));
  }

  headPosition(): Promise<number | undefined> {
    return promised(() => {
      this.assertOpen();
      return this.headPositionSync();
    });
  }

  subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const subscription = new SqliteSubscription(
      this,
      handler,
      options,
      this.headPositionSync() ?? 0,
      this.pollIntervalMs,
    );
    this.subscriptions.add(subscription);
    void subscription.done.finally(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  /** Flushes queued appends, stops every subscription (awaiting in-flight handlers) and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inline) while (this.queue.length > 0) this.flush();
    else {
      while (this.inFlight || this.queue.length > 0) {
        if (!this.inFlight) this.flush();
        await this.inFlight;
      }
      await this.thread?.close();
    }
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.db.close();
  }

  /** @internal One page of the global log after `after`, for subscriptions. */
  readPage(after: number, limit: number, lookPastTail = true): RecordedEvent[] {
    const first = this.tail.length > 0 ? this.tail[0].position : undefined;
    if (!lookPastTail && first !== undefined && after === first + this.tail.length - 1) return [];
    // From the tail only when it holds the very next position: rows before it (another process's, older ones) and
    // after it come from the file, on this call or the next.
    if (first !== undefined && after + 1 >= first && after + 1 < first + this.tail.length) {
      const from = after + 1 - first;
      return this.tail.slice(from, from + limit).map(fromTail);
    }
    return this.forwardPage(after, limit);
  }

  /**
   * The events after `after` in position order. A row whose metadata leaves `prevHash` to derive needs its stream's
   * previous hash: taken from the last row of that stream this store read forwards when that row is the revision
   * just before (a rebuild or a catch-up reads each stream's rows in order, so nearly always), else looked up by the
   * (stream_no, revision) index as PREVIOUS_HASH does in SQL. That subquery on every row, which forward reads ran
   * before, cost about 5 µs an event, a fifth of a read (issue 16). A remembered hash is a stored row's hash column
   * (or its text), so the derived prevHash is what the file holds: any commit by another connection since (the
   * writer thread's, an edit with another tool) changes `PRAGMA data_version`, and the remembered rows are dropped.
   */
  private forwardPage(after: number, limit: number): RecordedEvent[] {
    const rows = this.stmt.allForwards.all(after, limit);
    const revisions = this.lastReadRevision;
    const hashes = this.lastReadHash;
    const version = this.stmt.dataVersion.get() as number;
    if (version !== this.lastReadVersion) {
      revisions.clear();
      hashes.clear();
      this.lastReadVersion = version;
    }
    const out = new Array<RecordedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const stream = r[1];
      const revision = r[2];
      let previous: Buffer | string | null | undefined;
      if (revision > 0 && derivesPrevHash(r[6]))
        previous =
          revisions.get(stream) === revision - 1 ? hashes.get(stream) : this.stmt.previousHash.get(stream, revision);
      out[i] = this.toRecorded(r, previous);
      if (revisions.size >= MAX_LAST_READ && !revisions.has(stream)) {
        revisions.clear();
        hashes.clear();
      }
      revisions.set(stream, revision);
      hashes.set(stream, r[7] ?? r[6]);
    }
    return out;
  }

  /** Adds a commit's new rows to the tail; a gap before them (another connection wrote) starts the tail afresh. */
  private keepTail(rows: TailRow[]): void {
    if (rows.length === 0) return;
    rows.sort((a, b) => a.position - b.position);
    for (const row of rows) {
      const tail = this.tail;
      if (tail.length > 0 && row.position !== tail[0].position + tail.length) this.tail = [];
      this.tail.push(row);
    }
    if (this.tail.length > 2 * TAIL_ROWS) this.tail = this.tail.slice(-TAIL_ROWS);
  }

  private headPositionSync(): number | undefined {
    return this.stmt.head.get()?.position ?? undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailable('event store is closed');
  }

  /** Queues one operation at once (an async function runs up to its first await synchronously); a throw rejects. */
  private async enqueueOne(writes: StreamWrite[], claim?: CommandClaim): Promise<OperationResult> {
    this.assertOpen();
    const prepared = writes.map(prepareWrite);
    if (claim) prepareClaim(claim);
    const [outcome] = await this.enqueue([{ writes: prepared, claim }]);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  private enqueue(ops: PreparedOperation[]): Promise<Outcome[]> {
    return new Promise<Outcome[]>((resolve, reject) => {
      this.assertOpen();
      this.queue.push({ ops, resolve, reject });
      // Everything queued before the next macrotask shares one transaction (and one fsync); while a group is with
      // the writer thread, everything queued until its answer makes the next one.
      if (!this.inFlight) this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  /** Sends up to MAX_GROUP queued operations to the writer as one transaction; settles them after its COMMIT. */
  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    if (this.inFlight) return;
    const group = this.queue.splice(0, MAX_GROUP);
    if (group.length === 0) return;
    // Plain data for the writer: an unprepared operation goes as a marker, its reason stays here.
    const request = group.map((queued) =>
      queued.ops.map((op): WriterOperation => (op.invalid === undefined ? op : { writes: op.writes, invalid: true })),
    );
    if (this.inline) {
      if (this.queue.length > 0) this.flushTimer = setImmediate(() => this.flush());
      this.settle(group, this.inline.commit(request));
      return;
    }
    this.inFlight = this.thread!.commit(request).then(
      (reply) => this.answered(group, reply),
      (error: unknown) => this.answered(group, { failure: toWriterError(error) }, error),
    );
  }

  /** The writer thread answered a group: the next group goes at once (the fsync overlaps this thread's work). */
  private answered(group: QueuedOperation[], reply: WriterReply, thrown?: unknown): void {
    this.inFlight = undefined;
    if (this.queue.length > 0) this.flush();
    this.settle(group, reply, thrown);
  }

  private settle(group: QueuedOperation[], reply: WriterReply, thrown?: unknown): void {
    if (reply.failure) {
      const error = thrown ?? fromWriterError(reply.failure);
      const failure = isStorageFailure(error) ? toStoreUnavailable(error, 'append') : error;
      for (const op of group) op.reject(failure);
      return;
    }
    this.counters.commits += 1;
    // Another connection wrote the file since the previous commit: none of the remembered heads can be trusted.
    if (reply.foreign || this.heads.size > MAX_KNOWN_HEADS) this.heads.clear();
    const rows: TailRow[] = [];
    group.forEach((queued, i) => {
      this.counters.appends += queued.ops.length;
      const outcomes = reply.outcomes[i].map((outcome, j): Outcome => {
        if (outcome.ok) {
          // Checked inside the write lock, so these are the true heads at COMMIT.
          for (const [streamId, revision] of outcome.result.heads ?? []) this.heads.set(streamId, revision);
          const { results, appended } = outcome.result;
          results?.forEach((result, w) => {
            if (!appended?.[w]) return;
            const events = queued.ops[j].writes[w].events;
            result.events.forEach((ref, k) =>
              rows.push({
                position: ref.position,
                eventId: ref.eventId,
                streamId: result.streamId,
                revision: ref.revision,
                type: events[k].type,
                data: events[k].data,
                metadata: events[k].metadata,
                hash: events[k].hash,
                // The prevHash the row was written with: the link (left out) or the same, spelled out.
                prevHash: events[k].candidate ?? '',
              }),
            );
          });
          return outcome;
        }
        return { ok: false, error: outcome.error ? fromWriterError(outcome.error) : queued.ops[j].invalid };
      });
      queued.resolve(outcomes);
    });
    // Positions are taken inside the group's write lock, so its last row is the global head at COMMIT. A group that
    // appended nothing says nothing of the head (another connection may have written before it).
    let last = 0;
    for (const row of rows) if (row.position > last) last = row.position;
    if (rows.length > 0) this.committedHead = { position: last, at: performance.now() };
    else if (reply.foreign) this.committedHead = undefined;
    this.keepTail(rows);
    for (const subscription of this.subscriptions) subscription.notify();
  }
}

/**
 * The group commit itself: one transaction over the calls of a group, each operation in its own SAVEPOINT, on the
 * connection it is given (this thread's, or the writer thread's own). Everything it takes and gives back is plain
 * data, so that the same code runs on either thread.
 */
export class SqliteWriter {
  /** `PRAGMA data_version` after this connection's last commit: another connection's commit changes it, ours not. */
  private version: number | undefined;
  private foreign = false;

  private readonly streams: NameTable;
  private readonly types: NameTable;
  private readonly stmt: {
    findEvent: Database.Statement<[Buffer | string], Pick<EventRow, 'stream_no' | 'revision' | 'position'>>;
    streamHead: Database.Statement<[number], { revision: number; position: number; hash: Buffer | null }>;
    insert: Database.Statement<[number, number, Buffer | string, number, string, string, Buffer | null]>;
    findCommand: Database.Statement<[string, Buffer | string], CommandRow>;
    insertCommand: Database.Statement<[string, Buffer | string, string, Buffer | string, number | null, number]>;
    dataVersion: Database.Statement<[], number>;
  };

  /** Runs one queued operation; called inside the group transaction, it becomes a SAVEPOINT. */
  private readonly applyOperation: Database.Transaction<(op: WriterOperation) => OperationResult>;
  private readonly applyGroup: Database.Transaction<(group: WriterOperation[][], outcomes: WriterOutcome[][]) => void>;

  constructor(readonly db: Database.Database) {
    // A nested db.transaction() call becomes a SAVEPOINT: a failing operation rolls back to its savepoint only.
    this.applyOperation = db.transaction((op: WriterOperation): OperationResult => {
      if (op.claim) {
        // Inside the group transaction: a claim written by an earlier operation of the group is seen here too.
        const taken = this.stmt.findCommand.get(op.claim.scope, storedId(op.claim.commandId));
        if (taken) return { taken };
      }
      const heads: Array<[string, number]> = [];
      const names: NamesSeen = { streams: [], types: [] };
      // A new claim's event ids are derived from it, so they cannot be stored yet: no lookup per event (the unique
      // index would still refuse a clash, failing this operation alone).
      // Which writes appended (a replayed one returns the rows it found): the store keeps those as its tail.
      const appended: boolean[] = [];
      const results = op.writes.map((w) => {
        const before = heads.length;
        const result = this.applyWrite(w, heads, names, op.claim === undefined);
        appended.push(heads.length > before);
        return result;
      });
      if (op.claim) {
        // The command's events are the rows this operation just inserted, one after another: first position, count.
        const refs = results.flatMap((r) => r.events);
        this.stmt.insertCommand.run(
          op.claim.scope,
          storedId(op.claim.commandId),
          op.claim.name,
          storedHash(op.claim.hash),
          refs.length > 0 ? refs[0].position : null,
          refs.length,
        );
      }
      return { results, heads, appended, names };
    });
    this.applyGroup = db.transaction((group: WriterOperation[][], outcomes: WriterOutcome[][]) => {
      // Inside the write lock: a commit by anyone else since ours shows here, and then no head we told is sure.
      const version = this.stmt.dataVersion.get() as number;
      if (version !== this.version) this.foreign = true;
      this.version = version;
      for (const ops of group) {
        const settled: WriterOutcome[] = [];
        // Streams that an earlier command of this call was to write but did not (appendCommands).
        const unwritten = new Set<string>();
        for (const op of ops) {
          if (op.invalid !== undefined) {
            for (const w of op.writes) unwritten.add(w.streamId);
            settled.push({ ok: false });
            continue;
          }
          const missed = op.reads?.find((s) => unwritten.has(s));
          if (missed !== undefined) {
            for (const w of op.writes) unwritten.add(w.streamId);
            const conflict = new ConcurrencyConflict(missed, 'any', -1);
            conflict.message = `stream ${missed}: an earlier command of the batch was to write it and did not`;
            settled.push({ ok: false, error: toWriterError(conflict) });
            continue;
          }
          try {
            const result = this.applyOperation(op);
            if (result.taken) for (const w of op.writes) unwritten.add(w.streamId);
            settled.push({ ok: true, result });
          } catch (error) {
            // A storage failure dooms the whole group (SQLite may already have rolled the transaction back).
            if (isStorageFailure(error)) throw error;
            for (const w of op.writes) unwritten.add(w.streamId);
            settled.push({ ok: false, error: toWriterError(error) });
          }
        }
        outcomes.push(settled);
      }
    });
    this.streams = new NameTable(db, 'streams', 'stream_no', 'stream_id');
    this.types = new NameTable(db, 'types', 'type_no', 'type');
    this.stmt = {
      findEvent: db.prepare('SELECT stream_no, revision, position FROM events WHERE event_id = ?'),
      // The last row through the (stream_no, revision) unique index: O(log n), and inside the group transaction it
      // sees the rows written by earlier operations of the same group.
      streamHead: db.prepare(
        'SELECT revision, position, hash FROM events WHERE stream_no = ? ORDER BY revision DESC LIMIT 1',
      ),
      insert: db.prepare(
        'INSERT INTO events (stream_no, revision, event_id, type_no, data, metadata, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      findCommand: db.prepare(
        'SELECT scope, command_id, name, hash, first_position, event_count FROM commands WHERE scope = ? AND command_id = ?',
      ),
      insertCommand: db.prepare(
        'INSERT INTO commands (scope, command_id, name, hash, first_position, event_count) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // Changes whenever another connection (another process, a tool) commits to the file; our own commits do not.
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
    this.version = this.stmt.dataVersion.get();
  }

  /**
   * One group in one transaction. IMMEDIATE takes the write lock up front, so no other process can slip a write
   * between our reads and inserts. With `synchronous=FULL` this returns once COMMIT's fsync did.
   */
  commit(group: WriterOperation[][]): WriterReply {
    const outcomes: WriterOutcome[][] = [];
    try {
      this.applyGroup.immediate(group, outcomes);
    } catch (error) {
      return { failure: toWriterError(error) };
    }
    const foreign = this.foreign;
    this.foreign = false;
    // Committed now: the numbers the operations that stood found or made are the file's for good.
    for (const settled of outcomes)
      for (const outcome of settled)
        if (outcome.ok && outcome.result.names) {
          this.streams.remember(outcome.result.names.streams);
          this.types.remember(outcome.result.names.types);
          delete outcome.result.names;
        }
    return { outcomes, foreign };
  }

  /** Runs inside the group transaction, so revisions and ids seen here include earlier operations of the group. */
  private applyWrite(
    write: PreparedWrite,
    heads: Array<[string, number]>,
    names: NamesSeen,
    byEventId: boolean,
  ): AppendResult {
    const { streamId, expectedRevision, events } = write;

    // Idempotency comes before the revision check: a retry of an append that did commit must not conflict.
    const stored = byEventId ? events.map((e) => this.stmt.findEvent.get(e.id)) : [];
    const found = stored.filter((row): row is NonNullable<typeof row> => row !== undefined);
    if (found.length > 0) {
      const own = this.streams.numberOf(streamId);
      const elsewhere = found.find((row) => row.stream_no !== own);
      if (elsewhere) {
        throw new Error(
          `append to ${streamId}: event id ${events[stored.indexOf(elsewhere)].eventId} is already stored in stream ${this.streams.nameOf(elsewhere.stream_no)}`,
        );
      }
      if (found.length < events.length) {
        throw new Error(
          `append to ${streamId}: ${found.length} of ${events.length} event ids are already stored; ` +
            'a retry must resend exactly the events of the original append',
        );
      }
      const last = found.reduce((a, b) => (b.revision > a.revision ? b : a));
      return {
        streamId,
        nextExpectedRevision: last.revision,
        position: last.position,
        events: found.map((row, i) => ({ eventId: events[i].eventId, revision: row.revision, position: row.position })),
      };
    }

    const existing = this.streams.numberOf(streamId);
    const head = existing === undefined ? undefined : this.stmt.streamHead.get(existing);
    const current = head?.revision ?? -1;
    if (!expectedMatches(expectedRevision, current)) throw new ConcurrencyConflict(streamId, expectedRevision, current);
    if (events.length === 0) {
      heads.push([streamId, current]);
      return { streamId, nextExpectedRevision: current, position: head?.position ?? -1, events: [] };
    }

    const streamNo = this.streams.numberFor(streamId, names.streams);
    // The hash a reader will derive for the next event's prevHash: the genesis hash, then each event's own.
    let link: string | undefined = head ? (head.hash ? hashOf(head.hash) : undefined) : undefined;
    const refs: AppendedEventRef[] = events.map((e, i) => {
      const revision = current + 1 + i;
      const derived = revision === 0 ? GENESIS : link;
      // Encoded as if prevHash were the link (what a sealed event has); anything else keeps its prevHash in the text.
      const metadata =
        e.candidate === undefined || e.candidate === derived
          ? e.metadata
          : e.metadata.replace(PREV_MARKER, `"prevHash":"${e.candidate}"`);
      const typeNo = this.types.numberFor(e.type, names.types);
      const info = this.stmt.insert.run(streamNo, revision, e.id, typeNo, e.data, metadata, e.hash);
      link = e.hashHex;
      return { eventId: e.eventId, revision, position: Number(info.lastInsertRowid) };
    });
    const lastRef = refs[refs.length - 1];
    // Only a write that appended says where the head is now (a replayed one names revisions from the past).
    heads.push([streamId, current + events.length]);
    return { streamId, nextExpectedRevision: current + events.length, position: lastRef.position, events: refs };
  }
}

function prepareClaim(claim: CommandClaim): void {
  for (const field of ['scope', 'commandId', 'name', 'hash'] as const) {
    if (typeof claim[field] !== 'string' || claim[field].length === 0)
      throw new Error(`appendCommand: claim.${field} must be a non-empty string`);
  }
}

function prepareWrite(write: StreamWrite): PreparedWrite {
  const { streamId, expectedRevision, events } = write;
  if (typeof streamId !== 'string' || streamId.length === 0)
    throw new Error('append: streamId must be a non-empty string');
  if (!(
    expectedRevision === 'any' ||
    expectedRevision === 'no-stream' ||
    (Number.isInteger(expectedRevision) && expectedRevision >= -1)
  )) {
    throw new Error(`append to ${streamId}: invalid expected revision ${String(expectedRevision)}`);
  }
  const ids = new Set<string>();
  return {
    streamId,
    expectedRevision,
    events: events.map((e) => {
      if (typeof e.eventId !== 'string' || e.eventId.length === 0)
        throw new Error(`append to ${streamId}: eventId must be a non-empty string`);
      if (ids.has(e.eventId))
        throw new Error(`append to ${streamId}: event id ${e.eventId} appears twice in one append`);
      ids.add(e.eventId);
      if (typeof e.type !== 'string' || e.type.length === 0)
        throw new Error(`append to ${streamId}: event type must be a non-empty string`);
      // The text the hash covers, so verify hashes it as stored (sqlite.row-codec.ts storedEventHash), shortened
      // as if its prevHash were the stream's link; applyWrite writes it out in full when it is not.
      const meta = e.metadata ?? {};
      const candidate = isHashHex(meta.prevHash) ? meta.prevHash : undefined;
      const { text, hash } = encodeMetadata(meta, candidate);
      return {
        eventId: e.eventId,
        id: storedId(e.eventId),
        type: e.type,
        data: storedDataText(e.data),
        metadata: text,
        candidate: candidate !== undefined && text.includes(PREV_MARKER) ? candidate : undefined,
        hash,
        hashHex: hash ? (meta.hash as string) : undefined,
      };
    }),
  };
}
