/**
 * The read side answers from indexes (issue 16): readers at an instant from the person index instead of folding
 * every person stream, violations and incidents paged by cursor over indexes that lead their ORDER BY. Each test
 * holds the fast path to the slow one it replaced (the full fold, the unpaged filter) on the same ledger, and the
 * plans to "no sort of every matching row".
 */
import { mayRead } from '@app/custody';
import {
  HISTORY_READERS,
  personsAt,
  readHistory,
  readPersonStreams,
  readReaders,
  type TimeWindow,
} from '@app/application';
import { openTestLedger, person, receiveSecret, type TestLedger } from '../investigation/ledger-fixture';
import { readersAnswer } from '../../apps/ledger-api/src/items/readers-json';

const H = 3600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * H).toISOString();

/** Query plans name "USE TEMP B-TREE FOR ORDER BY" when SQLite must sort every matching row before the LIMIT. */
const plan = (l: TestLedger, sql: string, ...args: unknown[]): string =>
  (l.core.readModels.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
    .map((r) => r.detail)
    .join(' | ');

describe('the read side at scale', () => {
  let l: TestLedger;
  const ranks = ['staff', 'manager', 'director', 'executive'];
  const clearances = ['NONE', 'CONFIDENTIAL', 'SECRET', 'TOP_SECRET'];

  beforeAll(async () => {
    l = await openTestLedger();
    // 40 persons of every rank and clearance; some raised or lowered later, some of those changes entered late,
    // some departed: the states at an instant differ from the states now.
    for (let i = 0; i < 40; i++)
      await l.run('p-registrar', 'RegisterPerson', person(`p-${i}`, ranks[i % 4], clearances[(i >> 2) % 4]), at(1));
    await l.run(
      'p-registrar',
      'RegisterPlace',
      { placeId: 'room-1', name: 'reading room', kind: 'reading-room' },
      at(1),
    );
    for (let i = 0; i < 40; i += 3)
      await l.run(
        'p-registrar',
        'ChangeClearance',
        { personId: `p-${i}`, clearance: clearances[(i >> 1) % 4] },
        at(5),
        i % 2 ? at(9) : at(5),
      );
    for (let i = 1; i < 40; i += 7)
      await l.run(
        'p-registrar',
        'RecordDeparture',
        { personId: `p-${i}`, decontaminationUntil: '2027-03-02T00:00:00Z' },
        at(6),
        at(8),
      );
    // Registered later: absent at earlier instants.
    await l.run('p-registrar', 'RegisterPerson', person('p-late', 'executive', 'TOP_SECRET'), at(7));
    await receiveSecret(l, 'doc-1', 'p-2', at(2));
    await l.run('p-2', 'ExtendScope', { itemId: 'doc-1', persons: ['p-4', 'p-8'] }, at(4), at(4));
    // Readings by persons in and out of scope: violations (and incidents) to page through.
    for (let i = 0; i < 40; i++)
      await l.run('p-2', 'RecordReading', { itemId: 'doc-1', reader: `p-${i}`, placeId: 'room-1' }, at(10 + i / 10));
    for (let d = 2; d <= 6; d++) {
      await receiveSecret(l, `doc-${d}`, 'p-2', at(11));
      await l.run('p-2', 'RecordReading', { itemId: `doc-${d}`, reader: 'p-0', placeId: 'room-1' }, at(12 + d));
    }
    await l.core.readModels.catchUp();
  }, 120_000);
  afterAll(() => l.close());

  it('gives the readers at every instant the full fold of every person stream gives', async () => {
    const windows: TimeWindow[] = [
      {},
      ...[1.5, 3, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 20].flatMap((h) => [{ asOf: at(h) }, { occurredBefore: at(h) }]),
      { asOf: at(8.5), occurredBefore: at(5.5) },
    ];
    const everyone = await readPersonStreams(l.core);
    expect(everyone.size).toBe(41);
    let nonEmpty = 0;
    for (const w of windows) {
      const h = await readHistory(l.core, 'doc-1', w);
      const expected = h?.state ? personsAt(everyone, w).filter((p) => mayRead(p, h.state!)) : [];
      expect({ w, readers: h?.readers.map((r) => r.personId) ?? [] }).toEqual({
        w,
        readers: expected.map((p) => p.personId),
      });
      if (expected.length) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(10);
  });

  it('pages the readers at every instant: the pages are the full fold of every person stream, in id order', async () => {
    const windows: TimeWindow[] = [
      {},
      ...[1.5, 4.5, 5.5, 6.5, 8.5, 20].flatMap((h) => [{ asOf: at(h) }, { occurredBefore: at(h) }]),
      { asOf: at(8.5), occurredBefore: at(5.5) },
    ];
    const everyone = await readPersonStreams(l.core);
    let multiPage = 0;
    for (const w of windows) {
      const whole = (await readHistory(l.core, 'doc-1', w))!;
      const expected = whole.state ? personsAt(everyone, w).filter((p) => mayRead(p, whole.state!)) : [];
      const paged: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = (await readReaders(l.core, 'doc-1', { ...w, limit: 2, cursor }))!;
        expect(page.readers.length).toBeLessThanOrEqual(2);
        paged.push(...page.readers.map((p) => p.personId));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect({ w, paged }).toEqual({ w, paged: expected.map((p) => p.personId) });
      if (pages > 2) multiPage++;
    }
    expect(multiPage).toBeGreaterThan(5);
    expect(await readReaders(l.core, 'doc-nope')).toBeNull();
    expect(await readReaders(l.core, 'doc-nope', { asOf: at(20) })).toBeNull();
    // Before the item existed nobody could read it.
    expect((await readReaders(l.core, 'doc-1', { asOf: at(1.5) }))!.readers).toEqual([]);
  });

  it('reads a page of candidates as merged index ranges, never sorting every person in scope', () => {
    const custody = l.core.readModels.custody;
    const item = custody.item('doc-1')!;
    const all = custody.readerCandidates(item);
    const firstThree = custody.readerCandidatesPage(item, '', 3);
    expect(firstThree).toEqual(all.slice(0, 3));
    expect(custody.readerCandidatesPage(item, all[4], 3)).toEqual(all.slice(5, 8));
    const sql = `SELECT r.person_id FROM person_ranks r JOIN person_levels l ON l.person_id = r.person_id
         WHERE r.rank = ? AND r.person_id > ? AND l.max_level >= ?`;
    expect(plan(l, `${sql} UNION ${sql} ORDER BY 1 LIMIT 3`, 'director', '', 2, 'executive', '', 2)).not.toMatch(
      /TEMP B-TREE/,
    );
  });

  it('reads the persons now from the candidates only, with the same answer as filtering everyone', () => {
    const custody = l.core.readModels.custody;
    const item = custody.item('doc-1')!;
    const all = custody.persons().filter((p) => mayRead(p, item));
    expect(custody.readers('doc-1')!.map((p) => p.personId)).toEqual(all.map((p) => p.personId));
    // The candidates are far fewer than everyone registered, and include every reader.
    const candidates = custody.readerCandidates(item);
    expect(candidates.length).toBeLessThan(custody.persons().length);
    expect(all.every((p) => candidates.includes(p.personId))).toBe(true);
  });

  it('pages violations by cursor, counting only on the first page, without sorting every match', () => {
    const v = l.core.readModels.violations;
    const whole = v.list({ status: 'open', limit: 1000 });
    expect(whole.items.length).toBeGreaterThan(10);
    const seen: number[] = [];
    let page = v.list({ status: 'open', limit: 3 });
    expect(page.total).toBe(whole.items.length);
    for (;;) {
      seen.push(...page.items.map((x) => x.position));
      if (!page.nextCursor) break;
      page = v.list({ status: 'open', limit: 3, cursor: page.nextCursor });
      expect(page.total).toBeUndefined();
    }
    expect(seen).toEqual(whole.items.map((x) => x.position));
    for (const where of ['', `WHERE status = 'open'`, `WHERE status = 'open' AND severity = 'high'`])
      for (const order of ['', 'DESC'])
        expect(plan(l, `SELECT * FROM violations ${where} ORDER BY position ${order} LIMIT 10`)).not.toMatch(
          /TEMP B-TREE/,
        );
  });

  it('finds due deadlines by a range of the due index, not a scan of every deadline (the scheduler asks every second)', () => {
    const sql = `SELECT key, kind, stream_id, due_at, deadline FROM deadlines WHERE due_at <= ? AND (due_at < ? OR kind IN (?)) ORDER BY due_at, key LIMIT ?`;
    const p = plan(l, sql, at(30), at(30), 'DECLASSIFY', 100);
    expect(p).toMatch(/SEARCH deadlines USING INDEX deadlines_due \(due_at<\?\)/);
    expect(p).not.toMatch(/SCAN deadlines/);
    // The query itself (ReadModels.dueDeadlines) answers from that range: nothing is due before the first deadline.
    expect(l.core.readModels.dueDeadlines(at(0))).toEqual([]);
    expect(l.core.readModels.nextDeadline()).not.toBeNull();
  });

  it('pages violations newest first with order=desc: the same violations backwards, the same total', () => {
    const v = l.core.readModels.violations;
    for (const filter of [{}, { status: 'open' as const }, { status: 'open' as const, severity: 'high' }]) {
      const whole = v.list({ ...filter, limit: 1000 });
      const back: number[] = [];
      let page = v.list({ ...filter, limit: 4, order: 'desc' });
      expect(page.total).toBe(whole.total);
      for (;;) {
        back.push(...page.items.map((x) => x.position));
        if (!page.nextCursor) break;
        page = v.list({ ...filter, limit: 4, order: 'desc', cursor: page.nextCursor });
      }
      expect(back.length).toBeGreaterThan(4);
      expect(back).toEqual(whole.items.map((x) => x.position).reverse());
    }
  });

  it('keeps the first-page total right as violations are recorded (it is kept per database version)', async () => {
    const v = l.core.readModels.violations;
    const before = v.list({ status: 'open', limit: 1 }).total!;
    expect(v.list({ status: 'open', limit: 1 }).total).toBe(before);
    await l.run('p-2', 'RecordReading', { itemId: 'doc-6', reader: 'p-0', placeId: 'room-1' }, at(19));
    await l.core.readModels.catchUp();
    const after = v.list({ status: 'open', limit: 1 }).total!;
    expect(after).toBeGreaterThan(before);
    expect(after).toBe(v.list({ status: 'open', limit: 1000 }).items.length);
    expect(v.list({ status: 'resolved', limit: 1 }).total).toBe(0);
  });

  it('pages incidents by cursor with filters that filter, as the unpaged filter over all of them would', () => {
    const q = l.core.readModels.incidents;
    const now = at(60);
    const all = q.page(now, { limit: 1000 }).items;
    expect(all.length).toBeGreaterThan(3);
    const filters = [
      {},
      { open: true },
      { open: false },
      { overdue: true },
      { overdue: false },
      { kind: all[0].kind },
      { kind: 'loss' as const },
      { itemId: 'doc-3' },
      { open: true, overdue: true },
    ];
    for (const f of filters) {
      const expected = all.filter(
        (i) =>
          (f.open === undefined || (i.status !== 'closed') === f.open) &&
          (f.overdue === undefined || i.overdue === f.overdue) &&
          (f.kind === undefined || i.kind === f.kind) &&
          (f.itemId === undefined || i.itemIds.includes(f.itemId)),
      );
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const p = q.page(now, { ...f, limit: 2, cursor });
        expect(p.items.length).toBeLessThanOrEqual(2);
        paged.push(...p.items.map((i) => i.incidentId));
        cursor = p.nextCursor ?? undefined;
      } while (cursor);
      expect({ f, paged }).toEqual({ f, paged: expected.map((i) => i.incidentId) });
    }
    // Overdue depends on the instant asked about: before any deadline nothing is overdue.
    expect(q.page(at(0), { overdue: true }).items).toEqual([]);
    expect(q.list(now, { overdue: true }).length).toBeGreaterThan(0);
    for (const where of ['', `WHERE status != 'closed'`, `WHERE kind = 'loss'`])
      expect(plan(l, `SELECT view FROM incidents ${where} ORDER BY opened_position LIMIT 10`)).not.toMatch(
        /TEMP B-TREE/,
      );
  });

  it('pages an item history by cursor: the pages are the whole history, each verified, with the same state', async () => {
    for (const w of [{}, { asOf: at(30) }, { occurredBefore: at(11) }, { copies: true }]) {
      const whole = (await readHistory(l.core, 'doc-1', w))!;
      expect(whole.nextCursor).toBeNull();
      const events: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = (await readHistory(l.core, 'doc-1', { ...w, limit: 7, cursor }))!;
        expect(page.events.length).toBeLessThanOrEqual(7);
        expect(page.state).toEqual(whole.state);
        expect(page.readers).toEqual(whole.readers);
        expect(page.verification.ok).toBe(true);
        expect(page.verification.firstFailure).toBeNull();
        events.push(...page.events.map((e) => JSON.stringify(e)));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThan(2);
      expect(events).toEqual(whole.events.map((e) => JSON.stringify(e)));
    }
    // A page of the item now checks its own events, not the whole stream.
    const page = (await readHistory(l.core, 'doc-1', { limit: 5, cursor: '10' }))!;
    expect(page.verification.eventsChecked).toBe(5);
    expect(page.events.map((e) => e.revision)).toEqual([10, 11, 12, 13, 14]);
  });
});

describe('the readers of an item many may read', () => {
  let l: TestLedger;
  const ids = Array.from({ length: 130 }, (_, i) => `p-d${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    l = await openTestLedger();
    // 130 directors with SECRET clearance: every one may read a SECRET item with the default scope (S2 第9条).
    for (const id of ids) await l.run('p-registrar', 'RegisterPerson', person(id, 'director', 'SECRET'), at(1));
    await receiveSecret(l, 'doc-1', ids[0], at(2));
    await l.run('p-registrar', 'RecordDeparture', { personId: ids[7], decontaminationUntil: '2027-03-02' }, at(3));
    await l.core.readModels.catchUp();
  }, 120_000);
  afterAll(() => l.close());

  it('carries the first page of readers in a history and continues them on the readers route', async () => {
    const readers = ids.filter((id) => id !== ids[7]);
    for (const w of [{}, { asOf: at(4) }, { occurredBefore: at(4) }, {}]) {
      for (const h of [
        (await readHistory(l.core, 'doc-1', w))!,
        (await readHistory(l.core, 'doc-1', { ...w, limit: 1 }))!,
      ]) {
        expect(h.readers.map((r) => r.personId)).toEqual(readers.slice(0, HISTORY_READERS));
        expect(h.readersNextCursor).toBe(readers[HISTORY_READERS - 1]);
        const rest = (await readReaders(l.core, 'doc-1', { ...w, cursor: h.readersNextCursor!, limit: 1000 }))!;
        expect(rest.readers.map((r) => r.personId)).toEqual(readers.slice(HISTORY_READERS));
        expect(rest.nextCursor).toBeNull();
      }
    }
    // Before the departure the departed director was a reader too.
    const before = (await readHistory(l.core, 'doc-1', { occurredBefore: at(2.5) }))!;
    expect(before.readers.map((r) => r.personId)).toEqual(ids.slice(0, HISTORY_READERS));
    // The whole list (the scenario runner's) is every page.
    expect(l.core.readModels.custody.readers('doc-1')!.map((p) => p.personId)).toEqual(readers);
  });

  it('answers a readers page with the JSON of the page itself, its readers kept as text while the page is', async () => {
    for (const w of [{}, { asOf: at(4) }, { occurredBefore: at(2.5) }, {}, { cursor: ids[3], limit: 5 }])
      for (let i = 0; i < 2; i++) {
        const page = (await readReaders(l.core, 'doc-1', w))!;
        expect(readersAnswer(page)).toBe(JSON.stringify(page));
      }
    // Another shape is serialized whole.
    const page = (await readReaders(l.core, 'doc-1'))!;
    expect(readersAnswer({ ...page, extra: 1 } as never)).toBe(JSON.stringify({ ...page, extra: 1 }));
  });

  it('shares a readers page between items of the same scope, and never answers from before a write', async () => {
    const custody = l.core.readModels.custody;
    await receiveSecret(l, 'doc-2', ids[0], at(5));
    await l.core.readModels.catchUp();
    const first = custody.readersPage('doc-1', '', 5)!;
    expect(custody.readersPage('doc-2', '', 5)).toEqual(first);
    expect(first.readers.map((p) => p.personId)).toEqual(ids.slice(0, 5));
    // A director registered since, sorting first; another departed: both pages change.
    await l.run('p-registrar', 'RegisterPerson', person('p-d', 'director', 'SECRET'), at(6));
    await l.run('p-registrar', 'RecordDeparture', { personId: ids[1], decontaminationUntil: '2027-03-02' }, at(6));
    await l.core.readModels.catchUp();
    for (const item of ['doc-1', 'doc-2'])
      expect((await readReaders(l.core, item, { limit: 5 }))!.readers.map((p) => p.personId)).toEqual([
        'p-d',
        ids[0],
        ...ids.slice(2, 5),
      ]);
  });
});
