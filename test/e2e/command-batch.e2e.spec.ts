import type { LedgerCore } from '@app/application';
import type { SqliteEventStore } from '@app/ledger';
import { LEDGER_CORE } from '../../apps/ledger-api/src/tokens';
import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';

/** `POST /api/commands:batch` through the real HTTP server and store: each command its own result and idempotency. */
describe('POST /api/commands:batch', () => {
  let svc: SurfaceApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  const batch = async (body: unknown, key = 'k-admin'): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${svc.base}/api/commands:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const person = (personId: string, rank: string, clearance: string) => ({
    name: 'RegisterPerson',
    data: { personId, name: personId, rank, clearance, unit: 'office' },
  });
  const reading = (itemId: string, reader: string, commandId?: string) => ({
    name: 'RecordReading',
    data: { itemId, reader, placeId: 'room-1' },
    ...(commandId ? { commandId } : {}),
  });

  const receive = (itemId: string, extra: Record<string, unknown> = {}) => ({
    name: 'RegisterReceivedItem',
    data: {
      itemId,
      title: `directive ${itemId}`,
      level: 'SECRET',
      periodYears: 10,
      basis: 'catalogue',
      carrier: 'paper',
      sender: 'bureau',
      receivedBy: 'p-zhang',
      scope: { persons: [] },
    },
    ...extra,
  });

  beforeAll(async () => {
    svc = await bootSurfaceApp();
  });
  afterAll(() => svc.close());

  it('runs every command with its own result, in place, and answers after all are readable', async () => {
    // Commands about different subjects run side by side: what a later command relies on goes in an earlier batch.
    const registered = await batch({
      commands: [
        person('p-zhang', 'staff', 'SECRET'),
        person('p-dir', 'director', 'SECRET'),
        person('p-driver', 'staff', 'NONE'),
        { name: 'RegisterPlace', data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } },
      ],
    });
    expect(registered.body).toEqual(expect.objectContaining({ ok: 4, failed: 0 }));
    const res = await batch({
      commands: [...['doc-1', 'doc-2'].map((itemId) => receive(itemId))],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ ok: 2, failed: 0 }));
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
    expect(res.body.results[0].events[0]).toEqual(expect.objectContaining({ streamId: 'item-doc-1', revision: 0 }));
    const item = await fetch(`${svc.base}/api/items/doc-2`, { headers: { authorization: 'Bearer k-admin' } });
    expect(((await item.json()) as { custodian: string }).custodian).toBe('p-zhang');
  });

  it('gives a bad command its own 400 and a refused one its own problem, and records the rest', async () => {
    const res = await batch({
      commands: [
        reading('doc-1', 'p-dir'),
        { name: 'RecordReading', data: { itemId: 'doc-1', placeId: 'room-1' } },
        { name: 'NoSuchCommand', data: {} },
        reading('doc-unknown', 'p-dir'),
        reading('doc-2', 'p-driver'),
      ],
    });
    expect(res.status).toBe(200);
    const [ok, bad, unknown, refused, flagged] = res.body.results;
    expect(ok.status).toBe(200);
    expect(bad.status).toBe(400);
    expect(bad.problem.errors).toEqual([expect.objectContaining({ field: 'data.reader' })]);
    expect(unknown.status).toBe(404);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.problem.code).toEqual(expect.any(String));
    // A fact is never refused: the out-of-scope reading is recorded with its violation.
    expect(flagged.status).toBe(200);
    expect(flagged.violations.map((v: { code: string }) => v.code)).toContain('OUT_OF_SCOPE_ACCESS');
    expect(res.body).toEqual(expect.objectContaining({ ok: 2, failed: 3 }));
  });

  it('keeps each command idempotent by its own id, and the order of commands about one item', async () => {
    const commands = Array.from({ length: 30 }, (_, i) => reading(i % 2 ? 'doc-1' : 'doc-2', 'p-dir', `gate-${i}`));
    const first = await batch({ commands });
    expect(first.body.failed).toBe(0);
    const again = await batch({ commands });
    expect(again.body.results.every((r: { duplicate: boolean }) => r.duplicate)).toBe(true);
    expect(again.body.results.map((r: { events: unknown }) => r.events)).toEqual(
      first.body.results.map((r: { events: unknown }) => r.events),
    );
    // The readings of doc-1 got revisions in the order the batch gave them.
    const revisions = first.body.results
      .filter((_: unknown, i: number) => i % 2)
      .map((r: { events: { revision: number }[] }) => r.events[0].revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(15);
  });

  it('answers a malformed batch with 400 naming the field, and records nothing of it', async () => {
    for (const [body, field] of [
      [{}, 'body.commands'],
      [{ commands: [] }, 'body.commands'],
      [{ commands: Array.from({ length: 1001 }, () => reading('doc-1', 'p-dir')) }, 'body.commands'],
      [{ commands: [reading('doc-1', 'p-dir'), { data: {} }] }, 'body.commands[1].name'],
      [{ commands: [reading('doc-1', 'p-dir'), 7] }, 'body.commands[1]'],
    ] as const) {
      const res = await batch(body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    }
    const history = await fetch(`${svc.base}/api/items/doc-1/history`, {
      headers: { authorization: 'Bearer k-admin' },
    });
    const before = ((await history.json()) as { events: unknown[] }).events.length;
    await batch({ commands: [reading('doc-1', 'p-dir'), { data: {} }] });
    const after = await fetch(`${svc.base}/api/items/doc-1/history`, { headers: { authorization: 'Bearer k-admin' } });
    expect(((await after.json()) as { events: unknown[] }).events.length).toBe(before);
  });

  it('appends the whole batch in one store transaction (one fsync), each command still its own', async () => {
    const store = svc.app.get<LedgerCore>(LEDGER_CORE).store as SqliteEventStore;
    const before = store.stats.commits;
    const res = await batch({
      commands: Array.from({ length: 40 }, (_, i) => reading(i % 2 ? 'doc-1' : 'doc-2', 'p-dir', `one-commit-${i}`)),
    });
    expect(res.body).toEqual(expect.objectContaining({ ok: 40, failed: 0 }));
    expect(store.stats.commits - before).toBe(1);
  });

  it('takes two batches about the same items at once one after the other: each one commit, none decided twice', async () => {
    const core = svc.app.get<LedgerCore>(LEDGER_CORE);
    const store = core.store as SqliteEventStore;
    const before = store.stats.commits;
    const commands = (tag: string) =>
      Array.from({ length: 20 }, (_, i) => {
        const { name, ...body } = reading(i % 2 ? 'doc-1' : 'doc-2', 'p-dir', `${tag}-${i}`);
        return { name, body };
      });
    // Given in the same tick, as two gates' requests can be: both would be decided on the same cached folds.
    const principal = { name: 'gates', roles: ['admin'] } as const;
    const [a, b] = await Promise.all([
      core.executeBatch(commands('twin-a'), { ...principal, roles: [...principal.roles] }),
      core.executeBatch(commands('twin-b'), { ...principal, roles: [...principal.roles] }),
    ]);
    expect([...a, ...b].filter((r) => !r.ok)).toEqual([]);
    // Decided on the same folds, the second's appends would all have conflicted and been run again one by one.
    expect(store.stats.commits - before).toBe(2);
    const revisions = [...a, ...b].map(
      (r) => r.ok && `${r.response.events[0].streamId}@${r.response.events[0].revision}`,
    );
    expect(new Set(revisions).size).toBe(40);
  });

  it('decides in order: an item received and read in one batch, a reading dated before its receipt refused', async () => {
    const res = await batch({
      commands: [
        receive('doc-b1', { occurredAt: '2026-03-02T08:00:00Z' }),
        reading('doc-b1', 'p-dir'),
        { ...reading('doc-b1', 'p-dir'), occurredAt: '2026-03-01T08:00:00Z' },
      ],
    });
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 400]);
    expect(res.body.results[1].events[0]).toEqual(expect.objectContaining({ streamId: 'item-doc-b1', revision: 1 }));
    expect(res.body.results[2].problem.code).toBe('BEFORE_ITEM_EXISTED');
  });

  it('lets a second cause in one batch join the incident the first opened (一事一报), as one command after the other would', async () => {
    const res = await batch({
      commands: [
        receive('doc-b2'),
        reading('doc-b2', 'p-driver'),
        reading('doc-1', 'p-dir'),
        reading('doc-b2', 'p-driver'),
      ],
    });
    expect(res.body).toEqual(expect.objectContaining({ ok: 4, failed: 0 }));
    const [, first, , second] = res.body.results as { events: { type: string; streamId: string }[] }[];
    const opened = first.events.find((e) => e.type === 'IncidentOpened');
    expect(opened).toBeDefined();
    expect(second.events.filter((e) => e.type === 'IncidentOpened')).toEqual([]);
    expect(second.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'IncidentCauseAdded', streamId: opened!.streamId })]),
    );
  });

  it("decides each command on the principal's own roles", async () => {
    const res = await batch({ commands: [person('p-new', 'staff', 'SECRET'), reading('doc-1', 'p-dir')] }, 'k-auditor');
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([403, 403]);
  });
});
