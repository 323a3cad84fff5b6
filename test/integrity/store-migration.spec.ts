import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import {
  GENESIS_HASH,
  MerkleLog,
  SqliteEventStore,
  sealEvents,
  verifyEvents,
  verifySqliteLog,
  type RecordedEvent,
} from '@app/ledger';
import { writeFormat1Store, type Format1Command } from '@app/ledger/testing';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
const STORE = path.join(ROOT, 'libs', 'ledger', 'src', 'store', 'sqlite.event-store.ts');

/**
 * A store file written by sessions 1–4 (format 1) opened by today's store (format 2): migrated on open in one
 * transaction, every event kept — position, hash, the bytes its hash covers, what a reader gets back — so it verifies
 * as before, takes appends, and verifies again; and a migration killed half-way leaves the old file as it was.
 */
describe('the embedded store opening a format-1 file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-migration-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** `count` sealed events over `streams` streams, positioned 1…count, with the ledger's usual metadata. */
  const sealedLog = (count: number, streams: number): RecordedEvent[] => {
    const heads = new Map<string, { revision: number; hash: string }>();
    const out: RecordedEvent[] = [];
    for (let i = 0; i < count; i++) {
      const streamId = `item-doc-${i % streams}`;
      const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
      const commandId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const [sealed] = sealEvents(streamId, head.revision, head.hash, [
        {
          eventId: `5b0817fd-dfb6-576f-9aeb-${String(i).padStart(12, '0')}`,
          type: i % 7 === 0 ? 'ItemReceived' : 'ItemRead',
          data: { itemId: `doc-${i % streams}`, reader: `p-${i % 13}`, at: '2026-03-02T09:00:00.000Z' },
          metadata: {
            actor: 'p-registrar',
            causationId: null,
            commandId,
            correlationId: i % 5 === 0 ? 'c-other' : commandId,
            occurredAt: '2026-03-02T09:00:00.000Z',
            recordedAt: '2026-03-02T09:00:01.000Z',
            schemaVersion: 1,
          },
        },
      ]);
      heads.set(streamId, { revision: head.revision + 1, hash: String(sealed.metadata.hash) });
      out.push({ ...sealed, streamId, revision: head.revision + 1, position: i + 1 });
    }
    return out;
  };

  const rootOf = (events: RecordedEvent[]): string => {
    const log = new MerkleLog();
    for (const e of events) log.append(String(e.metadata.hash));
    return log.root();
  };

  it('migrates on open: the same events and commands back, verified, appended to, verified again', async () => {
    const file = path.join(dir, 'ledger.sqlite');
    const events = sealedLog(300, 7);
    // Row 10 as stores wrote it before session 4 (JSON.stringify's key order, hash not last); row 11 not sealed.
    const old = events.map((e, i) =>
      i === 9 ? { ...e, text: { data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) } } : e,
    );
    const commands: Format1Command[] = [
      { scope: 'person:p-registrar', commandId: 'cmd-1', name: 'RecordReading', hash: 'f'.repeat(64), eventIds: [] },
      {
        scope: 'person:p-registrar',
        commandId: '00000000-0000-4000-8000-000000000002',
        name: 'RecordReading',
        hash: 'e'.repeat(64),
        eventIds: [events[3].eventId, events[4].eventId, events[5].eventId],
      },
    ];
    writeFormat1Store(file, old, commands);
    // A deleted tail: its positions are never handed out again.
    const raw = new Database(file);
    raw.prepare(`DELETE FROM events WHERE position > 295`).run();
    raw.close();

    const store = SqliteEventStore.open(file);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(2);
      const kept = events.slice(0, 295);
      const read = await store.readAll();
      expect(read).toEqual(kept);
      expect(await store.readStream('item-doc-3', { fromRevision: 5, maxCount: 3 })).toEqual(
        kept.filter((e) => e.streamId === 'item-doc-3').slice(5, 8),
      );
      expect(await store.findCommand('person:p-registrar', 'cmd-1')).toEqual({
        ...commands[0],
        eventIds: undefined,
        events: [],
      });
      const second = await store.findCommand('person:p-registrar', commands[1].commandId);
      expect(second).toMatchObject({ name: 'RecordReading', hash: 'e'.repeat(64) });
      expect(second?.events).toEqual(kept.slice(3, 6));

      const before = await verifySqliteLog(file, { workers: 2 });
      expect(before).toEqual(await verifyEvents(read));
      expect(before).toMatchObject({ ok: true, eventsChecked: 295, rootHash: rootOf(kept) });

      const head = kept.filter((e) => e.streamId === 'item-doc-0').pop()!;
      const next = sealEvents('item-doc-0', head.revision, String(head.metadata.hash), [
        { eventId: 'e-after', type: 'ItemRead', data: { itemId: 'doc-0' }, metadata: { actor: 'p-1' } },
      ]);
      const appended = await store.append('item-doc-0', next, head.revision);
      expect(appended.position).toBe(301);
      const after = await verifySqliteLog(file, { workers: 2 });
      expect(after).toMatchObject({ ok: true, eventsChecked: 296, treeSize: 296 });
    } finally {
      await store.close();
    }
    // Opening it again changes nothing.
    const again = SqliteEventStore.open(file);
    expect((await again.readAll()).length).toBe(296);
    await again.close();
  });

  it('keeps a tampered old row tampered: verify names the same event after the migration', async () => {
    const file = path.join(dir, 'ledger.sqlite');
    const events = sealedLog(200, 5);
    writeFormat1Store(file, events);
    const raw = new Database(file);
    raw.prepare(`UPDATE events SET data = json_set(data, '$.reader', 'p-x') WHERE position = 77`).run();
    raw.close();
    const store = SqliteEventStore.open(file);
    const one = await verifyEvents(await store.readAll());
    await store.close();
    expect(one.firstFailure).toMatchObject({ position: 77, reason: 'hash-mismatch' });
    expect(await verifySqliteLog(file, { workers: 2 })).toEqual(one);
  });

  it('refuses a file of a newer format, and leaves it untouched', () => {
    const file = path.join(dir, 'ledger.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 3');
    raw.close();
    expect(() => SqliteEventStore.open(file)).toThrow(/format 3/);
  });

  it('leaves the old file intact when the migrating process is killed (SIGKILL), and migrates it on the next open', async () => {
    const file = path.join(dir, 'ledger.sqlite');
    const events = sealedLog(120_000, 1_000);
    writeFormat1Store(file, events);
    const digest = (db: Database.Database): string => {
      const h = createHash('sha256');
      for (const row of db.prepare(`SELECT * FROM events ORDER BY position`).raw().iterate() as Iterable<unknown[]>)
        h.update(JSON.stringify(row));
      return h.digest('hex');
    };
    const raw = new Database(file);
    const original = digest(raw);
    raw.close();

    const child = spawn(
      process.execPath,
      ['-r', REGISTER, '-e', `require(${JSON.stringify(STORE)}).SqliteEventStore.open(${JSON.stringify(file)})`],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Killed once the copy is well under way: its pages are spilling into the WAL.
    const wal = `${file}-wal`;
    for (let waited = 0; waited < 60_000; waited += 20) {
      if (fs.existsSync(wal) && fs.statSync(wal).size > 8 * 1024 * 1024) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const after = new Database(file);
    try {
      expect(after.pragma('user_version', { simple: true })).toBe(0);
      expect((after.prepare(`SELECT name FROM pragma_table_info('events')`).pluck().all() as string[]).sort()).toEqual([
        'data',
        'event_id',
        'metadata',
        'position',
        'revision',
        'stream_id',
        'type',
      ]);
      expect(digest(after)).toBe(original);
    } finally {
      after.close();
    }
    const store = SqliteEventStore.open(file);
    await store.close();
    expect(await verifySqliteLog(file, { workers: 2 })).toMatchObject({
      ok: true,
      eventsChecked: events.length,
      rootHash: rootOf(events),
    });
  }, 120_000);
});
