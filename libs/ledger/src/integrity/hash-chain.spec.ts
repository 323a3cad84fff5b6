import { createHash } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '../store/event-store.port';
import { canonicalize } from './canonical-json';
import { GENESIS_HASH, eventHash, sealEvents, verifyStreamEvents } from './hash-chain';

const AT = '2026-03-02T09:00:00.000Z';

const newEvent = (n: number, data: Record<string, unknown> = { itemId: 'doc-1', n }): NewEvent => ({
  eventId: `evt-${n}`,
  type: 'ItemRead',
  data,
  metadata: {
    occurredAt: AT,
    recordedAt: AT,
    actor: 'p-registrar',
    commandId: `cmd-${n}`,
    correlationId: `cmd-${n}`,
    causationId: null,
    schemaVersion: 1,
  },
});

// What a store hands back: JSON round-tripped, with positions it chose.
const recorded = (streamId: string, sealed: NewEvent[], firstRevision = 0, firstPosition = 100): RecordedEvent[] =>
  sealed.map((e, i) => ({
    ...(JSON.parse(JSON.stringify(e)) as NewEvent),
    streamId,
    revision: firstRevision + i,
    position: firstPosition + i * 7,
  })) as RecordedEvent[];

describe('eventHash', () => {
  it('is sha256 over prevHash followed by the canonical JSON of the fields, metadata without hash', () => {
    const prevHash = 'ab'.repeat(32);
    const metadata = { prevHash, actor: 'p-1', hash: 'ignored', extra: { z: 1, a: [1.5, 'é'] } };
    const fields = {
      streamId: 'item-1',
      revision: 3,
      eventId: 'e-3',
      type: 'ItemRead',
      data: { b: 1, a: '€' },
      metadata,
    };
    // The literal definition from contract §4, computed independently here.
    const { hash: _dropped, ...withoutHash } = metadata;
    const expected = createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from(prevHash, 'ascii'),
          Buffer.from(canonicalize({ ...fields, metadata: withoutHash }), 'utf8'),
        ]),
      )
      .digest('hex');
    expect(eventHash(prevHash, fields)).toBe(expected);
  });

  it('hashes the worked example of docs/integrity.md to sha256 of zeros + its documented canonical text', () => {
    const documented =
      '{"data":{"itemId":"doc-1","placeId":"room-1","reader":"p-zhang"},"eventId":"evt-1","metadata":{"actor":"p-registrar",' +
      '"causationId":null,"commandId":"cmd-1","correlationId":"cmd-1","occurredAt":"2026-03-02T09:00:00Z","prevHash":"' +
      GENESIS_HASH +
      '","recordedAt":"2026-03-02T09:00:01Z","schemaVersion":1},"revision":0,"streamId":"item-doc-1","type":"ItemRead"}';
    const [sealed] = sealEvents('item-doc-1', -1, GENESIS_HASH, [
      {
        eventId: 'evt-1',
        type: 'ItemRead',
        data: { reader: 'p-zhang', itemId: 'doc-1', placeId: 'room-1' },
        metadata: {
          occurredAt: '2026-03-02T09:00:00Z',
          recordedAt: '2026-03-02T09:00:01Z',
          actor: 'p-registrar',
          commandId: 'cmd-1',
          correlationId: 'cmd-1',
          causationId: null,
          schemaVersion: 1,
        },
      },
    ]);
    expect(sealed.metadata.hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + documented, 'utf8')
        .digest('hex'),
    );
  });

  it('omits undefined data exactly as the canonical form of the whole object would', () => {
    const fields = {
      streamId: 's',
      revision: 0,
      eventId: 'e',
      type: 't',
      data: undefined,
      metadata: { prevHash: GENESIS_HASH },
    };
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonicalize(fields))
      .digest('hex');
    expect(eventHash(GENESIS_HASH, fields)).toBe(expected);
  });

  it('changes with every hashed field', () => {
    const base = {
      streamId: 's',
      revision: 0,
      eventId: 'e',
      type: 't',
      data: { a: 1 },
      metadata: { prevHash: GENESIS_HASH },
    };
    const h = eventHash(GENESIS_HASH, base);
    const variants = [
      { ...base, streamId: 's2' },
      { ...base, revision: 1 },
      { ...base, eventId: 'e2' },
      { ...base, type: 't2' },
      { ...base, data: { a: 2 } },
      { ...base, metadata: { prevHash: GENESIS_HASH, actor: 'x' } },
    ];
    for (const v of variants) expect(eventHash(GENESIS_HASH, v)).not.toBe(h);
    expect(eventHash('1'.repeat(64), base)).not.toBe(h);
  });

  it('does not depend on key order or on the metadata hash member', () => {
    const a = {
      streamId: 's',
      revision: 0,
      eventId: 'e',
      type: 't',
      data: { x: 1, y: 2 },
      metadata: { prevHash: GENESIS_HASH, k: 1 },
    };
    const b = { ...a, data: { y: 2, x: 1 }, metadata: { k: 1, prevHash: GENESIS_HASH, hash: 'f'.repeat(64) } };
    expect(eventHash(GENESIS_HASH, b)).toBe(eventHash(GENESIS_HASH, a));
  });
});

describe('sealEvents on a new stream', () => {
  const sealed = sealEvents('item-doc-1', -1, GENESIS_HASH, [newEvent(0), newEvent(1), newEvent(2)]);

  it('chains revision 0 from the genesis hash and each next event from the previous hash', () => {
    expect(sealed[0].metadata.prevHash).toBe(GENESIS_HASH);
    expect(sealed[1].metadata.prevHash).toBe(sealed[0].metadata.hash);
    expect(sealed[2].metadata.prevHash).toBe(sealed[1].metadata.hash);
    sealed.forEach((e, revision) => {
      expect(e.metadata.hash).toBe(
        eventHash(e.metadata.prevHash, {
          streamId: 'item-doc-1',
          revision,
          eventId: e.eventId,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
        }),
      );
    });
  });

  it('returns copies and keeps the caller’s metadata', () => {
    const input = newEvent(9);
    const [out] = sealEvents('s', -1, GENESIS_HASH, [input]);
    expect(input.metadata).not.toHaveProperty('hash');
    expect(out.metadata).toMatchObject({ actor: 'p-registrar', commandId: 'cmd-9', prevHash: GENESIS_HASH });
  });

  it('verifies after a JSON round trip through a store', () => {
    expect(verifyStreamEvents(recorded('item-doc-1', sealed))).toMatchObject({
      ok: true,
      eventsChecked: 3,
      streams: 1,
    });
  });
});

describe('sealEvents on an existing stream', () => {
  it('continues the chain from the last revision and hash', () => {
    const first = sealEvents('s', -1, GENESIS_HASH, [newEvent(0), newEvent(1)]);
    const more = sealEvents('s', 1, first[1].metadata.hash, [newEvent(2)]);
    const all = recorded('s', [...first, ...more]);
    expect(verifyStreamEvents(all).ok).toBe(true);
    // Sealing the same event with the wrong revision gives a hash that does not verify at revision 2.
    const wrong = sealEvents('s', 2, first[1].metadata.hash, [newEvent(2)]);
    expect(verifyStreamEvents(recorded('s', [...first, ...wrong])).firstFailure?.reason).toBe('hash-mismatch');
  });

  it('refuses a malformed start', () => {
    expect(() => sealEvents('s', -2, GENESIS_HASH, [newEvent(0)])).toThrow(RangeError);
    expect(() => sealEvents('s', 0, 'nothex', [newEvent(0)])).toThrow(RangeError);
    expect(() => sealEvents('s', -1, 'a'.repeat(64), [newEvent(0)])).toThrow(RangeError);
  });

  it('refuses data that is not plain JSON', () => {
    expect(() => sealEvents('s', -1, GENESIS_HASH, [newEvent(0, { at: new Date(0) })])).toThrow(/data\.at/);
  });
});

describe('verifyStreamEvents on a tampered stream', () => {
  const streamId = 'item-doc-7';
  const good = () =>
    recorded(
      streamId,
      sealEvents(
        streamId,
        -1,
        GENESIS_HASH,
        [0, 1, 2, 3].map((n) => newEvent(n)),
      ),
    );

  it('names an edited event', () => {
    const events = good();
    (events[2].data as Record<string, unknown>).itemId = 'doc-other';
    expect(verifyStreamEvents(events).firstFailure).toMatchObject({
      eventId: 'evt-2',
      revision: 2,
      reason: 'hash-mismatch',
    });
  });

  it('names the event after a deleted one', () => {
    const events = good();
    events.splice(1, 1);
    expect(verifyStreamEvents(events).firstFailure).toMatchObject({ eventId: 'evt-2', reason: 'revision-gap' });
  });

  it('names the event after one that was edited and re-hashed', () => {
    const events = good();
    (events[1].data as Record<string, unknown>).itemId = 'doc-other';
    events[1].metadata.hash = eventHash(events[1].metadata.prevHash, events[1]);
    expect(verifyStreamEvents(events).firstFailure).toMatchObject({ eventId: 'evt-2', reason: 'broken-link' });
  });

  it('names an event of another stream mixed in', () => {
    const events = good();
    events[3] = { ...events[3], streamId: 'item-other' };
    expect(verifyStreamEvents(events).firstFailure).toMatchObject({ eventId: 'evt-3', reason: 'out-of-order' });
  });

  it('names an event whose hash was stripped', () => {
    const events = good();
    delete (events[0].metadata as Partial<RecordedEvent['metadata']>).hash;
    expect(verifyStreamEvents(events).firstFailure).toMatchObject({ eventId: 'evt-0', reason: 'missing-hash' });
  });
});

describe('sealEvents with an own "__proto__" member in metadata (as JSON.parse creates)', () => {
  it('keeps it as data, so the stored event verifies', () => {
    const input = JSON.parse(
      '{"eventId":"e","type":"t","data":{},"metadata":{"__proto__":{"x":1},"actor":"a"}}',
    ) as NewEvent;
    const [sealed] = sealEvents('s', -1, GENESIS_HASH, [input]);
    expect(Object.getPrototypeOf(sealed.metadata)).toBe(Object.prototype);
    expect(verifyStreamEvents(recorded('s', [sealed])).ok).toBe(true);
  });
});
