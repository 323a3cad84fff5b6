import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { nativeSha256Batch, nodeCryptoSha256Batch, type Sha256Batch } from './batch-hash';
import { merkleRoot, EMPTY_ROOT } from './merkle';
import {
  StreamHeadsTree,
  streamHeadJson,
  streamHeadJsonReference,
  streamHeadLeafHex,
  verifyStreamHeadProof,
  type StreamHead,
} from './stream-heads';

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');

/** The definition, literally: sort by streamId, leaf = sha256(0x00 ‖ canonicalize(head)), RFC 9162 root. */
const referenceRoot = (heads: Map<string, StreamHead>): string => {
  const sorted = [...heads.values()].sort((a, b) => (a.streamId < b.streamId ? -1 : 1));
  const leaves = sorted.map((h) =>
    createHash('sha256')
      .update(Buffer.concat([Buffer.from([0]), Buffer.from(streamHeadJsonReference(h), 'utf8')]))
      .digest('hex'),
  );
  return merkleRoot(leaves);
};

// Every case with each hasher: the native addon (the service's; batch-hash.spec fails when it is not built) and
// node:crypto (the fallback). Either must give the definition's bytes.
const hashers: [string, Sha256Batch][] = [
  ['native', nativeSha256Batch ?? nodeCryptoSha256Batch],
  ['node:crypto', nodeCryptoSha256Batch],
];

describe.each(hashers)('stream-heads tree (%s hasher)', (name, hasher) => {
  it('hashes with the hasher it was given', () => {
    expect(new StreamHeadsTree({ hasher }).hasherName).toBe(name);
  });

  it('flushes of more leaves than a hasher call takes, with ids too long for a slot among them, give the definition', () => {
    // 512 leaves a call, 256-byte slots: 3,000 streams cross five chunk boundaries; every 97th id is longer than a
    // slot holds (hashed at once from the string, in the same flush as the batched ones).
    const tree = new StreamHeadsTree({ hasher });
    const heads = new Map<string, StreamHead>();
    for (let round = 0; round < 3; round++) {
      for (let i = round; i < 3_000; i += 1 + round) {
        const streamId = i % 97 === 0 ? `item-${i}-${'x'.repeat(200)}` : `item-${hashOf(String(i)).slice(0, 12)}`;
        const revision = (heads.get(streamId)?.revision ?? -1) + 1;
        const hash = hashOf(`${streamId}:${round}`);
        heads.set(streamId, { streamId, revision, hash });
        if (i % 2 === 0) tree.advance(streamId, hash);
        else tree.set(streamId, revision, Buffer.from(hash, 'hex'));
      }
      expect(tree.root()).toBe(referenceRoot(heads));
    }
  });

  it('hand-written canonical JSON equals RFC 8785 canonicalize for any stream id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(), (streamId, revision) => {
        const h = { streamId, revision, hash: hashOf(streamId) };
        expect(streamHeadJson(h)).toBe(streamHeadJsonReference(h));
      }),
    );
  });

  it('the leaf the tree hashes is the definition for any head: chain hashes, other strings, any revision', () => {
    // The tree writes a head's leaf input as bytes when its hash is 64 lowercase hex digits and its revision a 31-bit
    // non-negative integer, and hashes the string otherwise; both must give sha256(0x00 ‖ UTF-8(canonicalize(head))).
    const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
    // A chain hash with one character that is not a hex digit, anywhere (the check must look at all 64).
    const almostHex = fc
      .tuple(hex64, fc.nat(63), fc.constantFrom('g', 'G', '"', '\\', '\u0000', 'é', '\u{1F600}', ' '))
      .map(([h, i, c]) => h.slice(0, i) + c + h.slice(i + 1));
    const hash = fc.oneof(
      hex64,
      hex64.map((h) => h.toUpperCase()),
      almostHex,
      fc.string({ unit: 'binary', maxLength: 70 }),
    );
    const digitEdges = [0, 9, 10, 99, 100, 999_999_999, 1_000_000_000, 2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER];
    const revision = fc.oneof(fc.nat(), fc.constantFrom(...digitEdges), fc.integer({ min: -5, max: -1 }));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), revision, hash, (streamId, rev, h) => {
        const head = { streamId, revision: rev, hash: h };
        const tree = new StreamHeadsTree({ hasher });
        tree.set(streamId, rev, h);
        // A tree of one leaf: its root is the leaf (RFC 9162 §2.1.1).
        const expected = createHash('sha256')
          .update(Buffer.concat([Buffer.from([0]), Buffer.from(streamHeadJsonReference(head), 'utf8')]))
          .digest('hex');
        expect(tree.root()).toBe(expected);
        expect(streamHeadLeafHex(head)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('the leaf of a chain hash given as bytes is the definition with its lowercase hex, for any bytes and revision', () => {
    // The index hands the tree its 32-byte Buffers; the tree writes their hex into the leaf input with a table. Other
    // lengths (no chain hash, but bytes all the same) take the hex string's path.
    const bytes = fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    );
    const digitEdges = [0, 9, 10, 99, 100, 999_999_999, 1_000_000_000, 2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER];
    const revision = fc.oneof(fc.nat(), fc.constantFrom(...digitEdges), fc.integer({ min: -5, max: -1 }));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), revision, bytes, (streamId, rev, b) => {
        const hash = Buffer.from(b);
        const head = { streamId, revision: rev, hash: hash.toString('hex') };
        const tree = new StreamHeadsTree({ hasher });
        tree.set(streamId, rev, hash);
        const expected = createHash('sha256')
          .update(Buffer.concat([Buffer.from([0]), Buffer.from(streamHeadJsonReference(head), 'utf8')]))
          .digest('hex');
        expect(tree.root()).toBe(expected);
        expect(tree.head(streamId)).toEqual(head);
      }),
      { numRuns: 500 },
    );
  });

  it('incremental roots equal the from-scratch definition after any sequence of appends and checkpoints', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('event' as const), stream: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('root' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const tree = new StreamHeadsTree({ hasher });
        const heads = new Map<string, StreamHead>();
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'event') {
            const streamId = `item-${o.stream}`;
            const revision = (heads.get(streamId)?.revision ?? -1) + 1;
            const hash = hashOf(`${streamId}#${revision}:${n++}`);
            heads.set(streamId, { streamId, revision, hash });
            tree.advance(streamId, hash);
          } else {
            expect(tree.root()).toBe(referenceRoot(heads));
          }
        }
        const root = tree.root();
        expect(root).toBe(referenceRoot(heads));
        for (const h of heads.values()) {
          const p = tree.prove(h.streamId);
          expect(p?.head).toEqual(h);
          expect(verifyStreamHeadProof(p!, root)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('roots and proofs hold the definition with any stream ids created anywhere in the order, at any moment', () => {
    // New ids land before, between and after the placed ones (the slots right of each insertion move); set() may
    // jump revisions; a root can be asked for after any step. Every root must equal the definition and every proof
    // must verify against it.
    const op = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('new' as const),
          id: fc.string({ unit: 'grapheme' }),
          numbered: fc.boolean(),
          bytes: fc.boolean(),
        }),
      },
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('event' as const),
          pick: fc.nat(),
          numbered: fc.boolean(),
          bytes: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('set' as const),
          pick: fc.nat(),
          revision: fc.nat(),
          bytes: fc.boolean(),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('root' as const), prove: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('batch' as const),
          ids: fc.uniqueArray(fc.string(), { maxLength: 70 }),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const tree = new StreamHeadsTree({ hasher });
        const heads = new Map<string, StreamHead>();
        const ids: string[] = [];
        let n = 0;
        // A caller's own numbers, dense in first-seen order (the read model's merkle_streams): the numbered path
        // must give the definition's roots as the one by id does, in any mix of the two.
        const numbers = new Map<string, number>();
        // `bytes`: the chain hash as the index has it, 32 bytes (the numbered path the index drives), else hex.
        const append = (streamId: string, revision?: number, numbered = false, bytes = false) => {
          const hash = hashOf(`${streamId}:${n++}`);
          const given = bytes ? Buffer.from(hash, 'hex') : hash;
          const next = revision ?? (heads.get(streamId)?.revision ?? -1) + 1;
          const isNew = !heads.has(streamId);
          if (isNew) {
            numbers.set(streamId, ids.length);
            ids.push(streamId);
          }
          heads.set(streamId, { streamId, revision: next, hash });
          if (revision !== undefined) tree.set(streamId, revision, given);
          else if (numbered) tree.advanceNumbered(numbers.get(streamId)!, given, isNew ? streamId : undefined);
          else tree.advance(streamId, hash);
          expect(tree.numberOf(streamId)).toBe(numbers.get(streamId));
        };
        const check = (prove: number) => {
          const root = tree.root();
          expect(root).toBe(referenceRoot(heads));
          expect(tree.size).toBe(heads.size);
          if (ids.length === 0) return;
          const p = tree.prove(ids[prove % ids.length])!;
          expect(p.head).toEqual(heads.get(ids[prove % ids.length]));
          expect(verifyStreamHeadProof(p, root)).toBe(true);
        };
        for (const o of ops) {
          if (o.kind === 'new') append(o.id, undefined, o.numbered, o.bytes);
          else if (o.kind === 'batch') for (const id of o.ids) append(id);
          else if (o.kind === 'event' && ids.length > 0)
            append(ids[o.pick % ids.length], undefined, o.numbered, o.bytes);
          else if (o.kind === 'set' && ids.length > 0) append(ids[o.pick % ids.length], o.revision, false, o.bytes);
          else if (o.kind === 'root') check(o.prove);
        }
        check(0);
        expect(tree.all()).toEqual([...heads.values()].sort((a, b) => (a.streamId < b.streamId ? -1 : 1)));
        for (const id of ids) expect(verifyStreamHeadProof(tree.prove(id)!, tree.root())).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the definition over thousands of streams and many roots (every level, shifts far from the edge)', () => {
    const tree = new StreamHeadsTree({ hasher });
    const heads = new Map<string, StreamHead>();
    let seed = 1;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ids: string[] = [];
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 700; i++) {
        const streamId =
          rand() < 0.3 || ids.length === 0 ? `s-${Math.floor(rand() * 1e9)}` : ids[Math.floor(rand() * ids.length)];
        if (!heads.has(streamId)) ids.push(streamId);
        const hash = hashOf(`${round}/${i}`);
        heads.set(streamId, { streamId, revision: (heads.get(streamId)?.revision ?? -1) + 1, hash });
        tree.advance(streamId, hash);
      }
      expect(tree.root()).toBe(referenceRoot(heads));
    }
    const root = tree.root();
    for (const id of ids.slice(0, 50)) expect(verifyStreamHeadProof(tree.prove(id)!, root)).toBe(true);
  });

  it('takes a number only for a stream it has, or the next one with its id (never one that breaks the order)', () => {
    const tree = new StreamHeadsTree({ hasher });
    tree.advanceNumbered(0, hashOf('a'), 'item-a');
    tree.advanceNumbered(1, hashOf('b'), 'item-b');
    tree.advanceNumbered(0, hashOf('a1'));
    expect(tree.head('item-a')).toEqual({ streamId: 'item-a', revision: 1, hash: hashOf('a1') });
    // A gap, a new number without its id, a negative one, an id that already has a number: refused, nothing changed.
    expect(() => tree.advanceNumbered(3, hashOf('c'), 'item-c')).toThrow(RangeError);
    expect(() => tree.advanceNumbered(2, hashOf('c'))).toThrow(RangeError);
    expect(() => tree.advanceNumbered(-1, hashOf('c'), 'item-c')).toThrow(RangeError);
    expect(() => tree.advanceNumbered(2, hashOf('c'), 'item-a')).toThrow(RangeError);
    expect(tree.size).toBe(2);
    const byId = new StreamHeadsTree({ hasher });
    byId.advance('item-a', hashOf('a'));
    byId.advance('item-b', hashOf('b'));
    byId.advance('item-a', hashOf('a1'));
    expect(tree.root()).toBe(byId.root());
  });

  it('a proof of an older head, another revision or another root does not verify', () => {
    const tree = new StreamHeadsTree({ hasher });
    expect(tree.root()).toBe(EMPTY_ROOT);
    for (let i = 0; i < 9; i++) tree.advance(`s-${i}`, hashOf(`a${i}`));
    const before = tree.prove('s-4')!;
    tree.advance('s-4', hashOf('b4'));
    const after = tree.prove('s-4')!;
    expect(verifyStreamHeadProof(after, tree.root())).toBe(true);
    // The stream cut back to its previous head: its leaf is not the one the root commits to.
    expect(
      verifyStreamHeadProof({ ...after, head: before.head, leafHash: streamHeadLeafHex(before.head) }, tree.root()),
    ).toBe(false);
    expect(verifyStreamHeadProof({ ...after, head: { ...after.head, revision: 0 } }, tree.root())).toBe(false);
    expect(verifyStreamHeadProof(before, tree.root())).toBe(false);
  });
});
