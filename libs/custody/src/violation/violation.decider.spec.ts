import { cmd, given } from '../testing/custody-spec';
import { itemReceived, personRegistered } from '../incident/incident.fixtures';

const AT = '2026-03-05T09:00:00.000Z';
const V = 'c-dep:DEPARTURE_ITEMS_UNRETURNED:doc-1';
const detected = (streamId: string, violationId = V) => ({
  streamId,
  event: {
    type: 'ViolationDetected',
    data: {
      violationId,
      code: 'DEPARTURE_ITEMS_UNRETURNED',
      severity: 'high',
      itemId: 'doc-1',
      personId: 'p-zhang',
      source: 'x',
      detail: 'x',
      at: AT,
    },
  },
});
const resolved = (streamId: string) => ({
  streamId,
  event: { type: 'ViolationResolved', data: { violationId: V, note: 'returned', resolvedBy: 'p-officer', at: AT } },
});
const located = (streamId: string, status: 'open' | 'resolved' = 'open') => ({
  lookups: {
    violations: { [V]: { violationId: V, streamId, code: 'DEPARTURE_ITEMS_UNRETURNED', itemId: 'doc-1', status } },
  },
});
const resolve = (note = 'doc-1 returned to the archive') =>
  cmd('ResolveViolation', { violationId: V, note }, { actor: 'p-officer', at: AT });

describe('no such violation', () => {
  it('refuses with UNKNOWN_VIOLATION', () => given().when(resolve()).thenThrows('UNKNOWN_VIOLATION'));
});

describe("an open DEPARTURE_ITEMS_UNRETURNED on Zhang's person stream", () => {
  const history = [personRegistered('p-zhang'), detected('person-p-zhang'), located('person-p-zhang')];

  it('resolves it on the stream that holds it, with the note and who resolved it', () =>
    given(...history)
      .when(resolve())
      .then([
        {
          streamId: 'person-p-zhang',
          events: [
            {
              type: 'ViolationResolved',
              data: { violationId: V, note: 'doc-1 returned to the archive', resolvedBy: 'p-officer', at: AT },
            },
          ],
        },
      ]));

  it('refuses a resolution without a note as an input error', () =>
    given(...history)
      .when(resolve('  '))
      .thenThrows('INVALID_COMMAND'));
});

describe('a violation already resolved in its stream, the read model not yet caught up', () => {
  it('refuses with ALREADY_RESOLVED', () =>
    given(
      personRegistered('p-zhang'),
      detected('person-p-zhang'),
      resolved('person-p-zhang'),
      located('person-p-zhang', 'open'),
    )
      .when(resolve())
      .thenThrows('ALREADY_RESOLVED'));
});

describe('an open violation on an item stream', () => {
  it('resolves it on the item stream', () =>
    given(itemReceived('doc-1'), detected('item-doc-1'), located('item-doc-1'))
      .when(resolve())
      .then((w) =>
        expect(w.map((x) => [x.streamId, x.events.map((e) => e.type)])).toEqual([
          ['item-doc-1', ['ViolationResolved']],
        ]),
      ));
});

describe('a violation the read model shows resolved', () => {
  it('refuses with ALREADY_RESOLVED', () =>
    given(itemReceived('doc-1'), detected('item-doc-1'), resolved('item-doc-1'), located('item-doc-1', 'resolved'))
      .when(resolve())
      .thenThrows('ALREADY_RESOLVED'));
});
