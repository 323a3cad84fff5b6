import { canonicalize, CanonicalizationError } from './canonical-json';

// IEEE-754 bit patterns and their JCS serializations, from RFC 8785 Appendix B.
const appendixB: Array<[string, string]> = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

const fromBits = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);

describe('canonicalize (RFC 8785)', () => {
  it('serializes the RFC 8785 Appendix B number samples', () => {
    for (const [bits, expected] of appendixB) {
      expect([bits, canonicalize(fromBits(bits))]).toEqual([bits, expected]);
    }
  });

  it('serializes the brief’s number samples in ECMAScript shortest form', () => {
    // The brief writes 333333333.33333329, more digits than a double holds; Number() reads it as a literal would.
    expect(canonicalize([1e21, 1e-7, -0, Number('333333333.33333329'), 4.5, 2e-3, 1e30, 1e-27])).toBe(
      '[1e+21,1e-7,0,333333333.3333333,4.5,0.002,1e+30,1e-27]',
    );
  });

  it('produces the RFC 8785 §3.2.2 example output from its input text', () => {
    // The input is JSON text, parsed first, exactly as the RFC's example does.
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalize(JSON.parse(input))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    // Object.keys would put the integer-like "1" first whatever the text says, so read the order from the text.
    const out = canonicalize(input);
    const order = ['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) =>
      out.indexOf(`"${k}":`),
    );
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    // The surrogate pair (U+1F600, code units D83D DE00) sorts before U+FB33 by code unit, not by code point.
    expect(canonicalize(input)).toBe(
      // Escapes, not literal characters: an editor may normalize U+FB33 into two code points.
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('sorts nested objects and keeps array order, with no whitespace', () => {
    expect(canonicalize({ b: [3, { z: 1, a: 2 }], a: { y: null, x: true } })).toBe(
      '{"a":{"x":true,"y":null},"b":[3,{"a":2,"z":1}]}',
    );
  });

  it('escapes control characters as JCS specifies', () => {
    expect(canonicalize('\b\t\n\f\r\u0000\u001f\u007f"\\/')).toBe('"\\b\\t\\n\\f\\r\\u0000\\u001f\u007f\\"\\\\/"');
  });

  it('omits undefined members and turns undefined array slots into null, like JSON.stringify', () => {
    const value = { a: undefined, b: 1, c: [undefined, 2] };
    expect(canonicalize(value)).toBe('{"b":1,"c":[null,2]}');
    // So a value hashes the same before and after a JSON round trip through a store.
    expect(canonicalize(JSON.parse(JSON.stringify(value)))).toBe(canonicalize(value));
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 'v';
    expect(canonicalize(bare)).toBe('{"k":"v"}');
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a bigint', 10n],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['undefined at the top', undefined],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Buffer', Buffer.from('x')],
    [
      'a class instance',
      new (class Point {
        x = 1;
      })(),
    ],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udc00'],
  ])('rejects %s', (_name, value) => {
    expect(() => canonicalize(value)).toThrow(CanonicalizationError);
  });

  it('names the path of a rejected nested value', () => {
    expect(() => canonicalize({ data: { items: [1, { at: new Date(0) }] } })).toThrow(
      /\$\.data\.items\[1\]\.at: a Date/,
    );
    expect(() => canonicalize({ ['\udead']: 1 })).toThrow(/lone surrogate/);
  });

  it('rejects a cyclic structure instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/nested deeper/);
  });
});
