import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { canonicalize, canonicalizeWithout } from './canonical-json';
import {
  GENESIS_HASH,
  type StoredEventText,
  eventHash,
  storedDataText,
  storedEventHash,
  storedMetadataText,
} from './event-hash';
import { sealEvents } from './hash-chain';
import { SqliteEventStore, type EventRow } from '../store/sqlite.event-store';

/**
 * The fast path of `verify` (storedEventHash): the chain hash recomputed from the text the store keeps, without
 * parsing it. It must agree with eventHash on every sealed event stored as the store writes it, and must never accept
 * text that is not that (another key order, other spacing, an edit): those go to the slow path, which decides.
 */
describe('stored event text and the fast chain hash', () => {
  const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
  const sealedText = (data: unknown, metadata: Record<string, unknown>, revision = 0, prev = GENESIS_HASH) => {
    const [sealed] = sealEvents('item-甲', revision - 1, prev, [{ eventId: 'e-1', type: 'ItemRead', data, metadata }]);
    const stored: StoredEventText = {
      eventId: sealed.eventId,
      streamId: 'item-甲',
      revision,
      type: sealed.type,
      data: storedDataText(sealed.data),
      metadata: storedMetadataText(sealed.metadata),
    };
    return { sealed, stored };
  };

  it('given any sealed event stored as the store writes it, when hashed from its text, then it is the sealed hash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), jsonObject, (data, metadata) => {
        const { sealed, stored } = sealedText(data, metadata);
        // Declined only where a separator occurs inside the text (the next test): then the slow path decides.
        const ambiguous = /,"(eventId|revision)":/.test(stored.data + stored.metadata);
        expect(storedEventHash(GENESIS_HASH, stored)).toBe(ambiguous ? undefined : sealed.metadata.hash);
      }),
      { numRuns: 1_000 },
    );
  });

  it('given the stored text, then data parses back to the sealed data and metadata to the sealed metadata', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), jsonObject, (data, metadata) => {
        const { sealed, stored } = sealedText(data, metadata);
        expect(stored.data).toBe(canonicalize(JSON.parse(stored.data)));
        expect(canonicalize(JSON.parse(stored.metadata))).toBe(canonicalize(sealed.metadata));
        // The hash member comes last, after the canonical text of the rest: the text the hash covers.
        expect(stored.metadata).toBe(
          canonicalizeWithout(sealed.metadata, 'hash').slice(0, -1) + `,"hash":"${String(sealed.metadata.hash)}"}`,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('given the same event in another key order or spacing, then the fast path declines (the slow path decides)', () => {
    const { sealed, stored } = sealedText({ b: 1, a: [1, 2] }, { z: 1, actor: 'p-1' });
    const hash = String(sealed.metadata.hash);
    const parsedMetadata = JSON.parse(stored.metadata) as Record<string, unknown>;
    expect(storedEventHash(GENESIS_HASH, stored)).toBe(hash);
    expect(storedEventHash(GENESIS_HASH, { ...stored, data: '{"b":1,"a":[1,2]}' })).toBeUndefined();
    expect(storedEventHash(GENESIS_HASH, { ...stored, data: '{"a": [1, 2], "b": 1}' })).toBeUndefined();
    // JSON.stringify's order (hash not last), as stores wrote before.
    expect(storedEventHash(GENESIS_HASH, { ...stored, metadata: JSON.stringify(sealed.metadata) })).toBeUndefined();
    expect(
      storedEventHash(GENESIS_HASH, { ...stored, metadata: JSON.stringify({ hash, ...parsedMetadata }) }),
    ).toBeUndefined();
    // Yet the slow path accepts each of those: they are the same event.
    expect(
      eventHash(GENESIS_HASH, { ...sealed, streamId: 'item-甲', revision: 0, data: JSON.parse('{"b":1,"a":[1,2]}') }),
    ).toBe(hash);
  });

  it('given an edit of any one column or the wrong previous hash, then the fast path declines', () => {
    const { stored } = sealedText({ itemId: 'doc-1', reader: 'p-2' }, { actor: 'p-1' }, 3, 'a'.repeat(64));
    const prev = 'a'.repeat(64);
    expect(storedEventHash(prev, stored)).toBeDefined();
    expect(storedEventHash(GENESIS_HASH, stored)).toBeUndefined();
    expect(storedEventHash(prev, { ...stored, data: stored.data.replace('p-2', 'p-3') })).toBeUndefined();
    expect(storedEventHash(prev, { ...stored, metadata: stored.metadata.replace('p-1', 'p-9') })).toBeUndefined();
    expect(storedEventHash(prev, { ...stored, eventId: 'e-2' })).toBeUndefined();
    expect(storedEventHash(prev, { ...stored, streamId: 'item-乙' })).toBeUndefined();
    expect(storedEventHash(prev, { ...stored, revision: 4 })).toBeUndefined();
    expect(storedEventHash(prev, { ...stored, type: 'ItemDestroyed' })).toBeUndefined();
    const lastHexDigit = stored.metadata.length - 3;
    const flipped = stored.metadata[lastHexDigit] === '0' ? '1' : '0';
    expect(
      storedEventHash(prev, {
        ...stored,
        metadata: stored.metadata.slice(0, lastHexDigit) + flipped + stored.metadata.slice(lastHexDigit + 1),
      }),
    ).toBeUndefined();
  });

  it('given data or metadata holding the members that separate the hashed text, then the fast path declines', () => {
    // Where the separators `,"eventId":` or `,"revision":` occur inside the stored text, the same bytes could be cut
    // into other columns: such events take the slow path (which accepts them: they are sound).
    for (const [data, metadata] of [
      [{ a: 1, eventId: 'x' }, { actor: 'p' }],
      [{ a: 1 }, { actor: 'p', note: { b: 1, revision: 2 } }],
      [{ a: 1 }, { actor: 'p', ref: { b: 1, eventId: 'y' } }],
    ] as [Record<string, unknown>, Record<string, unknown>][]) {
      const { sealed, stored } = sealedText(data, metadata);
      expect(storedEventHash(GENESIS_HASH, stored)).toBeUndefined();
      const parsed = { ...sealed, streamId: 'item-甲', revision: 0 };
      expect(
        eventHash(GENESIS_HASH, { ...parsed, data: JSON.parse(stored.data), metadata: JSON.parse(stored.metadata) }),
      ).toBe(sealed.metadata.hash);
    }
    // A first member named eventId has no comma before it: nothing to cut there.
    const first = sealedText({ eventId: 'x', z: 1 }, { actor: 'p' });
    expect(storedEventHash(GENESIS_HASH, first.stored)).toBe(first.sealed.metadata.hash);
  });

  it('given data with no canonical form, then the store keeps what JSON.stringify writes, as before', () => {
    const when = new Date('2026-03-02T09:00:00.000Z');
    expect(storedDataText({ when })).toBe(JSON.stringify({ when }));
    expect(storedDataText(undefined)).toBe('null');
    expect(storedMetadataText({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(storedMetadataText({ hash: 'not-a-hash', a: 1 })).toBe('{"a":1,"hash":"not-a-hash"}');
  });

  it('given a sealed append to the SQLite store, then the row holds the text the fast path hashes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stored-text-'));
    const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
    try {
      const [sealed] = sealEvents('item-doc-1', -1, GENESIS_HASH, [
        { eventId: 'e-1', type: 'ItemRead', data: { reader: 'p-2', itemId: 'doc-1' }, metadata: { z: 1, actor: 'p' } },
      ]);
      await store.append('item-doc-1', [sealed], 'no-stream');
      const row = store.db
        .prepare(`SELECT event_id, stream_id, revision, type, data, metadata FROM events`)
        .get() as Omit<EventRow, 'position'>;
      expect(row.data).toBe('{"itemId":"doc-1","reader":"p-2"}');
      expect(row.metadata.endsWith(`,"hash":"${String(sealed.metadata.hash)}"}`)).toBe(true);
      const text = { ...row, eventId: row.event_id, streamId: row.stream_id };
      expect(storedEventHash(GENESIS_HASH, text)).toBe(sealed.metadata.hash);
      // What a reader gets back is the sealed event.
      const [read] = await store.readStream('item-doc-1');
      expect(read.data).toEqual(sealed.data);
      expect(read.metadata).toEqual(sealed.metadata);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the texts a store keeps for an event sealed in this process', () => {
  it('are the canonical texts the hash was computed over, without canonicalizing again', () => {
    const data = { reader: 'p-1', itemId: 'doc-1', nested: { b: [1, 'x'], a: null } };
    const [sealed] = sealEvents('item-doc-1', -1, GENESIS_HASH, [
      { eventId: 'e-1', type: 'ItemRead', data, metadata: { occurredAt: '2026-01-01T00:00:00.000Z', actor: 'p-1' } },
    ]);
    expect(storedDataText(sealed.data)).toBe(canonicalize(data));
    const metadata = sealed.metadata as Record<string, unknown>;
    expect(storedMetadataText(metadata)).toBe(
      canonicalizeWithout(metadata, 'hash').slice(0, -1) + `,"hash":"${String(metadata.hash)}"}`,
    );
    const row = { eventId: 'e-1', streamId: 'item-doc-1', revision: 0, type: 'ItemRead' };
    const text = { ...row, data: storedDataText(sealed.data), metadata: storedMetadataText(metadata) };
    expect(storedEventHash(GENESIS_HASH, text)).toBe(metadata.hash);
    expect(eventHash(GENESIS_HASH, { ...row, data: sealed.data, metadata })).toBe(metadata.hash);
  });

  it('of data that was not sealed here are computed from the data', () => {
    const data = { b: 2, a: 1 };
    expect(storedDataText(data)).toBe('{"a":1,"b":2}');
    expect(storedMetadataText({ z: 1, a: 'x' })).toBe('{"a":"x","z":1}');
  });
});
