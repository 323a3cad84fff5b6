import fc from 'fast-check';
import { createHash } from 'node:crypto';
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

describe('stream-heads tree', () => {
  it('hand-written canonical JSON equals RFC 8785 canonicalize for any stream id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(), (streamId, revision) => {
        const h = { streamId, revision, hash: hashOf(streamId) };
        expect(streamHeadJson(h)).toBe(streamHeadJsonReference(h));
      }),
    );
  });

  it('incremental roots equal the from-scratch definition after any sequence of appends and checkpoints', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('event' as const), stream: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('root' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const tree = new StreamHeadsTree();
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

  it('a proof of an older head, another revision or another root does not verify', () => {
    const tree = new StreamHeadsTree();
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
