import fc from 'fast-check';
import { parseStream, streamKindOf } from './streams';

describe('stream names', () => {
  it('streamKindOf names the kind parseStream finds, for any name', () => {
    const name = fc.oneof(
      fc.string(),
      fc
        .tuple(fc.constantFrom('item', 'person', 'place', 'incident', 'inventory', 'items', 'ite', ''), fc.string())
        .map(([kind, rest]) => `${kind}-${rest}`),
    );
    fc.assert(
      fc.property(name, (streamId) => {
        expect(streamKindOf(streamId)).toBe(parseStream(streamId)?.kind ?? null);
      }),
      { numRuns: 3_000 },
    );
  });

  it('knows the domain streams and no others', () => {
    expect(streamKindOf('item-doc-1')).toBe('item');
    expect(streamKindOf('incident-inc-1')).toBe('incident');
    expect(streamKindOf('inventory-2026')).toBe('inventory');
    expect(streamKindOf('ledger-checkpoints')).toBeNull();
    expect(streamKindOf('items-doc-1')).toBeNull();
    expect(streamKindOf('item')).toBeNull();
  });
});
