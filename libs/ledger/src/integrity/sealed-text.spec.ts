import fc from 'fast-check';
import { canonicalize } from './canonical-json';
import { GENESIS_HASH, eventHash, storedDataText } from './event-hash';
import { sealEvents } from './hash-chain';

/** The store writes an event's data as the canonical text its hash covers; for a sealed event it is the seal's text. */
describe('the data text a store keeps for an event sealed in this process', () => {
  const seal = (data: unknown) =>
    sealEvents('item-doc-1', -1, GENESIS_HASH, [
      { eventId: 'e-1', type: 'ItemRead', data, metadata: { occurredAt: '2026-01-01T00:00:00.000Z', actor: 'p-1' } },
    ])[0];

  it('is the canonical text the hash was computed over, for any JSON data', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (data) => {
        const sealed = seal(data);
        const text = storedDataText(sealed.data);
        expect(text).toBe(canonicalize(data));
        const fields = {
          streamId: 'item-doc-1',
          revision: 0,
          eventId: 'e-1',
          type: 'ItemRead',
          data: JSON.parse(text),
        };
        expect(eventHash(GENESIS_HASH, { ...fields, metadata: sealed.metadata })).toBe(sealed.metadata.hash);
      }),
      { numRuns: 1_000 },
    );
  });

  it('is the same when asked again, and for data never sealed it is computed', () => {
    const data = { reader: 'p-1', itemId: 'doc-1' };
    const sealed = seal(data);
    expect(storedDataText(sealed.data)).toBe('{"itemId":"doc-1","reader":"p-1"}');
    expect(storedDataText(sealed.data)).toBe('{"itemId":"doc-1","reader":"p-1"}');
    expect(storedDataText({ b: 2, a: 1 })).toBe('{"a":1,"b":2}');
  });
});
