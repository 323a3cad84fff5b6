import { createHash } from 'node:crypto';
import fc from 'fast-check';
import oracle from 'canonicalize';
import { commandHashOf } from './decider-runner';

/** The claim's hash as first defined: the body through a JSON round trip, then RFC 8785, then SHA-256. */
const byRoundTrip = (name: string, body: unknown): string =>
  createHash('sha256')
    .update(oracle({ name, body: JSON.parse(JSON.stringify(body ?? null)) as unknown }) as string)
    .digest('hex');

describe('the request hash of a command (its idempotency claim)', () => {
  it('is the hash of the body after a JSON round trip, for any JSON body', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 }), (name, body) => {
        expect(commandHashOf(name, body)).toBe(byRoundTrip(name, body));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is the same for bodies that are not plain JSON data as for what JSON makes of them', () => {
    const odd = fc.oneof(
      fc.constant(undefined),
      fc.constant(Number.NaN),
      fc.constant(Number.POSITIVE_INFINITY),
      fc.constant(-0),
      fc.date({ noInvalidDate: true }),
      fc.constant(() => 1),
      fc.constant({ toJSON: () => 'replaced' }),
    );
    const body = fc.dictionary(
      fc.string({ maxLength: 6 }),
      fc.oneof(odd, fc.jsonValue({ maxDepth: 2 }), fc.array(fc.oneof(odd, fc.integer()), { maxLength: 4 })),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(body, (b) => {
        expect(commandHashOf('RecordReading', { data: b, occurredAt: null })).toBe(
          byRoundTrip('RecordReading', { data: b, occurredAt: null }),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('does not depend on the order of keys or on undefined members', () => {
    const a = commandHashOf('RecordReading', { data: { itemId: 'doc-1', reader: 'p-1', note: undefined } });
    expect(commandHashOf('RecordReading', { data: { reader: 'p-1', itemId: 'doc-1' } })).toBe(a);
    expect(commandHashOf('RecordReading', { data: { reader: 'p-2', itemId: 'doc-1' } })).not.toBe(a);
  });
});
