import * as path from 'node:path';
import {
  GENESIS_HASH,
  MerkleLog,
  SqliteEventStore,
  canonicalize,
  eventHash,
  expandMetadata,
  sealEvents,
  sha256Hex,
  storedEventHash,
  storedTextHash,
  verifyEvents,
  verifySqliteLog,
  type TrustedCheckpoint,
} from '@app/ledger';
import { goldenWalkStore, type GoldenWalkStore } from './golden-walk-store';
import { readStoredEvents, writeStoredEvent } from '@app/ledger/testing';

/**
 * `verify` on worker threads gives the outcome of one walk on one thread, event for event: the same counts, root and
 * first failure (reason, event, detail) whatever was tampered with, across pages and spans of positions.
 */
describe('verifying an SQLite store on worker threads', () => {
  let fixture: GoldenWalkStore;
  let dir: string;
  let roots: TrustedCheckpoint[] = [];
  const EVENTS = 3_000;
  const STREAMS = 37;

  beforeAll(async () => {
    // Mostly UUIDs (kept as 16 bytes: the workers' fast read, the hashed text's front made by SQLite), some other ids
    // (kept as text: the row read whole), so that every tampering below meets both reads.
    fixture = await goldenWalkStore({
      prefix: 'parallel-verify',
      events: EVENTS,
      streams: STREAMS,
      checkpointEvery: 1_000,
      eventId: (i) => (i % 7 === 3 ? `e-${i}` : `0193f6a2-7c1e-7000-8000-${i.toString(16).padStart(12, '0')}`),
    });
    ({ dir, roots } = fixture);
  });
  afterAll(() => fixture.remove());

  /** A copy of the golden store with `tamper` applied to its rows. */
  const copy = (label: string, tamper?: (db: SqliteEventStore['db']) => void): string => fixture.copy(label, tamper);

  const both = async (file: string, checkpoints: TrustedCheckpoint[] = roots) => {
    const store = SqliteEventStore.open(file);
    const one = await verifyEvents(await store.readAll(), { checkpoints });
    await store.close();
    const progress: number[] = [];
    const many = await verifySqliteLog(file, {
      workers: 2,
      // Spans of one page: eight spans, each begun from the heads read from the store, taken by the two in turn.
      pageSize: 400,
      pagesPerSpan: 1,
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

  it("a deleted row just before a span begins: its stream's next event, the first of the span, named", async () => {
    // Spans of 400: position 1199 ends span 2; its stream's next event (1236) is that stream's first row in span 3, whose
    // head (the revision before it) is gone, so the span starts the stream from its last row at or before 1200, as a
    // walk from the start holds it, and names the same gap with the same detail.
    const file = copy('deleted-at-span-end', (db) => db.prepare(`DELETE FROM events WHERE position = 1199`).run());
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 1199 + STREAMS, reason: 'revision-gap' });
    expect(many).toEqual(one);
  });

  it("a span whose heads are of a damaged row: the earlier span's failure named, not the later span's", async () => {
    // Position 790 (span 1, positions 401–800) gets another hash: the stream's next event, at 827 in span 2, starts
    // there from the damaged head and fails too; the walk names 790, which a walk from the start meets first.
    const file = copy('span-head', (db) =>
      db.prepare(`UPDATE events SET hash = randomblob(32) WHERE position = 790`).run(),
    );
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 790, reason: 'hash-mismatch' });
    expect(many).toEqual(one);
    // Three workers, spans of 100 positions: every stream's head read at every span, the same outcome.
    expect(await verifySqliteLog(file, { workers: 3, pageSize: 100, pagesPerSpan: 1, checkpoints: roots })).toEqual(
      one,
    );
  });

  it('a hash blob changed: that event named (hash-mismatch)', async () => {
    const file = copy('hash-blob', (db) =>
      db.prepare(`UPDATE events SET hash = randomblob(32) WHERE position = 1234`).run(),
    );
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 1234, reason: 'hash-mismatch' });
    expect(many).toEqual(one);
  });

  it('an event moved to another stream by its number: that event named', async () => {
    // The last event (doc-2's revision 81) given doc-5's number: doc-5 ends at revision 80, so it fits the index.
    const file = copy('renumbered-event', (db) =>
      db
        .prepare(
          `UPDATE events SET stream_no = (SELECT stream_no FROM streams WHERE stream_id = 'item-doc-5') WHERE position = ?`,
        )
        .run(EVENTS),
    );
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: EVENTS, streamId: 'item-doc-5', reason: 'hash-mismatch' });
    expect(many).toEqual(one);
  });

  it('a stream renamed in the streams table (every event renumbered): its first event named', async () => {
    const file = copy('renamed-stream', (db) =>
      db.prepare(`UPDATE streams SET stream_id = 'item-doc-x' WHERE stream_id = 'item-doc-5'`).run(),
    );
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 6, streamId: 'item-doc-x', reason: 'hash-mismatch' });
    expect(many).toEqual(one);
  });

  it('a re-hashed event (its chain rewritten to the end of the stream): the checkpoint it breaks is named', async () => {
    const file = copy('rehashed', (db) => {
      // Rewrite a stream from one event on, every hash recomputed, so every chain still links: only the tree knows.
      const rows = readStoredEvents(db, `s.stream_id = 'item-doc-3' AND e.position >= 1500`);
      let prev = rows[0].metadata.prevHash;
      rows.forEach((r, i) => {
        const data = { ...(r.data as Record<string, unknown>) };
        if (i === 0) data.reader = 'p-z';
        const metadata = { ...r.metadata, prevHash: prev, hash: '' };
        const hash = eventHash(prev, { ...r, data, metadata });
        writeStoredEvent(db, r.position, { data, metadata: { ...metadata, hash } });
        prev = hash;
      });
    });
    const { one, many } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 2000, reason: 'checkpoint-mismatch' });
    expect(many).toEqual(one);
  });

  it('rows in a foreign text (JSON.stringify order, hash in the text, spacing): verified by parsing, the same outcome', async () => {
    const file = copy('old-text', (db) => {
      // As another tool might write them: insertion order, `hash` first and in the text, prevHash spelled out.
      for (const r of readStoredEvents(db, 'e.position % 3 = 0')) {
        const reordered = Object.fromEntries(Object.entries(r.data as Record<string, unknown>).reverse());
        const { hash, ...rest } = r.metadata;
        db.prepare(`UPDATE events SET data = ?, metadata = ?, hash = NULL WHERE position = ?`).run(
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
      const [r] = readStoredEvents(db, 'e.position = 1200');
      const { hash, ...rest } = r.metadata;
      db.prepare(`UPDATE events SET data = ?, metadata = ?, hash = NULL WHERE position = 1200`).run(
        JSON.stringify({ ...(r.data as object), reader: 'p-q' }, null, 1),
        JSON.stringify({ hash, ...rest }),
      );
    });
    const tampered = await both(edited);
    expect(tampered.one.firstFailure).toMatchObject({ position: 1200, reason: 'hash-mismatch' });
    expect(tampered.many).toEqual(tampered.one);
  });

  const REAL_UUID = '0193f6a2-7c1e-7000-8000-00000000000a';
  const FAKE_UUID = '0193f6a2-7c1e-7000-8000-00000000000f';
  it.each([
    ['text ids (the row read whole)', 'e-real', 'e-fake'],
    ['UUIDs (the fast read)', REAL_UUID, FAKE_UUID],
  ])(
    'the sealed bytes split at other column boundaries (other event id, same hashed text), %s: not taken as sealed',
    async (_, realId, fakeId) => {
      // An event whose data holds an object with the event's own member names, in canonical order: its hashed text
      // contains `,"eventId":…,"metadata":…` inside the data. Cut there, the same text reads as other columns (another
      // event id) whose data and metadata are not JSON: the fast path must not accept it (it declines text whose cut
      // points are ambiguous), and the slow path fails the run as a reader would.
      const nested = path.join(dir, `nested-${fakeId}.sqlite`);
      const store = SqliteEventStore.open(nested, { synchronous: 'NORMAL' });
      const [sealed] = sealEvents('item-n', -1, GENESIS_HASH, [
        {
          eventId: realId,
          type: 'ItemRead',
          data: { a: { b: 0, eventId: fakeId, metadata: { x: 1 }, revision: 0, streamId: 'item-n', type: 'ItemRead' } },
          metadata: { actor: 'p-1' },
        },
      ]);
      await store.append('item-n', [sealed], 'no-stream');
      const row = store.db.prepare(`SELECT data, metadata FROM events`).get() as { data: string; metadata: string };
      const cut = row.data.indexOf(',"eventId":');
      const afterFake = row.data.indexOf(',"revision":');
      // A UUID is kept as its 16 bytes, as the store keeps it.
      const fakeStored = fakeId === FAKE_UUID ? Buffer.from(fakeId.replace(/-/g, ''), 'hex') : fakeId;
      store.db
        .prepare(`UPDATE events SET event_id = ?, data = ?, metadata = ?`)
        .run(
          fakeStored,
          row.data.slice(0, cut),
          row.data.slice(row.data.indexOf('"metadata":') + 11, afterFake) +
            row.data.slice(afterFake) +
            `,"eventId":"${realId}","metadata":` +
            expandMetadata(row.metadata, GENESIS_HASH),
        );
      // The forged row as the walk sees it (it no longer parses, so not through a reader).
      const forged = store.db.prepare(`SELECT data, metadata, hash FROM events`).get() as {
        data: string;
        metadata: string;
        hash: Buffer;
      };
      const fake = { ...forged, eventId: fakeId, streamId: 'item-n', revision: 0, type: 'ItemRead' };
      // The text assembled from the forged columns is the sealed text, byte for byte…
      const assembled =
        GENESIS_HASH +
        `{"data":${fake.data},"eventId":${canonicalize(fake.eventId)},"metadata":${fake.metadata}` +
        `,"revision":${fake.revision},"streamId":${canonicalize(fake.streamId)},"type":${canonicalize(fake.type)}}`;
      expect(sha256Hex(assembled)).toBe(sealed.metadata.hash);
      // …and the fast path declines it.
      expect(storedEventHash(GENESIS_HASH, fake)).toBeUndefined();
      await store.close();
      await expect(verifySqliteLog(nested, { workers: 2 })).rejects.toThrow(/JSON/);
      const reader = SqliteEventStore.open(nested);
      await expect(reader.readAll()).rejects.toThrow(/JSON/);
      await reader.close();
    },
  );

  it('data holding the separator `,"eventId":` (untouched): declined by the fast read though its hash matches, verified by parsing', async () => {
    const file = path.join(dir, 'separator.sqlite');
    const store = SqliteEventStore.open(file, { synchronous: 'NORMAL' });
    const [sealed] = sealEvents('item-s', -1, GENESIS_HASH, [
      { eventId: REAL_UUID, type: 'ItemRead', data: { a: { b: 0, eventId: 'x' } }, metadata: { actor: 'p-1' } },
    ]);
    await store.append('item-s', [sealed], 'no-stream');
    const row = store.db.prepare(`SELECT data, metadata FROM events`).get() as { data: string; metadata: string };
    await store.close();
    // The pieces as the worker reads them: the whole text hashes to the sealed hash, and still the fast path declines
    // (where the data ends is not provable from the bytes alone).
    const token = `"${REAL_UUID}"`;
    const back = ',"streamId":"item-s","type":"ItemRead"}';
    const text =
      GENESIS_HASH +
      `{"data":${row.data},"eventId":${token},"metadata":${expandMetadata(row.metadata, GENESIS_HASH)}` +
      `,"revision":0${back}`;
    expect(sha256Hex(text)).toBe(sealed.metadata.hash);
    const stored = String(sealed.metadata.hash);
    expect(storedTextHash(GENESIS_HASH, row.data, token, row.metadata, 0, back, stored)).toBeUndefined();
    // Without the separator in its data, the same pieces are taken: the decline is the separator's.
    const plain = sealEvents('item-s', -1, GENESIS_HASH, [{ ...sealed, data: { a: { b: 0 } } }])[0];
    expect(
      storedTextHash(GENESIS_HASH, '{"a":{"b":0}}', token, row.metadata, 0, back, String(plain.metadata.hash)),
    ).toBe(plain.metadata.hash);
    const { one, many } = await both(file, []);
    expect(one).toMatchObject({ ok: true, eventsChecked: 1 });
    expect(many).toEqual(one);
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
