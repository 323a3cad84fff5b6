import {
  MerkleLog,
  SqliteEventStore,
  nativeSha256Batch,
  nodeCryptoSha256Batch,
  verifyEvents,
  verifySqliteLog,
  type Sha256Batch,
  type TrustedCheckpoint,
} from '@app/ledger';
import { goldenWalkStore, type GoldenWalkStore } from './golden-walk-store';
import { readStoredEvents } from '@app/ledger/testing';

/**
 * The worker hashes a page's texts in batches (each text assembled with the stored hash of its stream's previous row,
 * then checked in order against the head it meets), and the main thread appends a page's leaves at once (cut at the
 * checkpoints' sizes): with either batch hasher — the native addon and the node:crypto fallback — the outcome is the
 * one-thread walk's. Few streams, so that a batch holds many rows of one stream after the one tampered with.
 */
const hashers: [string, Sha256Batch | undefined][] = [
  ['node:crypto', nodeCryptoSha256Batch],
  ['native', nativeSha256Batch],
];

describe.each(hashers)('verify in batches, the %s hasher', (name, hasher) => {
  let fixture: GoldenWalkStore;
  let roots: TrustedCheckpoint[] = [];
  const EVENTS = 2_000;
  const STREAMS = 7;

  beforeAll(async () => {
    // Checkpoints at sizes inside pages (of 600) and batches (of 256), where the page's leaves are cut.
    fixture = await goldenWalkStore({
      prefix: 'parallel-verify-batches',
      events: EVENTS,
      streams: STREAMS,
      checkpointEvery: 333,
    });
    ({ roots } = fixture);
  });
  afterAll(() => fixture.remove());

  /** A copy of the golden store with `tamper` applied to its rows. */
  const copy = (label: string, tamper?: (db: SqliteEventStore['db']) => void): string => fixture.copy(label, tamper);

  const both = async (file: string, checkpoints: TrustedCheckpoint[] = roots) => {
    const store = SqliteEventStore.open(file);
    const one = await verifyEvents(await store.readAll(), { checkpoints });
    await store.close();
    const log = new MerkleLog(undefined, { hasher });
    // The walk's own frontier (no tree handed in), and a MerkleLog as its tree.
    const many = await verifySqliteLog(file, { workers: 2, pageSize: 600, pagesPerSpan: 1, checkpoints, hasher });
    const intoLog = await verifySqliteLog(file, {
      workers: 2,
      pageSize: 600,
      pagesPerSpan: 1,
      checkpoints,
      hasher,
      leaves: log,
    });
    return { one, many, intoLog, log };
  };

  if (!hasher) {
    it('(the addon is not built here: nothing to run)', () => expect(name).toBe('native'));
    return;
  }

  it('an untouched store: the same counts and root; the log handed in holds every leaf', async () => {
    const { one, many, intoLog, log } = await both(copy('untouched'));
    expect(one).toMatchObject({ ok: true, eventsChecked: EVENTS, streams: STREAMS });
    expect(many).toEqual(one);
    expect(intoLog).toEqual(one);
    expect({ size: log.size, root: log.root(), at333: log.root(333) }).toEqual({
      size: EVENTS,
      root: one.rootHash,
      at333: roots[0].rootHash,
    });
  });

  it('an edit in the middle of a batch, its stream’s later rows in the same batch: the edited event named', async () => {
    const file = copy('edited', (db) =>
      db.prepare(`UPDATE events SET data = json_set(data, '$.reader', 'p-x') WHERE position = 700`).run(),
    );
    const { one, many, intoLog } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 700, reason: 'hash-mismatch' });
    expect(many).toEqual(one);
    expect(intoLog).toEqual(one);
  });

  it('a row whose text is not as written (spaced data, hash kept) mid-batch: verified by parsing, the batch goes on', async () => {
    const file = copy('spaced', (db) => {
      for (const r of readStoredEvents(db, 'e.position IN (301, 302, 1290)'))
        db.prepare(`UPDATE events SET data = ? WHERE position = ?`).run(JSON.stringify(r.data, null, 1), r.position);
    });
    const { one, many, intoLog } = await both(file);
    expect(one).toMatchObject({ ok: true, eventsChecked: EVENTS });
    expect(many).toEqual(one);
    expect(intoLog).toEqual(one);
    // And an edit right after such a row, in its stream, is named.
    const edited = copy('spaced-edited', (db) => {
      for (const r of readStoredEvents(db, 'e.position = 301'))
        db.prepare(`UPDATE events SET data = ? WHERE position = 301`).run(JSON.stringify(r.data, null, 1));
      db.prepare(`UPDATE events SET data = json_set(data, '$.reader', 'p-z') WHERE position = ${301 + STREAMS}`).run();
    });
    const tampered = await both(edited);
    expect(tampered.one.firstFailure).toMatchObject({ position: 301 + STREAMS, reason: 'hash-mismatch' });
    expect(tampered.many).toEqual(tampered.one);
  });

  it('a deleted row and a row with its hash in the text (not the fast shape) in one batch: the gap named', async () => {
    const file = copy('deleted', (db) => {
      for (const r of readStoredEvents(db, 'e.position = 1000')) {
        const { hash, ...rest } = r.metadata;
        db.prepare(`UPDATE events SET metadata = ?, hash = NULL WHERE position = 1000`).run(
          JSON.stringify({ hash, ...rest }),
        );
      }
      db.prepare(`DELETE FROM events WHERE position = 1010`).run();
    });
    const { one, many, intoLog } = await both(file);
    expect(one.firstFailure).toMatchObject({ position: 1010 + STREAMS, reason: 'revision-gap' });
    expect(many).toEqual(one);
    expect(intoLog).toEqual(one);
  });

  it('a checkpoint root that is wrong at a size inside a page: that checkpoint’s event named', async () => {
    const wrong = roots.map((cp, k) => (k === 2 ? { ...cp, rootHash: 'a'.repeat(64) } : cp));
    const { one, many, intoLog } = await both(copy('wrong-root'), wrong);
    expect(one.firstFailure).toMatchObject({ position: roots[2].treeSize, reason: 'checkpoint-mismatch' });
    expect(many).toEqual(one);
    expect(intoLog).toEqual(one);
  });
});
