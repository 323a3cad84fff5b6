/**
 * Copies follow their original (contract §5.1 point 4; 001_6188e2007563e3a6.txt (三)5: 复印件要等同原件一样管理;
 * 002_c292fe519fc09962.txt 第6篇: the classifier's decisions bind every holder of the item).
 */
import { cmd, contextFor, eventsOf, given, typesOf, violationCodes, type HistoryEntry } from '../testing/custody-spec';
import { decideCommand, evolveStream, initialStateOf } from '../domain';
import type { StreamEvents } from '../shared/command';
import { afterCommands, hoursAfter, people, places, received } from './item.fixtures';
import { itemDeadlineChanges } from './item.deadlines';
import { itemView, type ItemState } from './item.state';

const copy = (itemId: string, copyItemId: string) => cmd('RecordCopy', { itemId, copyItemId }, { actor: 'p-mgr' });

/** A SECRET original with a tree of 3 generations and 50 copies: 10 copies, 2 of each (20), 1 of each of those (20). */
const bigTree = (): { history: HistoryEntry[]; copies: string[] } => {
  let history: HistoryEntry[] = [...people, ...places, received('doc-o', { level: 'SECRET' })];
  const gen1 = Array.from({ length: 10 }, (_, i) => `doc-o-c${i + 1}`);
  const gen2 = gen1.flatMap((c) => [`${c}-a`, `${c}-b`]);
  const gen3 = gen2.map((c) => `${c}-x`);
  history = afterCommands(
    history,
    ...gen1.map((c) => copy('doc-o', c)),
    ...gen2.map((c) => copy(c.slice(0, -2), c)),
    ...gen3.map((c) => copy(c.slice(0, -2), c)),
  );
  return { history, copies: [...gen1, ...gen2, ...gen3] };
};
const tree = bigTree();

/** The folded view of one item after the history and the writes. */
const viewAfter = (history: HistoryEntry[], writes: StreamEvents[], itemId: string) => {
  const streamId = `item-${itemId}`;
  const events = [
    ...history.flatMap((h) => ('streamId' in h && h.streamId === streamId ? [h.event] : [])),
    ...writes.filter((w) => w.streamId === streamId).flatMap((w) => w.events),
  ];
  return itemView(events.reduce((s, e) => evolveStream(streamId, s, e), initialStateOf(streamId)) as ItemState)!;
};

describe('a copy tree of 3 generations and 50 copies', () => {
  it('numbers the 50 copies 1 to 50, unique across the tree', () => {
    const numbers = tree.copies.map((c) => viewAfter(tree.history, [], c).copyNo);
    expect(new Set(numbers).size).toBe(50);
    expect([...numbers].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('gives each copy its original and keeps no declassification deadline of its own', () => {
    const deepest = tree.copies[49];
    expect(viewAfter(tree.history, [], deepest)).toMatchObject({ original: 'doc-o', copyOf: tree.copies[29] });
    const registered = tree.history.find(
      (h) => 'streamId' in h && h.streamId === `item-${deepest}` && h.event.type === 'CopyRegistered',
    ) as { streamId: string; event: { type: string; data: unknown } };
    const changes = itemDeadlineChanges({ ...registered, ...registered.event, revision: 0, occurredAt: hoursAfter(0) });
    expect(changes.set.map((d) => d.kind)).not.toContain('DECLASSIFY');
  });

  it('extends the period of every copy in the same command, each on its own stream', () =>
    given(...tree.history)
      .when(
        cmd('ExtendSecrecyPeriod', { itemId: 'doc-o', newDeclassifyOn: '2040-03-02T09:00:00.000Z' }, { actor: 'p-gm' }),
      )
      .then((writes) => {
        expect(writes).toHaveLength(51);
        expect(new Set(writes.map((w) => w.streamId)).size).toBe(51);
        expect(typesOf(writes).every((t) => t === 'SecrecyPeriodExtended')).toBe(true);
        const onDeepest = writes.find((w) => w.streamId === `item-${tree.copies[49]}`)!.events[0];
        expect(onDeepest.data).toMatchObject({
          newDeclassifyOn: '2040-03-02T09:00:00.000Z',
          followsOriginal: 'doc-o',
          approvedBy: 'p-gm',
        });
        expect(viewAfter(tree.history, writes, tree.copies[49]).declassifyOn).toBe('2040-03-02T09:00:00.000Z');
      }));

  it('declassifies every copy when the original is declassified', () =>
    given(...tree.history)
      .when(cmd('DeclassifyItem', { itemId: 'doc-o', reason: 'published' }, { actor: 'p-gm' }))
      .then((writes) => {
        expect(writes).toHaveLength(51);
        for (const c of tree.copies) expect(viewAfter(tree.history, writes, c).status).toBe('declassified');
      }));

  it('changes the level of every copy, so a copy is no longer readable by a lower rank than the original', () =>
    given(...tree.history)
      .when(cmd('ChangeLevel', { itemId: 'doc-o', level: 'TOP_SECRET' }, { actor: 'p-gm' }))
      .then((writes) => {
        expect(writes).toHaveLength(51);
        expect(eventsOf(writes).every((e) => e.type === 'LevelChanged' && e.data.to === 'TOP_SECRET')).toBe(true);
        expect(viewAfter(tree.history, writes, tree.copies[20]).level).toBe('TOP_SECRET');
      }));

  it('declassifies every copy at the original expiry, and nothing at a copy deadline left from v1', () => {
    const expiry = (itemId: string) =>
      cmd('FireDeadline', {
        deadline: {
          key: `DECLASSIFY:item-${itemId}`,
          kind: 'DECLASSIFY',
          streamId: `item-${itemId}`,
          dueAt: '2036-03-02T09:00:00.000Z',
          itemId,
        },
      });
    given(...tree.history)
      .when(expiry('doc-o'))
      .then((writes) => {
        expect(writes).toHaveLength(51);
        expect(eventsOf(writes).every((e) => e.type === 'ItemDeclassified' && e.data.automatic === true)).toBe(true);
      });
    given(...tree.history)
      .when(expiry(tree.copies[3]))
      .then((writes) => expect(writes).toEqual([]));
  });
});

describe('a scope extension binds the copies (contract §5.1 point 4)', () => {
  // The manager (rank manager) is not admitted to a SECRET item by default; the general manager extends the scope.
  const history = afterCommands(
    [...people, ...places, received('doc-o', { level: 'SECRET' })],
    copy('doc-o', 'doc-o-c1'),
    copy('doc-o-c1', 'doc-o-c1-c1'),
  );
  const extended = afterCommands(
    history,
    cmd('ExtendScope', { itemId: 'doc-o', persons: ['p-mgr'] }, { actor: 'p-gm' }),
  );

  it('writes the extension on the copy of the copy too', () =>
    given(...history)
      .when(cmd('ExtendScope', { itemId: 'doc-o', persons: ['p-mgr'] }, { actor: 'p-gm' }))
      .then((writes) =>
        expect(writes.map((w) => w.streamId)).toEqual(['item-doc-o', 'item-doc-o-c1', 'item-doc-o-c1-c1']),
      ));

  // v1 flagged a false leak here: the newly admitted reader read a copy that kept the old scope.
  it('lets the newly admitted reader read the copy of the copy without a violation', () =>
    given(...extended)
      .when(cmd('RecordReading', { itemId: 'doc-o-c1-c1', reader: 'p-mgr', placeId: 'room-1' }))
      .then((writes) => expect(violationCodes(writes)).toEqual([])));
});

describe('decisions on a copy', () => {
  const history = afterCommands(
    [...people, ...places, received('doc-o', { level: 'SECRET' })],
    copy('doc-o', 'doc-o-c1'),
  );
  // The copy follows its original: its secrecy is decided on the original.
  it.each([
    cmd('DeclassifyItem', { itemId: 'doc-o-c1' }, { actor: 'p-gm' }),
    cmd('ExtendSecrecyPeriod', { itemId: 'doc-o-c1', newDeclassifyOn: '2040-01-01T00:00:00Z' }, { actor: 'p-gm' }),
    cmd('ChangeLevel', { itemId: 'doc-o-c1', level: 'CONFIDENTIAL' }, { actor: 'p-gm' }),
  ])('refuses $type on the copy with COPY_FOLLOWS_ORIGINAL', (command) =>
    given(...history)
      .when(command)
      .thenThrows('COPY_FOLLOWS_ORIGINAL'),
  );

  it('leaves a destroyed copy as it was', () => {
    const destroyed = afterCommands(
      history,
      cmd('RecordDestruction', {
        itemId: 'doc-o-c1',
        method: 'shredding',
        placeId: 'site-1',
        witnesses: ['p-dir', 'p-mgr'],
      }),
    );
    const declassify = cmd('DeclassifyItem', { itemId: 'doc-o' }, { actor: 'p-gm' });
    const writes = decideCommand(declassify, contextFor(declassify, destroyed));
    expect(writes.map((w) => w.streamId)).toEqual(['item-doc-o']);
  });
});
