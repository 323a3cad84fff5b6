import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SqliteEventStore } from '../store/sqlite.event-store';
import { storedHashedText } from '../store/sqlite.row-codec';
import { GENESIS_HASH, sha256Hex } from './event-hash';
import { sealEvents } from './hash-chain';
import type { NewEvent } from '../store/event-store.port';
import {
  HEAD_CALLER,
  HEAD_UNKNOWN,
  PAGE_ROWS_SQL,
  WalkStop,
  nativeRowWalker,
  nodeCryptoRowWalker,
  type RowWalker,
} from './row-walk';

/**
 * The row walk over a page as SQLite hands it over (row-walk.ts): the addon's and the JavaScript one accept exactly
 * the rows the row codec's text hashes to their stored hash, in order, each stream's next revision, and stop at the
 * first row they do not accept, with the same state, byte for byte, whatever the page holds.
 */
const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

const STREAMS = 5;
const EVENTS = 120;
const uuid = (i: number): string => `0193f6a2-7c1e-7000-8000-${i.toString(16).padStart(12, '0')}`;
const event = (i: number): NewEvent => ({
  eventId: uuid(i),
  type: i % 7 === 3 ? 'ItemMoved' : 'ItemRead',
  data: { itemId: `doc-${i % STREAMS}`, reader: `p-${i % 11}`, note: i % 5 === 0 ? '读 “x”' : null },
  // commandId and correlationId equal (the stored pair), causationId null, prevHash derived.
  metadata: {
    occurredAt: '2026-03-02T09:00:00.000Z',
    actor: 'p-1',
    commandId: `c-${i}`,
    correlationId: `c-${i}`,
    causationId: null,
    schemaVersion: 1,
  },
});

interface Walk {
  ret: number;
  state: number[];
  positions: number[];
  revisions: number[];
  leaves: string;
  heads: string;
  headRevisions: number[];
}

/** The worker's tokens and state for a store file, and a call of the walk from a given state. */
const setUp = (db: SqliteEventStore['db']) => {
  const streams = db.prepare(`SELECT stream_no, stream_id FROM streams`).raw().all() as [number, string][];
  const types = db.prepare(`SELECT type_no, type FROM types`).raw().all() as [number, string][];
  const count = Math.max(...streams.map(([n]) => n)) + 1;
  const texts: string[] = [];
  let at = 0;
  const ranges = (names: [number, string][], token: (name: string) => string, size: number): Int32Array => {
    const r = new Int32Array(2 * size);
    for (const [n, name] of names) {
      const t = token(name);
      texts.push(t);
      r[2 * n] = at;
      at += Buffer.byteLength(t);
      r[2 * n + 1] = at;
    }
    return r;
  };
  const streamTokens = ranges(streams, (s) => ',"streamId":' + JSON.stringify(s), count);
  const typeTokens = ranges(types, (t) => ',"type":' + JSON.stringify(t) + '}', Math.max(...types.map(([n]) => n)) + 1);
  return { count, streamTokens, typeTokens, tokens: Buffer.from(texts.join('')) };
};

const makeStore = async (dir: string, name: string, events = EVENTS): Promise<string> => {
  const file = path.join(dir, name);
  const store = SqliteEventStore.open(file, { synchronous: 'NORMAL' });
  const heads = new Map<string, { revision: number; hash: string }>();
  for (let i = 0; i < events; i++) {
    const streamId = `item-doc-${i % STREAMS}`;
    const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
    const [sealed] = sealEvents(streamId, head.revision, head.hash, [event(i)]);
    await store.append(streamId, [sealed], head.revision);
    heads.set(streamId, { revision: head.revision + 1, hash: String(sealed.metadata.hash) });
  }
  await store.close();
  return file;
};

describe('the row walk over a page of rows', () => {
  let dir: string;
  let golden: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'row-walk-'));
    golden = await makeStore(dir, 'golden.sqlite');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the addon has it (npm ci builds it; else `npm rebuild @custody-ledger/sha256-batch`)', () => {
    expect(nativeRowWalker?.name).toBe('native');
  });

  /** A copy of the golden store with `tamper` applied, its page of every row, and the walk's set-up. */
  const pageOf = (label: string, tamper?: (db: SqliteEventStore['db']) => void) => {
    const file = path.join(dir, `${label}.sqlite`);
    fs.rmSync(file, { force: true });
    const src = SqliteEventStore.open(golden);
    src.db.exec(`VACUUM INTO '${file}'`);
    void src.close();
    const s = SqliteEventStore.open(file);
    tamper?.(s.db);
    const page = s.db.prepare(PAGE_ROWS_SQL).pluck().get(0, 1e9) as Buffer;
    const rows = s.db
      .prepare(`SELECT position, stream_no, revision, hex(hash) AS hash FROM events ORDER BY position`)
      .all() as { position: number; stream_no: number; revision: number; hash: string }[];
    const setup = setUp(s.db);
    void s.close();
    return { page, rows, ...setup };
  };

  /** One call from a fresh state (every stream's head as given, none read by default). */
  const call = (
    walker: RowWalker,
    p: ReturnType<typeof pageOf>,
    options: { at?: number; revisions?: Float64Array; heads?: Buffer; capacity?: number; scratch?: number } = {},
  ): Walk => {
    const capacity = options.capacity ?? EVENTS;
    const heads = options.heads ?? Buffer.alloc(32 * p.count);
    const headRevisions = options.revisions ?? new Float64Array(p.count).fill(-1);
    const positions = new Float64Array(capacity);
    const revisions = new Int32Array(capacity);
    const leaves = Buffer.alloc(32 * capacity);
    const state = new Float64Array(8);
    state[0] = -Infinity;
    const ret = walker.walkRows(
      p.page,
      options.at ?? 0,
      p.tokens,
      p.streamTokens,
      p.typeTokens,
      heads,
      headRevisions,
      positions,
      revisions,
      leaves,
      state,
      Buffer.alloc(options.scratch ?? 1 << 16),
    );
    const n = state[1];
    return {
      ret,
      state: [...state],
      positions: [...positions.subarray(0, n)],
      revisions: [...revisions.subarray(0, n)],
      leaves: leaves.toString('hex', 0, 32 * n),
      heads: heads.toString('hex'),
      headRevisions: [...headRevisions],
    };
  };

  const walkers: [string, RowWalker][] = [
    ['native', nativeRowWalker ?? nodeCryptoRowWalker],
    ['node:crypto', nodeCryptoRowWalker],
  ];

  describe.each(walkers)('%s', (name, walker) => {
    it('is the implementation it names', () => expect(walker.name).toBe(name));

    it('an untouched page: every row accepted, its leaf and its stream’s head those of its stored hash', () => {
      const p = pageOf('untouched');
      const w = call(walker, p);
      expect(w.state[2]).toBe(WalkStop.End);
      expect(w.ret).toBe(p.page.length);
      expect(w.state[1]).toBe(EVENTS);
      expect(w.positions).toEqual(p.rows.map((r) => r.position));
      expect(w.revisions).toEqual(p.rows.map((r) => r.revision));
      const leaf = (hash: string) => sha256(Buffer.concat([Buffer.from([0]), Buffer.from(hash, 'hex')]));
      expect(w.leaves).toBe(Buffer.concat(p.rows.map((r) => leaf(r.hash))).toString('hex'));
      for (const r of p.rows.slice(-STREAMS)) {
        expect(w.heads.slice(64 * r.stream_no, 64 * r.stream_no + 64)).toBe(r.hash.toLowerCase());
        expect(w.headRevisions[r.stream_no]).toBe(r.revision);
      }
      expect(w.state[0]).toBe(EVENTS);
    });

    it('the text it hashes is the row codec’s (a row accepted from a head given, as storedHashedText writes it)', () => {
      // Position 6 is stream 1's revision 1 (event 5): from the head its revision 0 left, the walk accepts it alone.
      const p = pageOf('from-a-head');
      const s = SqliteEventStore.open(golden);
      const [r0, r1] = s.db
        .prepare(
          `SELECT e.revision, hex(e.hash) AS hash, e.data, e.metadata, s.stream_id, t.type FROM events e
           JOIN streams s USING (stream_no) JOIN types t USING (type_no) WHERE e.stream_no = 1 ORDER BY revision LIMIT 2`,
        )
        .all() as { revision: number; hash: string; data: string; metadata: string; stream_id: string; type: string }[];
      void s.close();
      const prev = r0.hash.toLowerCase();
      const text = storedHashedText(
        prev,
        r1.data,
        JSON.stringify(uuid(STREAMS)),
        r1.metadata,
        1,
        ',"streamId":' + JSON.stringify(r1.stream_id) + ',"type":' + JSON.stringify(r1.type) + '}',
      )!;
      expect(sha256Hex(text)).toBe(r1.hash.toLowerCase());
      const revisions = new Float64Array(p.count).fill(HEAD_CALLER);
      revisions[1] = 0;
      const heads = Buffer.alloc(32 * p.count);
      heads.write(prev, 32, 'hex');
      const at = p.page.indexOf('6,1,1,');
      const w = call(walker, p, { at, revisions, heads });
      expect(w.positions).toEqual([6]);
      expect(w.state[2]).toBe(WalkStop.Row); // the next row's stream is the caller's
      expect(w.state[3]).toBe(7);
    });

    it('a row edited inside the page: the rows before it accepted, the walk stopped at it; resumed after it, its stream stops at its next row', () => {
      const p = pageOf('edited', (db) => db.exec(`UPDATE events SET data = '{"x":1}' WHERE position = 58`));
      const w = call(walker, p);
      expect(w.state[2]).toBe(WalkStop.Row);
      expect(w.state.slice(3, 6)).toEqual([58, p.rows[57].stream_no, p.rows[57].revision]);
      expect(w.positions).toEqual(p.rows.slice(0, 57).map((r) => r.position));
      expect(p.page.subarray(w.ret).toString('latin1')).toMatch(/^58,/);
      // After it (as the worker goes on once the verifier took the row): other streams go on, the edited stream's
      // next row is not its head's next revision.
      const after = call(walker, p, {
        at: w.state[6],
        revisions: Float64Array.from(w.headRevisions),
        heads: Buffer.from(w.heads, 'hex'),
      });
      expect(after.state[2]).toBe(WalkStop.Row);
      expect(after.state[3]).toBe(58 + STREAMS);
      expect(after.positions).toEqual([59, 60, 61, 62]);
    });

    it('a stream whose head is not read: stopped at its first row, not consumed', () => {
      const p = pageOf('unknown');
      const revisions = new Float64Array(p.count).fill(-1);
      revisions[3] = HEAD_UNKNOWN;
      const w = call(walker, p, { revisions });
      expect(w.state[2]).toBe(WalkStop.Head);
      expect(w.state.slice(3, 6)).toEqual([3, 3, 0]);
      expect(w.positions).toEqual([1, 2]);
      expect(w.ret).toBe(p.page.indexOf('3,3,0,'));
    });

    it('declines what the row codec declines, or what is not of the fast shape', () => {
      // A row with its id as text: `P,*`, nothing said of its stream.
      const text = pageOf('text-id', (db) => db.exec(`UPDATE events SET event_id = 'e-9' WHERE position = 9`));
      expect(call(walker, text).state.slice(1, 6)).toEqual([8, WalkStop.Row, 9, NaN, NaN]);
      // The command pair without its closing quote: expandMetadata throws, the walk declines.
      const pair = pageOf('open-pair', (db) =>
        db.exec(`UPDATE events SET metadata = '{' || char(2) || '"c-9}' WHERE position = 10`),
      );
      expect(call(walker, pair).state.slice(1, 4)).toEqual([9, WalkStop.Row, 10]);
      // A stream number beyond the streams: declined (the worker's reader names the damage).
      const stream = pageOf('stream-no', (db) => db.exec(`UPDATE events SET stream_no = 99 WHERE position = 4`));
      expect(call(walker, stream).state.slice(1, 5)).toEqual([3, WalkStop.Row, 4, 99]);
      // Too little scratch for the row's text: stopped, and the room it needs said.
      const small = call(walker, pageOf('scratch'), { scratch: 100 });
      expect(small.state[2]).toBe(WalkStop.Scratch);
      expect(small.state[7]).toBeGreaterThan(100);
      // No room for the next row's leaf.
      expect(call(walker, pageOf('full'), { capacity: 2 }).state.slice(1, 4)).toEqual([2, WalkStop.Full, 3]);
    });

    it('data holding `,"eventId":` (sealed so, its hash matches): declined, as storedHashedText declines it', async () => {
      const file = path.join(dir, `cut-${name}.sqlite`);
      const store = SqliteEventStore.open(file, { synchronous: 'NORMAL' });
      const [sealed] = sealEvents('item-s', -1, GENESIS_HASH, [
        { eventId: uuid(1), type: 'ItemRead', data: { a: { b: 0, eventId: 'x' } }, metadata: { actor: 'p-1' } },
      ]);
      await store.append('item-s', [sealed], 'no-stream');
      const page = store.db.prepare(PAGE_ROWS_SQL).pluck().get(0, 9) as Buffer;
      const setup = setUp(store.db);
      await store.close();
      const w = call(walker, { page, rows: [], ...setup });
      expect(w.state.slice(1, 4)).toEqual([0, WalkStop.Row, 1]);
    });

    it('refuses a bad call before writing anything', () => {
      const p = pageOf('args');
      const heads = Buffer.alloc(32 * p.count);
      const revisions = new Float64Array(p.count).fill(-1);
      const positions = new Float64Array(4);
      const revisionsOut = new Int32Array(4);
      const leaves = Buffer.alloc(128);
      const state = new Float64Array(8);
      const scratch = Buffer.alloc(4096);
      const args = () =>
        [
          p.page,
          0,
          p.tokens,
          p.streamTokens,
          p.typeTokens,
          heads,
          revisions,
          positions,
          revisionsOut,
          leaves,
          state,
          scratch,
        ] as Parameters<RowWalker['walkRows']>;
      const thrown = (change: (a: unknown[]) => void): string | undefined => {
        const a = args() as unknown[];
        change(a);
        try {
          (walker.walkRows as (...x: unknown[]) => number)(...a);
        } catch (e) {
          return (e as Error).name;
        }
        return undefined;
      };
      expect(thrown((a) => (a[3] = new Uint32Array(2 * p.count)))).toBe('TypeError');
      expect(thrown((a) => (a[6] = new Int32Array(p.count)))).toBe('TypeError');
      expect(thrown((a) => (a[1] = '0'))).toBe('TypeError');
      expect(thrown((a) => a.pop())).toBe('TypeError');
      expect(thrown((a) => (a[1] = p.page.length + 1))).toBe('RangeError');
      expect(thrown((a) => (a[1] = -1))).toBe('RangeError');
      expect(thrown((a) => (a[5] = Buffer.alloc(32 * p.count - 1)))).toBe('RangeError');
      expect(thrown((a) => (a[3] = new Int32Array(2 * p.count - 1)))).toBe('RangeError');
      expect(thrown((a) => (a[8] = new Int32Array(3)))).toBe('RangeError');
      expect(thrown((a) => (a[9] = Buffer.alloc(127)))).toBe('RangeError');
      expect(thrown((a) => (a[10] = new Float64Array(7)))).toBe('RangeError');
      expect(thrown((a) => (a[10] = Float64Array.of(0, 5, 0, 0, 0, 0, 0, 0)))).toBe('RangeError');
      expect([heads.every((b) => b === 0), revisions.every((r) => r === -1), positions.every((x) => x === 0)]).toEqual([
        true,
        true,
        true,
      ]);
      expect([revisionsOut.every((x) => x === 0), leaves.every((b) => b === 0), state.every((x) => x === 0)]).toEqual([
        true,
        true,
        true,
      ]);
    });
  });

  it('the two implementations agree byte for byte on any page: bytes changed anywhere, from anywhere', () => {
    const native = nativeRowWalker;
    if (!native) return;
    const p = pageOf('property');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(p.page.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(p.page.length),
        fc.integer({ min: 1, max: EVENTS }),
        (edits, at, capacity) => {
          const page = Buffer.from(p.page);
          for (const [i, b] of edits) page[i] = b;
          const q = { ...p, page };
          // From any byte, every stream's head the genesis hash (revision -1): what is accepted is only what holds.
          expect(call(native, q, { at, capacity })).toEqual(call(nodeCryptoRowWalker, q, { at, capacity }));
        },
      ),
      { numRuns: 300 },
    );
  });
});
