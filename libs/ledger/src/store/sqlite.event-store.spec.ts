import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventStoreContract } from '../../../../test/contract/event-store.contract';
import { ConcurrencyConflict, NewEvent, RecordedEvent, StoreUnavailable } from './event-store.port';
import { SqliteEventStore } from './sqlite.event-store';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-store-'));

const WRITERS = ['worker', 'inline'] as const;

for (const writer of WRITERS)
  eventStoreContract(`SqliteEventStore (contract, ${writer} writer)`, () => {
    const dir = tempDir();
    const store = SqliteEventStore.open(path.join(dir, 'events.db'), { writer });
    return Promise.resolve({
      store,
      cleanup: async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    });
  });

const event = (data: unknown = { n: 1 }): NewEvent => ({
  eventId: randomUUID(),
  type: 'ThingHappened',
  data,
  metadata: {},
});

describe.each(WRITERS)('SqliteEventStore (%s writer)', (writer) => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'nested', 'events.db');
    store = SqliteEventStore.open(file, { writer });
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('a new file', () => {
    it('is created with its directory, in WAL mode, fsyncing every commit by default', async () => {
      expect(fs.existsSync(file)).toBe(true);
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(await store.writerPragma('synchronous')).toBe(2);
    });

    it('can be opened with synchronous=NORMAL', async () => {
      const other = SqliteEventStore.open(path.join(dir, 'normal.db'), { synchronous: 'NORMAL', writer });
      expect(other.db.pragma('synchronous', { simple: true })).toBe(1);
      expect(await other.writerPragma('synchronous')).toBe(1);
      await other.close();
    });

    it('has no head, and numbers positions from 1', async () => {
      expect(await store.headPosition()).toBeUndefined();
      const result = await store.append('s', [event(), event()], 'no-stream');
      expect(result.events.map((e) => e.position)).toEqual([1, 2]);
      expect(await store.headPosition()).toBe(2);
    });
  });

  it('fails to open where no file can be created, with StoreUnavailable', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    expect(() => SqliteEventStore.open(path.join(blocker, 'events.db'))).toThrow(StoreUnavailable);
  });

  // The reads format ids and hashes in SQL only when they are what the writer keeps as bytes (issue 16): an id or
  // hash kept as text, however much it looks like hex, must come back as it was given.
  it('reads back ids and hashes kept as bytes or as text exactly as they were appended', async () => {
    const hash = 'ab'.repeat(32);
    const given: NewEvent[] = [
      { eventId: randomUUID(), type: 'T', data: { n: 1 }, metadata: { hash } },
      { eventId: 'ab'.repeat(16), type: 'T', data: { n: 2 }, metadata: { hash: hash.toUpperCase() } },
      { eventId: randomUUID().toUpperCase(), type: 'T', data: { n: 3 }, metadata: { hash: 'cd'.repeat(31) } },
      { eventId: 'x', type: 'T', data: { n: 4 }, metadata: {} },
    ];
    await store.append('ids', given, 'no-stream');
    const kept = store.db.prepare('SELECT typeof(event_id) AS id, typeof(hash) AS hash FROM events').all();
    expect(kept).toEqual([
      { id: 'blob', hash: 'blob' },
      { id: 'text', hash: 'null' },
      { id: 'text', hash: 'null' },
      { id: 'text', hash: 'null' },
    ]);
    for (const read of [await store.readAll(), await store.readStream('ids')])
      expect(read.map((e) => [e.eventId, e.metadata.hash])).toEqual(given.map((e) => [e.eventId, e.metadata?.hash]));
  });

  describe('group commit', () => {
    it('writes appends issued together in one transaction', async () => {
      const before = store.stats.commits;
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, i) => store.append(`w-${i}`, [event()], 'no-stream')),
      );
      expect(results).toHaveLength(64);
      // All 64 were queued before the flush macrotask ran, so they share one COMMIT (one fsync).
      expect(store.stats.commits - before).toBe(1);
      expect(store.stats.appends).toBe(64);
    });

    it('fails only the conflicting append of a group, checked against the writes before it in the group', async () => {
      const before = store.stats.commits;
      const [first, second, third] = await Promise.allSettled([
        store.append('shared', [event()], 'no-stream'),
        store.append('shared', [event()], 'no-stream'),
        store.append('other', [event()], 'no-stream'),
      ]);

      expect(store.stats.commits - before).toBe(1);
      expect(first.status).toBe('fulfilled');
      expect(third.status).toBe('fulfilled');
      expect(second.status === 'rejected' && second.reason).toBeInstanceOf(ConcurrencyConflict);
      expect(second.status === 'rejected' && second.reason).toMatchObject({ actual: 0 });
      expect(await store.streamRevision('shared')).toBe(0);
    });

    it('lets later appends of a group build on earlier ones', async () => {
      const results = await Promise.all([
        store.append('s', [event()], 'no-stream'),
        store.append('s', [event()], 0),
        store.append('s', [event()], 1),
      ]);
      expect(results.map((r) => r.nextExpectedRevision)).toEqual([0, 1, 2]);
    });

    it('commits each of a lone writer’s sequential appends on its own (nothing to group)', async () => {
      const before = store.stats.commits;
      for (let i = 0; i < 5; i++) await store.append('s', [event()], i - 1);
      expect(store.stats.commits - before).toBe(5);
    });
  });

  describe('appendCommands (a batch of commands)', () => {
    const claim = (commandId: string) => ({ scope: 'p-gate', commandId, name: 'Read', hash: 'a'.repeat(64) });

    it('stores every command with its claim in one commit, each building on the ones before it', async () => {
      const before = store.stats.commits;
      const outcomes = await store.appendCommands([
        { claim: claim('c1'), writes: [{ streamId: 'a', expectedRevision: -1, events: [event()] }] },
        { claim: claim('c2'), writes: [{ streamId: 'a', expectedRevision: 0, events: [event()] }], reads: ['a'] },
        { claim: claim('c3'), writes: [] },
      ]);
      expect(store.stats.commits - before).toBe(1);
      expect(outcomes.map((o) => o.ok && !o.result.duplicate && o.result.results.map((r) => r.position))).toEqual([
        [1],
        [2],
        [],
      ]);
      for (const id of ['c1', 'c2', 'c3']) expect(await store.findCommand('p-gate', id)).toBeDefined();
      expect((await store.findCommand('p-gate', 'c2'))!.events.map((e) => e.revision)).toEqual([1]);
    });

    it('fails a conflicting command alone, and with it those decided on the stream it did not write', async () => {
      await store.append('a', [event()], 'no-stream');
      const outcomes = await store.appendCommands([
        { claim: claim('c1'), writes: [{ streamId: 'a', expectedRevision: -1, events: [event()] }], reads: ['a'] },
        // Decided on c1's event in stream a (read, not written): it must not be stored without it.
        { claim: claim('c2'), writes: [{ streamId: 'b', expectedRevision: -1, events: [event()] }], reads: ['a', 'b'] },
        { claim: claim('c3'), writes: [{ streamId: 'c', expectedRevision: -1, events: [event()] }], reads: ['c'] },
      ]);
      expect(outcomes.map((o) => o.ok)).toEqual([false, false, true]);
      expect(!outcomes[0].ok && outcomes[0].error).toBeInstanceOf(ConcurrencyConflict);
      expect(!outcomes[1].ok && outcomes[1].error).toBeInstanceOf(ConcurrencyConflict);
      expect(await store.findCommand('p-gate', 'c1')).toBeUndefined();
      expect(await store.findCommand('p-gate', 'c2')).toBeUndefined();
      expect(await store.readStream('b')).toEqual([]);
      expect((await store.readStream('c')).length).toBe(1);
    });

    it('answers a claim already taken with the stored command, and writes nothing of it', async () => {
      await store.appendCommand(claim('c1'), [{ streamId: 'a', expectedRevision: -1, events: [event()] }]);
      const [again, next] = await store.appendCommands([
        { claim: claim('c1'), writes: [{ streamId: 'a', expectedRevision: 0, events: [event()] }], reads: ['a'] },
        { claim: claim('c2'), writes: [{ streamId: 'a', expectedRevision: 1, events: [event()] }], reads: ['a'] },
      ]);
      expect(again.ok && again.result.duplicate && again.result.command.events.map((e) => e.position)).toEqual([1]);
      expect(next.ok).toBe(false);
      expect((await store.readStream('a')).length).toBe(1);
    });
  });

  describe('knownRevision (heads the store can vouch for without a read)', () => {
    it('knows the heads of its own appends, not of a replayed one, and none after another connection wrote', async () => {
      expect(store.knownRevision('s')).toBeUndefined();
      const first = event();
      await store.append('s', [first], 'no-stream');
      await store.append('s', [event(), event()], 0);
      expect(store.knownRevision('s')).toBe(2);
      // A failed append (conflict) and a replayed one (event ids already stored) leave what is known alone.
      await expect(store.append('s', [event()], 0)).rejects.toBeInstanceOf(ConcurrencyConflict);
      await store.append('s', [first], 'no-stream');
      expect(store.knownRevision('s')).toBe(2);
      const other = SqliteEventStore.open(file);
      try {
        await other.append('s', [event()], 2);
      } finally {
        await other.close();
      }
      // Not seen until this store's next commit: the head it tells may be behind, and the expected-revision check
      // refuses an append decided on it.
      expect(store.knownRevision('s')).toBe(2);
      await expect(store.append('s', [event()], 2)).rejects.toBeInstanceOf(ConcurrencyConflict);
      // That commit saw the other connection's write: every head is forgotten, then learnt again.
      expect(store.knownRevision('s')).toBeUndefined();
      await store.append('s', [event()], 3);
      expect(store.knownRevision('s')).toBe(4);
    });
  });

  describe('positionOf (an event found by its id, for the Merkle index)', () => {
    it("answers a stored event's position by its exact id, kept as bytes or as text, another connection's too", async () => {
      const uuid = event();
      const text = { ...event(), eventId: 'e-text-1' };
      const [a] = (await store.append('s', [uuid], 'no-stream')).events;
      const [b] = (await store.append('t', [text], 'no-stream')).events;
      expect(store.positionOf(uuid.eventId)).toBe(a.position);
      expect(store.positionOf('e-text-1')).toBe(b.position);
      // The id as given, never another spelling of it: an upper-case UUID is another id (kept as text).
      expect(store.positionOf(uuid.eventId.toUpperCase())).toBeUndefined();
      expect(store.positionOf(randomUUID())).toBeUndefined();
      const later = event();
      const other = SqliteEventStore.open(file);
      try {
        await other.append('u', [later], 'no-stream');
      } finally {
        await other.close();
      }
      expect(store.positionOf(later.eventId)).toBe(b.position + 1);
    });
  });

  describe('recentHeadPosition (the head as of its own last commit, without a query)', () => {
    const LONG = 60_000;
    it('is the global head after each commit of its own, within the age asked for', async () => {
      expect(store.recentHeadPosition(LONG)).toBeUndefined();
      await store.append('s', [event(), event()], 'no-stream');
      await store.append('t', [event()], 'no-stream');
      expect(store.recentHeadPosition(LONG)).toBe(await store.headPosition());
      expect(store.recentHeadPosition(LONG)).toBe(3);
      // Older than asked: not vouched for.
      await new Promise((r) => setTimeout(r, 15));
      expect(store.recentHeadPosition(5)).toBeUndefined();
      expect(store.recentHeadPosition(LONG)).toBe(3);
    });

    it("counts another connection's rows once its own next commit came after them", async () => {
      await store.append('s', [event()], 'no-stream');
      const other = SqliteEventStore.open(file);
      try {
        await other.append('o', [event(), event()], 'no-stream');
      } finally {
        await other.close();
      }
      // Not seen yet (what the age bound is for): the head is the store's own last commit.
      expect(store.recentHeadPosition(LONG)).toBe(1);
      await store.append('s', [event()], 0);
      expect(store.recentHeadPosition(LONG)).toBe(4);
      expect(await store.headPosition()).toBe(4);
    });

    it('knows nothing after a commit that appended nothing once another connection wrote', async () => {
      const first = event();
      await store.append('s', [first], 'no-stream');
      const other = SqliteEventStore.open(file);
      try {
        await other.append('o', [event()], 'no-stream');
      } finally {
        await other.close();
      }
      // A replay appends nothing: it cannot tell where the other connection left the head.
      await store.append('s', [first], 'no-stream');
      expect(store.recentHeadPosition(LONG)).toBeUndefined();
      expect(await store.headPosition()).toBe(2);
    });
  });
  describe('appendMany', () => {
    it('writes nothing when any write conflicts, even one after a valid write', async () => {
      await store.append('b', [event()], 'no-stream');
      await expect(
        store.appendMany([
          { streamId: 'a', expectedRevision: 'no-stream', events: [event()] },
          { streamId: 'b', expectedRevision: 'no-stream', events: [event()] },
        ]),
      ).rejects.toBeInstanceOf(ConcurrencyConflict);

      expect(await store.streamRevision('a')).toBe(-1);
      expect(await store.readAll()).toHaveLength(1);
    });

    it('writes the same stream twice in one call, the second building on the first', async () => {
      const results = await store.appendMany([
        { streamId: 's', expectedRevision: 'no-stream', events: [event()] },
        { streamId: 's', expectedRevision: 0, events: [event(), event()] },
      ]);
      expect(results.map((r) => r.nextExpectedRevision)).toEqual([0, 2]);
    });
  });

  describe('idempotency by event id', () => {
    it('returns the original positions on a retry after the stream moved on', async () => {
      const batch = [event(), event()];
      const original = await store.append('s', batch, 'no-stream');
      await store.append('s', [event()], 1);

      const retried = await store.append('s', batch, 'any');

      expect(retried).toEqual(original);
      expect(await store.readAll()).toHaveLength(3);
    });

    it('refuses a retry that resends only some of the stored events with new ones', async () => {
      const stored = event();
      await store.append('s', [stored], 'no-stream');
      const fresh = event();

      const error = await store.append('s', [stored, fresh], 'any').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ConcurrencyConflict);
      expect((error as Error).message).toMatch(/1 of 2 event ids are already stored/);
      expect(await store.readAll()).toHaveLength(1);
    });

    it('refuses an event id that is stored in another stream', async () => {
      const stored = event();
      await store.append('a', [stored], 'no-stream');

      await expect(store.append('b', [stored], 'no-stream')).rejects.toThrow(`already stored in stream a`);
      expect(await store.streamRevision('b')).toBe(-1);
    });

    it('refuses the same event id twice in one append', async () => {
      const e = event();
      await expect(store.append('s', [e, e], 'no-stream')).rejects.toThrow(/appears twice/);
      expect(await store.readAll()).toEqual([]);
    });
  });

  describe('storage failures', () => {
    it('maps a read-only database to StoreUnavailable and writes nothing', async () => {
      await store.append('s', [event()], 'no-stream');
      // query_only makes SQLite answer writes with SQLITE_READONLY, as a write-protected file would
      // (file modes cannot protect a file from root, which runs these tests in CI containers).
      await store.writerPragma('query_only = ON');

      const error = await store.append('s', [event(), event()], 0).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).message).toMatch(/SQLITE_READONLY/);
      await store.writerPragma('query_only = OFF');
      expect(await store.readAll()).toHaveLength(1);
      // The store recovers once the file is writable again.
      await expect(store.append('s', [event()], 0)).resolves.toMatchObject({ nextExpectedRevision: 1 });
    });

    it('maps a full disk to StoreUnavailable and rolls back the whole group, leaving nothing partial', async () => {
      await store.append('s', [event()], 'no-stream');
      const pages = store.db.pragma('page_count', { simple: true }) as number;
      // Cap the file at its current size: the next pages SQLite needs are "beyond the disk".
      await store.writerPragma(`max_page_count = ${pages}`);
      const big = () => event({ blob: 'x'.repeat(64 * 1024) });

      const outcomes = await Promise.allSettled([
        store.append('small', [event()], 'no-stream'),
        store.append('s', [big(), big(), big()], 0),
      ]);

      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailable);
        expect((outcome as PromiseRejectedResult).reason.message).toMatch(/SQLITE_FULL/);
      }
      await store.writerPragma('max_page_count = 1073741823');
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['s']);
      await expect(store.append('s', [big()], 0)).resolves.toMatchObject({ nextExpectedRevision: 1 });
    });
  });

  describe('subscriptions', () => {
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 3000;
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };

    it('deliver this store’s commits and another connection’s in between in position order, each once', async () => {
      const received: RecordedEvent[] = [];
      const subscription = store.subscribeToAll((e) => void received.push(e));
      const other = SqliteEventStore.open(file, { writer });
      try {
        await store.append('a', [event({ n: 1 }), event({ n: 2 })], 'no-stream');
        await other.append('b', [event({ n: 3 })], 'no-stream');
        await store.append('a', [event({ n: 4 })], 1);
        await store.append('c', [event({ n: 5 })], 'no-stream');
        await until(() => received.length >= 5);
        expect(received.map((e) => [e.position, e.streamId, (e.data as { n: number }).n])).toEqual([
          [1, 'a', 1],
          [2, 'a', 2],
          [3, 'b', 3],
          [4, 'a', 4],
          [5, 'c', 5],
        ]);
        // Exactly what the file holds, as read from it.
        expect(received).toEqual(await store.readAll());
      } finally {
        await subscription.stop();
        await other.close();
      }
    });

    it('read what this store just committed without querying the file again', async () => {
      const first = await store.append('a', [event()], 'no-stream');
      const received: RecordedEvent[] = [];
      const subscription = store.subscribeToAll((e) => void received.push(e), { after: first.position });
      const page = (store as unknown as { stmt: { allForwards: { all: (...args: unknown[]) => unknown } } }).stmt
        .allForwards;
      await until(() => subscription.position !== undefined || received.length > 0); // caught up, asleep
      await new Promise((r) => setTimeout(r, 20));
      const reads = jest.spyOn(page, 'all');
      try {
        for (let i = 0; i < 5; i++) await store.append('a', [event({ i })], i);
        await until(() => received.length >= 5);
        expect(received.map((e) => e.revision)).toEqual([1, 2, 3, 4, 5]);
        // Each wake-up found its rows in the tail; the file is asked only past it, where nothing is yet.
        expect(reads.mock.results.map((r) => (r.value as unknown[]).length).filter((n) => n > 0)).toEqual([]);
      } finally {
        reads.mockRestore();
        await subscription.stop();
      }
    });
    it('sees appends made through another connection to the same file, by polling', async () => {
      const received: RecordedEvent[] = [];
      const subscription = store.subscribeToAll((e) => void received.push(e));
      const otherProcess = SqliteEventStore.open(file);
      try {
        const e = event();
        await otherProcess.append('elsewhere', [e], 'no-stream');

        const deadline = Date.now() + 3000;
        while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(received.map((r) => r.eventId)).toEqual([e.eventId]);
      } finally {
        await subscription.stop();
        await otherProcess.close();
      }
    });

    it('keeps the position of the last handled event when filtered-out events follow it', async () => {
      await store.append('item-1', [event()], 'no-stream');
      await store.append('person-1', [event()], 'no-stream');
      let caughtUp = false;
      const subscription = store.subscribeToAll(() => undefined, {
        filter: { streamPrefixes: ['item-'] },
        onCaughtUp: () => (caughtUp = true),
      });
      while (!caughtUp) await new Promise((r) => setTimeout(r, 10));
      expect(subscription.position).toBe(1);
      await subscription.stop();
    });

    it('are stopped by close()', async () => {
      let calls = 0;
      store.subscribeToAll(() => void (calls += 1));
      await store.close();
      // close() is idempotent, so afterEach may call it again.
      await store.close();
      expect(calls).toBe(0);
    });
  });

  describe('close', () => {
    it('flushes appends still queued, so their promises resolve and the events are on disk', async () => {
      const e = event();
      const pending = store.append('s', [e], 'no-stream');
      await store.close();
      await expect(pending).resolves.toMatchObject({ nextExpectedRevision: 0 });

      store = SqliteEventStore.open(file, { writer });
      expect((await store.readStream('s')).map((r) => r.eventId)).toEqual([e.eventId]);
    });

    it('refuses appends and reads afterwards with StoreUnavailable', async () => {
      await store.close();
      await expect(store.append('s', [event()], 'any')).rejects.toBeInstanceOf(StoreUnavailable);
      await expect(store.readAll()).rejects.toBeInstanceOf(StoreUnavailable);
    });
  });
});

describe('SqliteEventStore, writer on a worker thread', () => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;
  let blocker: Database.Database | undefined;

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'events.db');
    store = SqliteEventStore.open(file, { writer: 'worker' });
  });

  afterEach(async () => {
    if (blocker?.inTransaction) blocker.exec('ROLLBACK');
    blocker?.close();
    blocker = undefined;
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Another connection holds the write lock: the writer thread waits for it (busy_timeout) until it is released. */
  const holdWriteLock = (): (() => void) => {
    blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    return () => blocker!.exec('COMMIT');
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('commits off this thread: timers run while a commit waits for the write lock', async () => {
    await store.append('warm', [event()], 'no-stream'); // the thread is started
    const release = holdWriteLock();
    const order: string[] = [];
    const appended = store.append('s', [event()], 'no-stream').then(() => order.push('appended'));
    // An inline writer would block this thread in SQLite's busy wait, so neither the timer nor the release could run.
    await sleep(50);
    order.push('timer');
    release();
    await appended;
    expect(order).toEqual(['timer', 'appended']);
    expect(await store.streamRevision('s')).toBe(0);
  });

  it('gathers what is queued while a group is in flight into the next group, one commit for all of it', async () => {
    await store.append('warm', [event()], 'no-stream');
    const before = store.stats.commits;
    const release = holdWriteLock();
    const first = store.append('a', [event()], 'no-stream');
    await sleep(30); // the first group is with the writer thread, waiting for the lock
    const rest = [store.append('b', [event()], 'no-stream'), store.append('c', [event()], 'no-stream')];
    await sleep(30);
    release();
    await Promise.all([first, ...rest]);
    expect(store.stats.commits - before).toBe(2);
    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['warm', 'a', 'b', 'c']);
  });

  it('reports a conflict found by the writer thread as a ConcurrencyConflict with its revisions', async () => {
    await store.append('s', [event()], 'no-stream');
    const error = await store.append('s', [event()], 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyConflict);
    expect(error).toMatchObject({ streamId: 's', expected: 5, actual: 0 });
  });

  it('fails a group with StoreUnavailable when the writer connection cannot be opened', async () => {
    await store.close();
    fs.rmSync(file);
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    // Opened (the main connection creates the file), then the file is taken away before the first write.
    store = SqliteEventStore.open(file, { writer: 'worker' });
    fs.rmSync(file);
    const error = await store.append('s', [event()], 'no-stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailable);
  });
});
