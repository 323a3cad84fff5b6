import fc from 'fast-check';
import { SqliteEventStore, type RecordedEvent } from '@app/ledger';
import { DEADLINE_KINDS, deadlineChanges, type Deadline } from '@app/custody';
import { openReadModelDb, type Db } from '../db/read-model-db';
import { ReadModels } from '../read-models';
import { deadlineOf, deadlineRow, deadlinesProjection, type DeadlineRow } from './deadlines.projection';

/** A deadline as the domain writes one: key, kind, streamId, dueAt first, then what the kind carries. */
const deadline = fc
  .record({
    kind: fc.constantFrom(...DEADLINE_KINDS),
    streamId: fc.constantFrom('item-doc-1', 'incident-inc-7', 'person-p-1', 'item-文件-2'),
    due: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
    // Not every dueAt is the column's ISO text (no milliseconds, an offset): those keep their own text.
    spelling: fc.constantFrom('iso', 'seconds', 'offset'),
    itemId: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
    incidentId: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
    ref: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
  })
  .map(({ kind, streamId, due, spelling, itemId, incidentId, ref }): Deadline => {
    const iso = due.toISOString();
    const dueAt =
      spelling === 'iso' ? iso : spelling === 'seconds' ? iso.replace(/\.\d{3}Z$/, 'Z') : iso.replace('Z', '+00:00');
    return {
      key: `${kind}:${streamId}`,
      kind,
      streamId,
      dueAt,
      ...(itemId !== undefined ? { itemId } : {}),
      ...(incidentId !== undefined ? { incidentId } : {}),
      ...(ref !== undefined ? { ref } : {}),
    };
  });

describe('the deadlines projection’s rows (issue 16: the columns’ values not repeated in the text)', () => {
  it('reads back the very deadline written, its members in order, and keeps in the text only what no column holds', () => {
    fc.assert(
      fc.property(deadline, (d) => {
        const row = deadlineRow(d);
        expect(JSON.stringify(deadlineOf(row))).toBe(JSON.stringify(d));
        const text = JSON.parse(row.deadline) as Record<string, unknown>;
        expect(Object.keys(text)).not.toContain('key');
        expect(Object.keys(text)).not.toContain('kind');
        expect(Object.keys(text)).not.toContain('streamId');
        expect('dueAt' in text).toBe(d.dueAt !== row.due_at);
        expect(row.due_at).toBe(new Date(d.dueAt).toISOString());
      }),
    );
  });

  it('reads a row that holds the whole deadline (read-model schemas before 11) the same', () => {
    fc.assert(
      fc.property(deadline, (d) => {
        const whole: DeadlineRow = { ...deadlineRow(d), deadline: JSON.stringify(d) };
        expect(JSON.stringify(deadlineOf(whole))).toBe(JSON.stringify(d));
      }),
    );
  });

  describe('through the projection and the read models’ queries', () => {
    let db: Db;
    afterEach(() => db.close());

    it('answers due and next deadlines as the domain set them, each row’s text only what its columns lack', async () => {
      db = openReadModelDb(':memory:');
      const opened = {
        eventId: 'e-1',
        type: 'IncidentOpened',
        streamId: 'incident-inc-7',
        revision: 0,
        position: 1,
        data: { incidentId: 'inc-7', discoveredAt: '2026-03-02T09:00:00.000Z', itemIds: ['doc-1'] },
        metadata: { occurredAt: '2026-03-02T09:00:00.000Z' },
      } as unknown as RecordedEvent;
      const set = deadlineChanges({ ...opened, occurredAt: '2026-03-02T09:00:00.000Z' }).set;
      expect(set.length).toBe(2);
      db.transaction(() => deadlinesProjection.apply(db, opened))();
      const store = SqliteEventStore.open(':memory:');
      const readModels = new ReadModels(store, db, [deadlinesProjection]);
      const byDue = [...set].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
      expect(JSON.stringify(readModels.dueDeadlines('2099-01-01T00:00:00.000Z'))).toBe(JSON.stringify(byDue));
      expect(JSON.stringify(readModels.nextDeadline())).toBe(JSON.stringify(byDue[0]));
      const texts = db.prepare(`SELECT deadline FROM deadlines ORDER BY due_at`).pluck().all() as string[];
      expect(texts).toEqual(byDue.map(() => JSON.stringify({ incidentId: 'inc-7', itemId: 'doc-1' })));
      await store.close();
    });
  });
});
