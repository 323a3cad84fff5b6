import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { deterministicUuid, eventIdFor } from './deterministic-id';

/** The id as first defined (bytes of the digest, nibbles set on the bytes): stored event ids were made this way. */
const byBytes = (name: string): string => {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

describe('deterministic event ids', () => {
  it('are the ids the byte-wise definition gives, for any name (a retried command must get the same ids)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (name) => {
        expect(deterministicUuid(name)).toBe(byBytes(name));
      }),
      { numRuns: 5_000 },
    );
  });

  it('are version-5, RFC 4122 variant UUIDs', () => {
    const id = eventIdFor('person:p-1\u0000c-1', 'item-doc-1', 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toBe(byBytes('person:p-1\u0000c-1\u0000item-doc-1\u00000'));
  });

  it('keep the id an event got before this code (stored ids do not change)', () => {
    expect(deterministicUuid('')).toBe('e3b0c442-98fc-5c14-9afb-f4c8996fb924');
  });
});
