import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { nativeSha256Batch, nodeCryptoSha256Batch, type Sha256Batch } from './batch-hash';

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** A Buffer of its own ArrayBuffer (as the tree's levels are: 4-byte aligned). */
const own = (bytes: Uint8Array): Buffer => {
  const b = Buffer.from(new ArrayBuffer(bytes.length));
  b.set(bytes);
  return b;
};

/** The level, literally: RFC 9162 node = sha256(0x01 ‖ left ‖ right), the marks rule as the contract says. */
const referenceLevel = (below: Buffer, out: Buffer, marks: Uint8Array, keep: number, count: number): number => {
  let hashed = 0;
  for (let j = 0; j < count; j++) {
    if (j < keep) {
      const changed = marks[2 * j] === 1 || marks[2 * j + 1] === 1;
      marks[j] = changed ? 1 : 0;
      if (!changed) continue;
    }
    sha256(Buffer.concat([Buffer.from([1]), below.subarray(64 * j, 64 * j + 64)])).copy(out, 32 * j);
    hashed++;
  }
  return hashed;
};

/**
 * The name of what `fn` threw. Not `toThrow(RangeError)`: jest runs a spec in a vm context of its own, and the
 * addon's errors are made in Node's main context, whose RangeError is another constructor.
 */
const thrownName = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as Error).name;
  }
  return undefined;
};

describe('batch SHA-256', () => {
  it('the native addon is built and loaded (npm ci builds it; else `npm rebuild @custody-ledger/sha256-batch`)', () => {
    expect(nativeSha256Batch?.name).toBe('native');
  });

  describe.each<[string, Sha256Batch]>([
    ['native', nativeSha256Batch ?? nodeCryptoSha256Batch],
    ['node:crypto', nodeCryptoSha256Batch],
  ])('%s', (name, hasher) => {
    it('is the implementation it names', () => {
      expect(hasher.name).toBe(name);
    });

    it('a level is the RFC 9162 nodes of its children, marks kept as the reference keeps them, for any input', () => {
      const level = fc
        .integer({ min: 0, max: 40 })
        .chain((count) =>
          fc.tuple(
            fc.constant(count),
            fc.integer({ min: 0, max: count }),
            fc.uint8Array({ minLength: 64 * count, maxLength: 64 * count }),
            fc.array(fc.constantFrom(0, 1), { minLength: 2 * count, maxLength: 2 * count }),
          ),
        );
      fc.assert(
        fc.property(level, ([count, keep, children, marked]) => {
          const below = own(children);
          const out = own(new Uint8Array(32 * count).fill(0xee));
          const expected = Buffer.from(out);
          const marks = Uint8Array.from(marked);
          const expectedMarks = Uint8Array.from(marked);
          const expectedHashed = referenceLevel(below, expected, expectedMarks, keep, count);
          expect(hasher.level(below, out, marks, keep, count)).toBe(expectedHashed);
          expect(out.equals(expected)).toBe(true);
          expect(marks.subarray(0, keep)).toEqual(expectedMarks.subarray(0, keep));
        }),
        { numRuns: 300 },
      );
    });

    it('many is the SHA-256 of each range, wherever the ranges and the digests lie', () => {
      const call = fc.uint8Array({ maxLength: 600 }).chain((input) =>
        fc.tuple(
          fc.constant(input),
          fc.array(
            fc
              .tuple(fc.nat(input.length), fc.nat(input.length))
              .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
            { maxLength: 30 },
          ),
        ),
      );
      fc.assert(
        fc.property(call, ([bytes, pairs]) => {
          const input = Buffer.from(bytes);
          const out = Buffer.alloc(32 * pairs.length + 7, 0xee);
          const ranges = Int32Array.from(pairs.flat());
          // Digests at odd offsets, in reverse order: nothing assumes the output is packed or aligned.
          const offsets = Int32Array.from(pairs.map((_, i) => 7 + 32 * (pairs.length - 1 - i)));
          hasher.many(input, ranges, pairs.length, out, offsets);
          pairs.forEach(([from, to], i) => {
            expect(out.subarray(offsets[i], offsets[i] + 32).toString('hex')).toBe(
              sha256(input.subarray(from, to)).toString('hex'),
            );
          });
          expect(out.subarray(0, 7).every((b) => b === 0xee)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('refuses a call out of its arrays’ range and writes nothing', () => {
      const below = own(new Uint8Array(64 * 4).fill(3));
      const out = own(new Uint8Array(32 * 4).fill(0xee));
      const marks = new Uint8Array(8);
      expect(thrownName(() => hasher.level(below, out, marks, 0, 5))).toBe('RangeError');
      expect(thrownName(() => hasher.level(below, out.subarray(0, 64), marks, 0, 4))).toBe('RangeError');
      expect(thrownName(() => hasher.level(below, out, marks, 3, 2))).toBe('RangeError');
      expect(thrownName(() => hasher.level(below, out, marks.subarray(0, 3), 2, 4))).toBe('RangeError');
      expect(thrownName(() => hasher.level(below, out, marks, -1, 4))).toBe('RangeError');
      const input = Buffer.from('abcdef');
      // The first range is good, the second is not: the first digest must not be written either.
      expect(
        thrownName(() => hasher.many(input, Int32Array.from([0, 3, 2, 9]), 2, out, Int32Array.from([0, 32]))),
      ).toBe('RangeError');
      expect(
        thrownName(() => hasher.many(input, Int32Array.from([0, 3, 4, 2]), 2, out, Int32Array.from([0, 32]))),
      ).toBe('RangeError');
      expect(thrownName(() => hasher.many(input, Int32Array.from([0, 3]), 1, out, Int32Array.from([100])))).toBe(
        'RangeError',
      );
      expect(thrownName(() => hasher.many(input, Int32Array.from([0, 3]), 2, out, Int32Array.from([0, 32])))).toBe(
        'RangeError',
      );
      expect(out.every((b) => b === 0xee)).toBe(true);
    });
  });
});
