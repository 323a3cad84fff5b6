import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GENESIS_HASH,
  MerkleLog,
  SqliteEventStore,
  eventHash,
  sealEvents,
  sha256Hex,
  storedEventHash,
  verifyEvents,
  verifySqliteLog,
  type NewEvent,
  type TrustedCheckpoint,
} from '@app/ledger';
import type { SqliteEventRow } from '@app/ledger/testing';

/**
 * `verify` on worker threads gives the outcome of one walk on one thread, event for event: the same counts, root and
 * first failure (reason, event, detail) whatever was tampered with, across pages and both workers' shares.
 */
describe('verifying an SQLite store on worker threads', () => {
  let dir: string;
  let golden: string;
  const EVENTS = 3_000;
  const STREAMS = 37;
  const roots: TrustedCheckpoint[] = [];

  const event = (i: number): NewEvent => ({
    eventId: `e-${i}`,
    type: 'ItemRead',
    data: { itemId: `doc-${i % STREAMS}`, reader: `p-${i % 11}`, note: i % 5 === 0 ? '读' : null },
    metadata: { occurredAt: '2026-03-02T09:00:00.000Z', actor: 'p-1', commandId: `c-${i}`, schemaVersion: 1 },
  });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parallel-verify-'));
    golden = path.join(dir, 'golden.sqlite');
    const store = SqliteEventStore.open(golden, { synchronous: 'NORMAL' });
    const heads = new Map<string, { revision: number; hash: string }>();
    const log = new MerkleLog();
    for (let i = 0; i < EVENTS; i++) {
      const streamId = `item-doc-${i % STREAMS}`;
      const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
      const sealed = sealEvents(streamId, head.revision, head.hash, [event(i)]);
      await store.append(streamId, sealed, head.revision);
      heads.set(streamId, { revision: head.revision + 1, hash: String(sealed[0].metadata.hash) });
      log.append(String(sealed[0].metadata.hash));
      if ((i + 1) % 1_000 === 0) roots.push({ treeSize: i + 1, rootHash: log.root(), position: i + 1 });
    }
    await store.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A copy of the golden store with `tamper` applied to its rows. */
  const copy = (name: string, tamper: (db: SqliteEventStore['db']) => void = () => {}): string => {
    const file = path.join(dir, `${name}.sqlite`);
    const src = SqliteEventStore.open(golden);
    src.db.exec(`VACUUM INTO '${file}'`);
    void src.close();
    const s = SqliteEventStore.open(file);
    tamper(s.db);
    void s.close();
    return file;
  };

  const both = async (file: string, checkpoints: TrustedCheckpoint[] = roots) => {
    const store = SqliteEventStore.open(file);
    const one = await verifyEvents(await store.readAll(), { checkpoints });
    await store.close();
    const progress: number[] = [];
    const many = await verifySqliteLog(file, {
      workers: 2,
      pageSize: 400,
      checkpoints,
      onProgress: (n) => progress.push(n),
    });
    return { one, many, progress };
  };

  it('an untouched store: the same counts and root, with progress page by page', async () => {
    const { one, many, progress } = await both(copy('untouched'));
    expect(one.ok).toBe(true);
    expect(many).toEqual(one);
    expect(many).toMatchObject({ eventsChecked: EVENTS, streams: STREAMS, treeSize: EVENTS });
    expect(progress.length).toBeGreaterThan(5);
    expect(progress[progress.length - 1]).toBe(EVENTS);
    // A full log handed in as the sink is the walk's tree itself: the same root, every leaf in it.
    const log = new MerkleLog();
    const withLog = await verifySqliteLog(copy('untouched-log'), { workers: 2, checkpoints: roots, leaves: log });
    expect(withLog).toEqual(one);
    expect({ size: log.size, root: log.root(), at1000: log.root(1_000) }).toEqual({
      size: EVENTS,
      root: one.rootHash,
      at1000: roots[0].rootHash,
    });
  });

  it('edited data: the same event named (hash-mismatch)', async () => {
    const file = copy('edited', (db) =>
      db.prepare(`UPDATE events SET data = json_set(data, '$.reader', 'p-x') WHERE position = 1777`).run(),
    );
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 1777, reason: 'hash-mismatch' });
    expect(many).toEqual(one);
  });

  it('a deleted row: the next event of its stream named (revision-gap), not a later edit in another stream', async () => {
    const file = copy('deleted', (db) => {
      db.prepare(`DELETE FROM events WHERE position = 2500`).run();
      db.prepare(`UPDATE events SET data = json_set(data, '$.reader', 'p-y') WHERE position = 2600`).run();
    });
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 2500 + STREAMS, reason: 'revision-gap' });
    expect(many).toEqual(one);
  });

  it('a re-hashed event (its chain rewritten to the end of the stream): the checkpoint it breaks is named', async () => {
    const file = copy('rehashed', (db) => {
      // Rewrite a stream from one event on, every hash recomputed, so every chain still links: only the tree knows.
      const rows = db
        .prepare(`SELECT * FROM events WHERE stream_id = 'item-doc-3' AND position >= 1500 ORDER BY revision`)
        .all() as SqliteEventRow[];
      let prev = (JSON.parse(rows[0].metadata) as { prevHash: string }).prevHash;
      rows.forEach((r, i) => {
        const data = JSON.parse(r.data) as Record<string, unknown>;
        if (i === 0) data.reader = 'p-z';
        const metadata = { ...(JSON.parse(r.metadata) as Record<string, unknown>), prevHash: prev, hash: '' };
        const hash = eventHash(prev, {
          streamId: r.stream_id,
          revision: r.revision,
          eventId: r.event_id,
          type: r.type,
          data,
          metadata,
        });
        db.prepare(`UPDATE events SET data = ?, metadata = ? WHERE position = ?`).run(
          JSON.stringify(data),
          JSON.stringify({ ...metadata, hash }),
          r.position,
        );
        prev = hash;
      });
    });
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 2000, reason: 'checkpoint-mismatch' });
    expect(many).toEqual(one);
  });

  it('rows in the old text (JSON.stringify order, hash not last, spacing): verified by parsing, the same outcome', async () => {
    const file = copy('old-text', (db) => {
      // How stores wrote before the text was canonical: insertion order, `hash` wherever it was; spaces in some.
      const rows = db.prepare(`SELECT position, data, metadata FROM events WHERE position % 3 = 0`).all() as {
        position: number;
        data: string;
        metadata: string;
      }[];
      for (const r of rows) {
        const data = JSON.parse(r.data) as Record<string, unknown>;
        const { hash, ...rest } = JSON.parse(r.metadata) as Record<string, unknown>;
        const reordered = Object.fromEntries(Object.entries(data).reverse());
        db.prepare(`UPDATE events SET data = ?, metadata = ? WHERE position = ?`).run(
          JSON.stringify(reordered, null, r.position % 2 ? 1 : 0),
          JSON.stringify({ hash, ...rest }),
          r.position,
        );
      }
    });
    const { one, many } = await both(file);
    expect(one).toMatchObject({ ok: true, eventsChecked: EVENTS, treeSize: EVENTS });
    expect(many).toEqual(one);
    // And an edit among those rows is still named, by the slow path.
    const edited = copy('old-text-edited', (db) => {
      const r = db.prepare(`SELECT data, metadata FROM events WHERE position = 1200`).get() as {
        data: string;
        metadata: string;
      };
      const { hash, ...rest } = JSON.parse(r.metadata) as Record<string, unknown>;
      db.prepare(`UPDATE events SET data = ?, metadata = ? WHERE position = 1200`).run(
        JSON.stringify({ ...(JSON.parse(r.data) as object), reader: 'p-q' }, null, 1),
        JSON.stringify({ hash, ...rest }),
      );
    });
    const tampered = await both(edited);
    expect(tampered.one.firstFailure).toMatchObject({ position: 1200, reason: 'hash-mismatch' });
    expect(tampered.many).toEqual(tampered.one);
  });

  it('the sealed bytes split at other column boundaries (other event id, same hashed text): not taken as sealed', async () => {
    // An event whose data holds an object with the event's own member names, in canonical order: its hashed text
    // contains `,"eventId":…,"metadata":…` inside the data. Cut there, the same text reads as other columns (another
    // event id) whose data and metadata are not JSON: the fast path must not accept it (it declines text whose cut
    // points are ambiguous), and the slow path fails the run as a reader would.
    const nested = path.join(dir, 'nested.sqlite');
    const store = SqliteEventStore.open(nested, { synchronous: 'NORMAL' });
    const [sealed] = sealEvents('item-n', -1, GENESIS_HASH, [
      {
        eventId: 'e-real',
        type: 'ItemRead',
        data: { a: { b: 0, eventId: 'e-fake', metadata: { x: 1 }, revision: 0, streamId: 'item-n', type: 'ItemRead' } },
        metadata: { actor: 'p-1' },
      },
    ]);
    await store.append('item-n', [sealed], 'no-stream');
    const row = store.db.prepare(`SELECT data, metadata FROM events`).get() as { data: string; metadata: string };
    const cut = row.data.indexOf(',"eventId":');
    const afterFake = row.data.indexOf(',"revision":');
    store.db
      .prepare(`UPDATE events SET event_id = 'e-fake', data = ?, metadata = ?`)
      .run(
        row.data.slice(0, cut),
        row.data.slice(row.data.indexOf('"metadata":') + 11, afterFake) +
          row.data.slice(afterFake) +
          ',"eventId":"e-real","metadata":' +
          row.metadata,
      );
    const fake = store.db
      .prepare(`SELECT event_id, stream_id, revision, type, data, metadata FROM events`)
      .get() as Omit<SqliteEventRow, 'position'>;
    // The text assembled from the forged columns is the sealed text, byte for byte…
    const assembled =
      GENESIS_HASH +
      `{"data":${fake.data},"eventId":${JSON.stringify(fake.event_id)},"metadata":${fake.metadata.slice(0, -75)}}` +
      `,"revision":${fake.revision},"streamId":${JSON.stringify(fake.stream_id)},"type":${JSON.stringify(fake.type)}}`;
    expect(sha256Hex(assembled)).toBe(sealed.metadata.hash);
    // …and the fast path declines it.
    expect(
      storedEventHash(GENESIS_HASH, { ...fake, eventId: fake.event_id, streamId: fake.stream_id }),
    ).toBeUndefined();
    await store.close();
    await expect(verifySqliteLog(nested, { workers: 2 })).rejects.toThrow(/JSON/);
    const reader = SqliteEventStore.open(nested);
    await expect(reader.readAll()).rejects.toThrow(/JSON/);
    await reader.close();
  });

  it('a checkpoint beyond the log (truncated) and a checkpoint of the empty log', async () => {
    const beyond = [...roots, { treeSize: EVENTS + 5, rootHash: 'f'.repeat(64) }];
    const { one, many } = await both(copy('truncated'), beyond);
    expect(one.firstFailure).toMatchObject({ reason: 'truncated', position: EVENTS });
    expect(many).toEqual(one);
    const empty = await both(copy('empty-root'), [{ treeSize: 0, rootHash: 'e'.repeat(64) }]);
    expect(empty.one.firstFailure).toMatchObject({ reason: 'checkpoint-mismatch', position: -1 });
    expect(empty.many).toEqual(empty.one);
  });
});
