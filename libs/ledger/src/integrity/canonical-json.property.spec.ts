import fc from 'fast-check';
import oracle from 'canonicalize';
import { canonicalize } from './canonical-json';

/**
 * The project's RFC 8785 code (canonical-json.ts) is kept — it matches the RFC's published vectors and names the
 * field it refuses — but the `canonicalize` package (the RFC co-author's implementation) is its oracle: any change
 * that makes the two disagree on a JSON value fails here.
 */
describe('canonical JSON agrees with the canonicalize package (RFC 8785 reference)', () => {
  const params = { numRuns: 2_000 };

  it('on any JSON value with well-formed Unicode text (keys ordered by UTF-16 code units)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 }), (value) => {
        expect(canonicalize(value)).toBe(oracle(value));
      }),
      params,
    );
  });

  it('on numbers, the hard part of JCS: every finite double serializes as ECMAScript does', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(canonicalize({ n })).toBe(oracle({ n }));
      }),
      params,
    );
  });

  it('on keys outside the BMP and keys that differ only by code unit order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.integer(), { maxKeys: 8 }),
        (object) => {
          expect(canonicalize(object)).toBe(oracle(object));
        },
      ),
      params,
    );
    const tricky = { '\u{1F600}': 1, '\uFB33': 2, é: 3, e: 4, '': 5 };
    expect(canonicalize(tricky)).toBe(oracle(tricky));
  });
});
