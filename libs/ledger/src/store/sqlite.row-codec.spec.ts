import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { canonicalize, canonicalizeWithout } from '../integrity/canonical-json';
import { GENESIS_HASH, eventHash, storedDataText } from '../integrity/event-hash';
import { sealEvents } from '../integrity/hash-chain';
import { SqliteEventStore, type EventRow } from './sqlite.event-store';
import {
  type StoredEvent,
  derivedPrevHash,
  encodeMetadata,
  expandMetadata,
  idOf,
  metadataOf,
  readFlatMetadata,
  storedEventHash,
  storedId,
} from './sqlite.row-codec';

/**
 * Format 2's row codec: the metadata kept shorter (prevHash derived, the command pair, the common keys as one byte
 * each, the hash as 32 bytes) must give back exactly the metadata that was sealed, and verify's fast path over it
 * (storedEventHash) must agree with eventHash on every sealed event stored as the store writes it, and never accept
 * text that is not that (another key order, an edit, a wrong link): those go to the slow path, which decides.
 */
describe('the SQLite store row codec (format 2) and the fast chain hash', () => {
  const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
  /** Metadata as ledger events carry it (any of the usual members, equal command and correlation ids or not). */
  const ledgerMetadata = fc
    .tuple(
      fc.record(
        {
          actor: fc.string(),
          causationId: fc.option(fc.uuid()),
          commandId: fc.oneof(fc.uuid(), fc.string({ maxLength: 8 })),
          occurredAt: fc.string({ maxLength: 24 }),
          recordedAt: fc.string({ maxLength: 24 }),
          schemaVersion: fc.integer(),
        },
        { requiredKeys: [] },
      ),
      jsonObject,
      fc.oneof(fc.constant('same'), fc.constant('other'), fc.constant('none')),
    )
    .map(([base, extra, correlation]) => ({
      ...extra,
      ...base,
      ...(correlation === 'same'
        ? { correlationId: base.commandId }
        : correlation === 'other'
          ? { correlationId: 'x' }
          : {}),
    }));
  const PREV = 'a'.repeat(64);

  const stored = (data: unknown, metadata: Record<string, unknown>, revision = 3, prev = PREV) => {
    const [sealed] = sealEvents('item-甲', revision - 1, prev, [{ eventId: 'e-1', type: 'ItemRead', data, metadata }]);
    const m = sealed.metadata as unknown as Record<string, unknown>;
    const encoded = encodeMetadata(m, prev);
    const row: StoredEvent & { hash: Buffer | null } = {
      eventId: sealed.eventId,
      streamId: 'item-甲',
      revision,
      type: sealed.type,
      data: storedDataText(sealed.data),
      metadata: encoded.text,
      hash: encoded.hash,
    };
    return { sealed, m, row };
  };

  it('given any sealed event, when its metadata is encoded and expanded, then it is the text its hash covers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.oneof(jsonObject, ledgerMetadata), (data, metadata) => {
        const { m, row } = stored(data, metadata);
        expect(row.metadata.includes('\x01')).toBe(true);
        expect(row.hash?.toString('hex')).toBe(m.hash);
        expect(expandMetadata(row.metadata, PREV)).toBe(canonicalizeWithout(m, 'hash'));
        // What a reader gets: the sealed metadata, members in canonical order, `hash` last.
        const read = metadataOf(row.metadata, row.hash, PREV);
        expect(JSON.stringify(read)).toBe(
          JSON.stringify({ ...JSON.parse(canonicalizeWithout(m, 'hash')), hash: m.hash }),
        );
      }),
      { numRuns: 1_000 },
    );
  });

  it('given any sealed event stored as the store writes it, when hashed from its row, then it is the sealed hash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.oneof(jsonObject, ledgerMetadata), (data, metadata) => {
        const { m, row } = stored(data, metadata);
        // Declined only where a separator occurs inside the text (below): then the slow path decides.
        const ambiguous = /,"(eventId|revision)":/.test(row.data + expandMetadata(row.metadata, PREV));
        expect(storedEventHash(PREV, row)).toBe(ambiguous ? undefined : m.hash);
      }),
      { numRuns: 1_000 },
    );
  });

  it('given ledger metadata, then the usual members take a byte each and prevHash, hash and the correlation id none', () => {
    const metadata = {
      actor: 'p-registrar',
      causationId: null,
      commandId: '6f41dfb1-a773-4a25-9bba-578d089a511a',
      correlationId: '6f41dfb1-a773-4a25-9bba-578d089a511a',
      occurredAt: '2025-01-01T08:00:00.000Z',
      prevHash: PREV,
      recordedAt: '2025-01-01T08:00:00.000Z',
      schemaVersion: 1,
      hash: 'b'.repeat(64),
    };
    const { text, hash } = encodeMetadata(metadata, PREV);
    expect(text).toBe(
      '{\x03"p-registrar",\x04null,\x02"6f41dfb1-a773-4a25-9bba-578d089a511a",\x07"2025-01-01T08:00:00.000Z",\x01,' +
        '\x08"2025-01-01T08:00:00.000Z",\x091}',
    );
    expect(hash).toEqual(Buffer.from('b'.repeat(64), 'hex'));
    expect(metadataOf(text, hash, PREV)).toEqual(metadata);
    // Not the link: prevHash stays in the text. Other correlation id: both spelled out (the key as its byte).
    expect(encodeMetadata(metadata, GENESIS_HASH).text).toContain(`"prevHash":"${PREV}"`);
    expect(encodeMetadata({ ...metadata, correlationId: 'c-2' }, PREV).text).toContain(
      '\x05"6f41dfb1-a773-4a25-9bba-578d089a511a",\x06"c-2"',
    );
    // A member between them, or a command id with escapes: no pair, and still the same metadata back.
    for (const m of [
      { ...metadata, commandName: 'X' },
      { ...metadata, commandId: 'c-"1"', correlationId: 'c-"1"' },
    ]) {
      const e = encodeMetadata(m, PREV);
      expect(e.text).not.toContain('\x02');
      expect(metadataOf(e.text, e.hash, PREV)).toEqual(m);
    }
  });

  it('given metadata with no canonical form or a hash that is not hex, then it is kept as it is given', () => {
    const when = new Date('2026-03-02T09:00:00.000Z');
    expect(encodeMetadata({ when, hash: 'c'.repeat(64) }, PREV)).toEqual({
      text: JSON.stringify({ when, hash: 'c'.repeat(64) }),
      hash: null,
    });
    const odd = encodeMetadata({ hash: 'not-a-hash', a: 1 }, PREV);
    expect(odd).toEqual({ text: '{"a":1,"hash":"not-a-hash"}', hash: null });
    expect(metadataOf(odd.text, odd.hash, PREV)).toEqual({ a: 1, hash: 'not-a-hash' });
  });

  it('given ids, then a lowercase UUID is kept as 16 bytes and anything else as its text, both read back', () => {
    const uuid = '5b0817fd-dfb6-576f-9aeb-b6edb02bb699';
    expect(storedId(uuid)).toEqual(Buffer.from('5b0817fddfb6576f9aebb6edb02bb699', 'hex'));
    expect(idOf(storedId(uuid))).toBe(uuid);
    for (const id of ['e-1', uuid.toUpperCase(), '', '事件-1']) expect(idOf(storedId(id))).toBe(id);
  });

  it('given the prevHash a reader derives, then it is the previous event’s hash wherever that is kept', () => {
    expect(derivedPrevHash(0, Buffer.alloc(32, 1))).toBe(GENESIS_HASH);
    expect(derivedPrevHash(4, Buffer.alloc(32, 1))).toBe('01'.repeat(32));
    expect(derivedPrevHash(4, `{"a":1,"hash":"${PREV}"}`)).toBe(PREV);
    expect(derivedPrevHash(4, null)).toBe('');
    expect(derivedPrevHash(4, undefined)).toBe('');
  });

  it('given the same event in another key order or spacing, then the fast path declines (the slow path decides)', () => {
    const { m, row } = stored({ b: 1, a: [1, 2] }, { z: 1, actor: 'p-1' });
    expect(storedEventHash(PREV, row)).toBe(m.hash);
    expect(storedEventHash(PREV, { ...row, data: '{"b":1,"a":[1,2]}' })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, data: '{"a": [1, 2], "b": 1}' })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, metadata: JSON.stringify(m), hash: null })).toBeUndefined();
    // Yet the slow path accepts it: the same event.
    const parsed = { streamId: 'item-甲', revision: 3, eventId: 'e-1', type: 'ItemRead', metadata: m };
    expect(eventHash(PREV, { ...parsed, data: JSON.parse('{"b":1,"a":[1,2]}') })).toBe(m.hash);
  });

  it('given an edit of any one column or the wrong previous hash, then the fast path declines', () => {
    const { row } = stored({ itemId: 'doc-1', reader: 'p-2' }, { actor: 'p-1' });
    expect(storedEventHash(PREV, row)).toBeDefined();
    expect(storedEventHash(GENESIS_HASH, row)).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, data: row.data.replace('p-2', 'p-3') })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, metadata: row.metadata.replace('p-1', 'p-9') })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, eventId: 'e-2' })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, streamId: 'item-乙' })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, revision: 4 })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, type: 'ItemDestroyed' })).toBeUndefined();
    const flipped = Buffer.from(row.hash as Buffer);
    flipped[31] ^= 1;
    expect(storedEventHash(PREV, { ...row, hash: flipped })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, hash: null })).toBeUndefined();
    expect(storedEventHash(PREV, { ...row, metadata: row.metadata.replace('\x01', '\x02') })).toBeUndefined();
  });

  /** What the JSON path makes of a stored text: the parse of its expansion, or the error it throws. */
  const parsed = (text: string, prev: string): { value: string } | { error: true } => {
    try {
      return { value: JSON.stringify(JSON.parse(expandMetadata(text, prev))) };
    } catch {
      return { error: true };
    }
  };

  /** True when JSON writes `s` with an escape (a quote, a backslash, a control character). */
  const escaped = (s: string): boolean => [...s].some((ch) => ch === '"' || ch === '\\' || ch.charCodeAt(0) < 32);

  it('given ledger metadata as stored, when read straight from its text, then it is the parse of its expansion', () => {
    /** The flat members every ledger event carries (strings, null, integers), plain keys beside them. */
    const flat = fc.record(
      {
        actor: fc.string(),
        causationId: fc.option(fc.uuid()),
        commandId: fc.oneof(fc.uuid(), fc.string({ maxLength: 8 })),
        occurredAt: fc.string({ maxLength: 24 }),
        recordedAt: fc.string({ maxLength: 24 }),
        schemaVersion: fc.integer(),
        late: fc.boolean(),
        zCount: fc.maxSafeInteger(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(flat, ledgerMetadata, jsonObject),
        fc.oneof(fc.constant(PREV), fc.constant(''), fc.string({ maxLength: 4 })),
        (metadata, prev) => {
          const [sealed] = sealEvents('item-甲', 2, PREV, [{ eventId: 'e-1', type: 'ItemRead', data: {}, metadata }]);
          const { text } = encodeMetadata(sealed.metadata, PREV);
          const direct = readFlatMetadata(text, prev);
          // Members and their order both: the same text once stringified.
          if (direct !== undefined) expect({ value: JSON.stringify(direct) }).toEqual(parsed(text, prev));
          // The usual ledger metadata (no escapes, integers that fit) takes this path, not the JSON one.
          const usual = Object.values(metadata).every(
            (v) =>
              v === null ||
              typeof v === 'boolean' ||
              (typeof v === 'string' && !escaped(v)) ||
              (typeof v === 'number' && Number.isInteger(v) && String(v).length <= 15 && !Object.is(v, -0)),
          );
          if (usual && prev === PREV && Object.keys(metadata).every((k) => !escaped(k))) expect(direct).toBeDefined();
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("given any text of markers and JSON pieces, when read straight, then it is the JSON path's answer or declined", () => {
    const piece = fc.oneof(
      fc.constantFrom('{', '}', ',', ':', '"', '\\', ' ', '\x01', '\x02', '\x03', '\x05', '\x09', '\x0a'),
      fc.constantFrom('null', 'true', 'false', 'nul', '-', '0', '01', '-0', '1.5', '1e3', '123456789012345'),
      fc.constantFrom('1234567890123456', '"a"', '"__proto__":', '"":', '"k":', '{"n":1}', '[1]', '"x\\"y"'),
      fc.string({ maxLength: 3 }),
    );
    const text = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(''));
    const framed = text.map((t) => `{${t}}`);
    fc.assert(
      fc.property(fc.oneof(text, framed), fc.constantFrom(PREV, '', 'a"b'), (t, prev) => {
        const direct = readFlatMetadata(t, prev);
        if (direct !== undefined) expect({ value: JSON.stringify(direct) }).toEqual(parsed(t, prev));
      }),
      { numRuns: 5_000 },
    );
    // Read straight, each as the JSON path reads it (the command pair's order, an own `__proto__` left to JSON).
    const cases: Array<[string, string]> = [
      ['{\x02"c-1",\x03"p"}', '{"commandId":"c-1","correlationId":"c-1","actor":"p"}'],
      [
        '{\x09-0,\x03"",\x04null,"zeta":true,"alpha":false}',
        '{"schemaVersion":0,"actor":"","causationId":null,"zeta":true,"alpha":false}',
      ],
      ['{\x03"a",\x03"b"}', '{"actor":"b"}'],
      ['{}', '{}'],
    ];
    for (const [stored, json] of cases) expect(JSON.stringify(readFlatMetadata(stored, PREV))).toBe(json);
    expect(Object.is(readFlatMetadata('{\x09-0}', PREV)?.schemaVersion, -0)).toBe(true);
    for (const declined of ['{"__proto__":1}', '{\x03"a\\"b"}', '{\x091.5}', '{\x091234567890123456}', '{\x03 "a"}'])
      expect(readFlatMetadata(declined, PREV)).toBeUndefined();
    expect(readFlatMetadata('{\x01}', 'x"y')).toBeUndefined();
  });

  it('given data or metadata holding the members that separate the hashed text, then the fast path declines', () => {
    // Where the separators `,"eventId":` or `,"revision":` occur inside the stored text, the same bytes could be cut
    // into other columns: such events take the slow path (which accepts them: they are sound).
    for (const [data, metadata] of [
      [{ a: 1, eventId: 'x' }, { actor: 'p' }],
      [{ a: 1 }, { actor: 'p', note: { b: 1, revision: 2 } }],
      [{ a: 1 }, { actor: 'p', ref: { b: 1, eventId: 'y' } }],
    ] as [Record<string, unknown>, Record<string, unknown>][]) {
      const { sealed, m, row } = stored(data, metadata);
      expect(storedEventHash(PREV, row)).toBeUndefined();
      const parsed = { ...sealed, streamId: 'item-甲', revision: 3 };
      expect(
        eventHash(PREV, { ...parsed, data: JSON.parse(row.data), metadata: metadataOf(row.metadata, row.hash, PREV) }),
      ).toBe(m.hash);
    }
    // A first member named eventId has no comma before it: nothing to cut there.
    const first = stored({ eventId: 'x', z: 1 }, { actor: 'p' });
    expect(storedEventHash(PREV, first.row)).toBe(first.m.hash);
  });

  it('given an event sealed in this process, then its data text is the one the seal hashed (not canonicalized again)', () => {
    const data = { reader: 'p-1', itemId: 'doc-1', nested: { b: [1, 'x'], a: null } };
    const [sealed] = sealEvents('item-doc-1', -1, GENESIS_HASH, [
      { eventId: 'e-1', type: 'ItemRead', data, metadata: { occurredAt: '2026-01-01T00:00:00.000Z', actor: 'p-1' } },
    ]);
    expect(storedDataText(sealed.data)).toBe(canonicalize(data));
    const m = sealed.metadata as unknown as Record<string, unknown>;
    const { text, hash } = encodeMetadata(m, GENESIS_HASH);
    const row = { eventId: 'e-1', streamId: 'item-doc-1', revision: 0, type: 'ItemRead', data: canonicalize(data) };
    expect(storedEventHash(GENESIS_HASH, { ...row, metadata: text, hash })).toBe(m.hash);
    expect(storedDataText({ b: 2, a: 1 })).toBe('{"a":1,"b":2}');
  });

  it('given a sealed append to the SQLite store, then the row holds the compact text the fast path hashes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'row-codec-'));
    const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
    try {
      const metadata = { z: 1, actor: 'p', commandId: 'c-1', correlationId: 'c-1' };
      const [a, b] = sealEvents('item-doc-1', -1, GENESIS_HASH, [
        { eventId: 'e-1', type: 'ItemRead', data: { reader: 'p-2', itemId: 'doc-1' }, metadata },
        { eventId: 'e-2', type: 'ItemRead', data: { reader: 'p-3', itemId: 'doc-1' }, metadata },
      ]);
      await store.append('item-doc-1', [a, b], 'no-stream');
      const rows = store.db.prepare(`SELECT * FROM events ORDER BY position`).all() as EventRow[];
      expect(rows[1]).toMatchObject({ revision: 1, event_id: 'e-2', data: '{"itemId":"doc-1","reader":"p-3"}' });
      expect(rows[1].metadata).toBe('{\x03"p",\x02"c-1",\x01,"z":1}');
      expect(rows[1].hash).toEqual(Buffer.from(String(b.metadata.hash), 'hex'));
      const row = { ...rows[1], eventId: 'e-2', streamId: 'item-doc-1', type: 'ItemRead' };
      expect(storedEventHash(String(a.metadata.hash), row)).toBe(b.metadata.hash);
      // What a reader gets back is the sealed event, from either end and from the middle of the stream.
      expect(await store.readStream('item-doc-1')).toMatchObject([{ metadata: a.metadata }, { metadata: b.metadata }]);
      expect((await store.readStream('item-doc-1', { fromRevision: 1 }))[0].metadata).toEqual(b.metadata);
      expect((await store.readStream('item-doc-1', { direction: 'backwards', maxCount: 1 }))[0].metadata).toEqual(
        b.metadata,
      );
      expect((await store.readAll({ after: rows[0].position }))[0]).toMatchObject({
        data: b.data,
        metadata: b.metadata,
      });
      expect(canonicalize((await store.readAll())[1].metadata)).toBe(canonicalize(b.metadata));
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
