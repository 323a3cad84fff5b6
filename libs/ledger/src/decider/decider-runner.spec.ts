import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '../clock/clock';
import { SqliteEventStore } from '../store/sqlite.event-store';
import { ConcurrencyConflict } from '../store/event-store.port';
import { verifyEvents } from '../integrity/log-verifier';
import { DeciderRunner, type DeciderProgram, type LoadedStream, type LedgerCommand } from './decider-runner';

/** A toy domain: a counter per stream, and a transfer that writes two streams at once. */
type Cmd = LedgerCommand & { type: 'Add' | 'Transfer'; data: { from?: string; to: string; n: number } };
type Ctx = { streams: Record<string, LoadedStream> };
const count = (ctx: Ctx, s: string) => (ctx.streams[s]?.state as number | undefined) ?? 0;

const counter = (onDecide: () => void = () => undefined): DeciderProgram<Cmd, Ctx, { streams?: string[] }> => ({
  emptyContext: () => ({ streams: {} }),
  plan: (c) => ({ streams: [c.data.to, ...(c.data.from ? [c.data.from] : [])] }),
  fulfil: () => Promise.resolve(false),
  decide: (c, ctx) => {
    onDecide();
    if (c.type === 'Add')
      return [
        {
          streamId: c.data.to,
          events: [{ type: 'Added', data: { n: c.data.n, total: count(ctx, c.data.to) + c.data.n } }],
        },
      ];
    return [
      { streamId: c.data.from!, events: [{ type: 'Sent', data: { n: c.data.n } }] },
      {
        streamId: c.data.to,
        events: [{ type: 'Added', data: { n: c.data.n, total: count(ctx, c.data.to) + c.data.n } }],
      },
    ];
  },
  initialState: () => 0,
  evolve: (_s, state, e) =>
    (state as number) + (e.type === 'Added' ? (e.data as { n: number }).n : -(e.data as { n: number }).n),
});

describe('the decider runner', () => {
  let dir: string;
  let store: SqliteEventStore;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  let n = 0;
  const cmd = (type: Cmd['type'], data: Cmd['data'], over: Partial<Cmd> = {}): Cmd => ({
    type,
    data,
    commandId: `c-${++n}`,
    actor: 'p-zhang',
    at: '2026-03-02T09:30:00Z',
    ...over,
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-'));
    store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fills the metadata in one place and seals the chain', async () => {
    const runner = new DeciderRunner(store, clock);
    await runner.run(
      counter(),
      cmd('Add', { to: 'c-a', n: 2 }, { commandId: 'cmd-1', correlationId: 'corr-9', causationId: 'cause-3' }),
    );
    const [e] = await store.readStream('c-a');
    expect(e.metadata).toEqual(
      expect.objectContaining({
        occurredAt: '2026-03-02T09:30:00Z',
        recordedAt: '2026-03-02T10:00:00.000Z',
        actor: 'p-zhang',
        commandId: 'cmd-1',
        correlationId: 'corr-9',
        causationId: 'cause-3',
        schemaVersion: 1,
        prevHash: '0'.repeat(64),
      }),
    );
    expect(e.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(e.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('folds the stream before deciding, from the cache onwards', async () => {
    const runner = new DeciderRunner(store, clock);
    for (let i = 0; i < 5; i++) await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }));
    const events = await store.readStream('c-a');
    expect(events.map((e) => (e.data as { total: number }).total)).toEqual([1, 2, 3, 4, 5]);
    // A second runner (another instance) starts from nothing and still folds correctly.
    await new DeciderRunner(store, clock).run(counter(), cmd('Add', { to: 'c-a', n: 10 }));
    expect(((await store.readStream('c-a'))[5].data as { total: number }).total).toBe(15);
  });

  it('reads nothing while the store vouches for its cached head, and reads what others wrote', async () => {
    const runner = new DeciderRunner(store, clock);
    const reads: string[] = [];
    const readStream = store.readStream.bind(store);
    store.readStream = (id, options) => {
      reads.push(`${id}@${options?.fromRevision ?? 0}`);
      return readStream(id, options);
    };
    const total = async (i: number) => ((await store.readStream('c-a'))[i].data as { total: number }).total;
    for (let i = 0; i < 3; i++) await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }));
    expect(reads).toEqual(['c-a@0']); // only the first, which found no stream
    // An append in this process that bypasses the runner moves the head the store knows: the runner reads it.
    await store.append(
      'c-a',
      [
        {
          eventId: '00000000-0000-4000-8000-00000000aaaa',
          type: 'Added',
          data: { n: 10 },
          metadata: { hash: 'a'.repeat(64) },
        },
      ],
      2,
    );
    reads.length = 0;
    await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }));
    expect(reads).toEqual(['c-a@3']);
    expect(await total(4)).toBe(14);
    // Another process writing the same file: the store cannot vouch for any head any more, so the runner reads.
    const other = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
    try {
      await new DeciderRunner(other, clock).run(counter(), cmd('Add', { to: 'c-a', n: 100 }));
    } finally {
      await other.close();
    }
    reads.length = 0;
    await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }));
    expect(reads).toEqual(['c-a@5']);
    expect(await total(6)).toBe(115);
  });

  it('writes several streams in one append and chains each', async () => {
    const runner = new DeciderRunner(store, clock);
    await runner.run(counter(), cmd('Add', { to: 'c-a', n: 5 }));
    const out = await runner.run(counter(), cmd('Transfer', { from: 'c-a', to: 'c-b', n: 3 }));
    expect(out.events.map((e) => [e.streamId, e.type, e.revision])).toEqual([
      ['c-a', 'Sent', 1],
      ['c-b', 'Added', 0],
    ]);
    expect((await verifyEvents(await store.readAll())).ok).toBe(true);
  });

  it('retries a conflict by folding what the other writer wrote, then gives up after the bound', async () => {
    const a = new DeciderRunner(store, clock);
    const b = new DeciderRunner(store, clock);
    await Promise.all([
      a.run(counter(), cmd('Add', { to: 'c-a', n: 1 })),
      b.run(counter(), cmd('Add', { to: 'c-a', n: 1 })),
    ]);
    const totals = (await store.readStream('c-a')).map((e) => (e.data as { total: number }).total);
    expect(totals).toEqual([1, 2]); // no lost update: the loser re-read and decided again

    // A writer that always loses the race gets ConcurrencyConflict after maxAttempts decisions.
    let decisions = 0;
    const sneaky = counter(() => {
      decisions++;
      // Someone else appends between our read and our append, every time.
      void store.append(
        'c-a',
        [
          {
            eventId: `00000000-0000-4000-8000-${String(decisions).padStart(12, '0')}`,
            type: 'Added',
            data: { n: 0, total: 0 },
            metadata: { prevHash: '0'.repeat(64), hash: 'a'.repeat(64) },
          },
        ],
        'any',
      );
    });
    const loser = new DeciderRunner(store, clock, { maxAttempts: 3 });
    await expect(loser.run(sneaky, cmd('Add', { to: 'c-a', n: 1 }))).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect(decisions).toBe(3);
  });

  it('returns the first result for a command id it already recorded, appending nothing', async () => {
    const runner = new DeciderRunner(store, clock);
    const first = await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'same' }));
    const again = await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'same' }));
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.readStream('c-a')).toHaveLength(1);
  });

  it('does not look up a fresh command id before deciding, and the store still answers a reused one', async () => {
    const runner = new DeciderRunner(store, clock);
    const lookups = jest.spyOn(store, 'findCommand');
    const first = await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'u-1', freshId: true }));
    expect(lookups).not.toHaveBeenCalled();
    // A caller that wrongly calls a known id fresh: the claim inside the append's transaction still holds it.
    const again = await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'u-1', freshId: true }));
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.readStream('c-a')).toHaveLength(1);
    await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'u-2' }));
    expect(lookups).toHaveBeenCalledWith('p-zhang', 'u-2');
  });

  it('scopes a command id to its principal: the same id from another actor is another command', async () => {
    const runner = new DeciderRunner(store, clock);
    await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'shared', actor: 'p-1' }));
    const other = await runner.run(counter(), cmd('Add', { to: 'c-a', n: 2 }, { commandId: 'shared', actor: 'p-2' }));
    expect(other.duplicate).toBe(false);
    expect((await store.readStream('c-a')).map((e) => e.data)).toEqual([
      { n: 1, total: 1 },
      { n: 2, total: 3 },
    ]);
  });

  it('refuses the same id from the same principal for another body with IdempotencyKeyReused, appending nothing', async () => {
    const runner = new DeciderRunner(store, clock);
    await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'mine' }));
    await expect(runner.run(counter(), cmd('Add', { to: 'c-b', n: 5 }, { commandId: 'mine' }))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      firstCommand: 'Add',
    });
    expect(await store.readStream('c-b')).toHaveLength(0);
  });

  it('derives event ids from the command, so a blind retry of the same append is absorbed by the store', async () => {
    const runner = new DeciderRunner(store, clock);
    const first = await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'x1' }));
    const other = await new DeciderRunner(store, clock).run(
      counter(),
      cmd('Add', { to: 'c-b', n: 1 }, { commandId: 'x1', actor: 'p-other' }),
    );
    expect(other.events[0].eventId).not.toBe(first.events[0].eventId); // ids differ per principal and stream
    expect(first.events[0].eventId).toBe((await store.readStream('c-a'))[0].eventId);
  });

  describe('runBatch: a batch decided command after command and appended together', () => {
    const totals = async (s: string) => (await store.readStream(s)).map((e) => (e.data as { total: number }).total);
    /** The counter refusing a negative amount, as a domain refuses a command. */
    const strict = (onDecide: (c: Cmd) => void = () => undefined) => {
      const base = counter();
      return {
        ...base,
        // Looks nothing up outside the streams: a batch appends once, at its end.
        fulfilKeys: () => [],
        decide: (c: Cmd, ctx: Ctx) => {
          onDecide(c);
          if (c.data.n < 0) throw new Error(`refused: ${c.data.n}`);
          return base.decide(c, ctx);
        },
      };
    };

    it('decides each command on the ones before it and appends them all in one commit, chained', async () => {
      const runner = new DeciderRunner(store, clock);
      const before = store.stats.commits;
      const results = await runner.runBatch(strict(), [
        { command: cmd('Add', { to: 'c-a', n: 5 }) },
        { command: cmd('Add', { to: 'c-a', n: 2 }) },
        { command: cmd('Transfer', { from: 'c-a', to: 'c-b', n: 3 }) },
        { command: cmd('Add', { to: 'c-b', n: 1 }) },
      ]);
      expect(store.stats.commits - before).toBe(1);
      expect(results.map((r) => r.ok && r.outcome.events.map((e) => `${e.streamId}@${e.revision}`))).toEqual([
        ['c-a@0'],
        ['c-a@1'],
        ['c-a@2', 'c-b@0'],
        ['c-b@1'],
      ]);
      expect(await totals('c-b')).toEqual([3, 4]);
      expect((await verifyEvents(await store.readAll())).ok).toBe(true);
      // The cache moved on with the batch: the next command reads nothing and folds on the batch's result.
      const next = await runner.run(counter(), cmd('Add', { to: 'c-b', n: 1 }));
      expect(next.events[0].revision).toBe(2);
      expect(await totals('c-b')).toEqual([3, 4, 5]);
    });

    it('gives a refused command its own error and decides the next ones without it; nothing of it is stored', async () => {
      const runner = new DeciderRunner(store, clock);
      const results = await runner.runBatch(strict(), [
        { command: cmd('Add', { to: 'c-a', n: 1 }) },
        { command: cmd('Add', { to: 'c-a', n: -7 }, { commandId: 'bad' }) },
        { command: cmd('Add', { to: 'c-a', n: 2 }) },
        {
          command: cmd('Add', { to: 'c-b', n: 1 }),
          precheck: () => Promise.reject(new Error('not before it existed')),
        },
      ]);
      expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
      expect(!results[1].ok && (results[1].error as Error).message).toBe('refused: -7');
      expect(!results[3].ok && (results[3].error as Error).message).toBe('not before it existed');
      expect(await totals('c-a')).toEqual([1, 3]);
      expect(await store.readStream('c-b')).toEqual([]);
      expect(await store.findCommand('p-zhang', 'bad')).toBeUndefined();
    });

    it('answers a command id given twice in one batch once: the same body is a duplicate, another is a 409', async () => {
      const runner = new DeciderRunner(store, clock);
      const results = await runner.runBatch(strict(), [
        { command: cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'g-1' }) },
        { command: cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'g-1' }) },
        { command: cmd('Add', { to: 'c-a', n: 9 }, { commandId: 'g-1' }) },
      ]);
      expect(results[1]).toEqual({ ok: true, outcome: { ...(results[0].ok && results[0].outcome), duplicate: true } });
      expect(!results[2].ok && results[2].error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await totals('c-a')).toEqual([1]);
      // And a batch sent again is all duplicates with the first answers.
      const again = await runner.runBatch(strict(), [
        { command: cmd('Add', { to: 'c-a', n: 1 }, { commandId: 'g-1' }) },
      ]);
      expect(again[0]).toEqual({ ok: true, outcome: { ...(results[0].ok && results[0].outcome), duplicate: true } });
    });

    it('decides again, alone, a command whose stream another writer moved, and those decided on it', async () => {
      const runner = new DeciderRunner(store, clock);
      let sneaked = false;
      const program = strict(() => {
        if (sneaked) return;
        sneaked = true;
        // Another writer appends to c-a after the batch folded it, before the batch is appended.
        void store.append(
          'c-a',
          [
            {
              eventId: '00000000-0000-4000-8000-0000000000bb',
              type: 'Added',
              data: { n: 10, total: 10 },
              metadata: { hash: 'b'.repeat(64) },
            },
          ],
          'no-stream',
        );
      });
      const results = await runner.runBatch(program, [
        { command: cmd('Add', { to: 'c-a', n: 1 }) },
        { command: cmd('Transfer', { from: 'c-a', to: 'c-b', n: 1 }) },
        { command: cmd('Add', { to: 'c-c', n: 1 }) },
      ]);
      expect(results.every((r) => r.ok)).toBe(true);
      // No lost update: both were decided again on the other writer's event.
      expect((await store.readStream('c-a')).map((e) => [e.type, e.data])).toEqual([
        ['Added', { n: 10, total: 10 }],
        ['Added', { n: 1, total: 11 }],
        ['Sent', { n: 1 }],
      ]);
      expect(await totals('c-b')).toEqual([1]);
      expect(await totals('c-c')).toEqual([1]);
    });

    it('appends what it decided before a command whose lookup the pending events touch', async () => {
      // A lookup outside the streams (as a read model answers): how many events c-a has in the store.
      type LookupCtx = Ctx & { stored?: number };
      const base = counter();
      const program: DeciderProgram<Cmd, LookupCtx, { streams?: string[]; lookup?: string }> = {
        ...base,
        plan: (c) => (c.data.n === 0 ? { streams: ['c-seen'], lookup: c.data.to } : base.plan(c, { streams: {} })),
        fulfil: async (needs, ctx) => {
          if (!needs.lookup || ctx.stored !== undefined) return false;
          ctx.stored = (await store.readStream(needs.lookup)).length;
          return true;
        },
        decide: (c, ctx) =>
          c.data.n === 0
            ? [{ streamId: 'c-seen', events: [{ type: 'Added', data: { n: 0, total: ctx.stored } }] }]
            : base.decide(c, ctx),
        fulfilKeys: (needs) => (needs.lookup ? [needs.lookup] : []),
        eventKeys: (streamId) => [streamId],
      };
      const runner = new DeciderRunner(store, clock);
      const before = store.stats.commits;
      await runner.runBatch(program, [
        { command: cmd('Add', { to: 'c-b', n: 1 }) },
        { command: cmd('Add', { to: 'c-a', n: 1 }) },
        { command: cmd('Add', { to: 'c-a', n: 0 }) }, // looks c-a up: the two before it are appended first
        { command: cmd('Add', { to: 'c-b', n: 0 }) }, // c-b was appended with them: nothing pending touches it
        { command: cmd('Add', { to: 'c-a', n: 1 }) },
      ]);
      expect(await totals('c-seen')).toEqual([1, 1]);
      expect(store.stats.commits - before).toBe(2);
    });

    describe('catching the lookups up once per batch while nothing is written', () => {
      // Its time bound out of the way: a loaded machine may stall a test longer than the 20 ms a service uses.
      const lasting = { lookupsFreshMs: 60_000 };
      /**
       * A lookup answered from a view of the store that only a catch-up moves on, as the read models are: how many
       * events c-a had when `fulfil` last caught up. `during` runs inside a command's fulfil, as another request
       * would while the batch awaits.
       */
      const viewing = (during: (c: Cmd) => Promise<void> = () => Promise.resolve()) => {
        let view = -1;
        const seen: (boolean | undefined)[] = [];
        type LookupCtx = Ctx & { stored?: number; lookups?: { current: boolean; caughtUp(): void } };
        const base = counter();
        const program: DeciderProgram<Cmd, LookupCtx, { streams?: string[]; lookup?: boolean }> = {
          ...base,
          plan: (c) => (c.data.n === 0 ? { streams: ['c-seen'], lookup: true } : base.plan(c, { streams: {} })),
          fulfil: async (needs, ctx) => {
            if (!needs.lookup || ctx.stored !== undefined) return false;
            seen.push(ctx.lookups?.current);
            if (!ctx.lookups?.current) {
              view = (await store.readStream('c-a')).length;
              ctx.lookups?.caughtUp();
            }
            ctx.stored = view;
            await during(ctx as unknown as Cmd);
            return true;
          },
          decide: (c, ctx) =>
            c.data.n === 0
              ? [{ streamId: 'c-seen', events: [{ type: 'Added', data: { n: 0, total: ctx.stored } }] }]
              : base.decide(c, ctx),
          // Nothing the batch writes touches the lookup: the batch appends once, at its end.
          fulfilKeys: () => [],
          eventKeys: () => [],
        };
        return { program, seen };
      };
      const look = () => ({ command: cmd('Add', { to: 'c-seen', n: 0 }) });

      it('skips the catch-up for the later commands of a batch that nothing wrote beside', async () => {
        const runner = new DeciderRunner(store, clock, lasting);
        const { program, seen } = viewing();
        await runner.runBatch(program, [look(), look(), look()]);
        expect(seen).toEqual([false, true, true]);
        // A new batch starts afresh.
        await runner.runBatch(program, [look()]);
        expect(seen.at(-1)).toBe(false);
      });

      it('catches up again after a command of this process was appended while the batch awaited', async () => {
        const runner = new DeciderRunner(store, clock, lasting);
        let calls = 0;
        // Another request's command lands on c-a during the second lookup (the batch awaits its fulfil).
        const { program, seen } = viewing(async () => {
          if (++calls === 2) await runner.run(counter(), cmd('Add', { to: 'c-a', n: 1 }));
        });
        await runner.runBatch(program, [look(), look(), look()]);
        expect(seen).toEqual([false, true, false]);
        // The third lookup saw the other command's event, as it would have had it been run alone after it.
        expect(await totals('c-seen')).toEqual([0, 0, 1]);
      });

      it('catches up again after a stream had to be read from the store (another writer may have been there)', async () => {
        const runner = new DeciderRunner(store, clock, lasting);
        const { program, seen } = viewing();
        await runner.runBatch(program, [look(), look()]);
        // Another connection (another process) writes c-a: the store can no longer vouch for cached heads.
        const other = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
        try {
          await new DeciderRunner(other, clock).run(counter(), cmd('Add', { to: 'c-a', n: 5 }));
        } finally {
          await other.close();
        }
        await runner.runBatch(program, [look(), { command: cmd('Add', { to: 'c-d', n: 1 }) }, look()]);
        // The first of the batch catches up (a batch starts afresh); c-d is read from the store, so the next again.
        expect(seen).toEqual([false, true, false, false]);
        expect(await totals('c-seen')).toEqual([0, 0, 1, 1]);
      });
    });
  });

  describe('judging a command as of its occurredAt (contract §5.1 2)', () => {
    /** The counter's value as the command's occurredAt saw it, recorded in each event. */
    type Seen = { n: number; total: number; seenAsOf: number; recordedAt: string | undefined };
    const judged: DeciderProgram<Cmd, Ctx & { recordedAt?: string }, { streams?: string[] }> = {
      ...counter(),
      judgedAsOf: (c) => c.at,
      decide: (c, ctx) => [
        {
          streamId: c.data.to,
          events: [
            {
              type: 'Added',
              data: {
                n: c.data.n,
                total: count(ctx, c.data.to) + c.data.n,
                seenAsOf: ctx.streams[c.data.to].asOf as number,
                recordedAt: ctx.recordedAt,
              } satisfies Seen,
            },
          ],
        },
      ],
    };
    const add = (n: number, at: string) => cmd('Add', { to: 'c-a', n }, { at });
    const seen = async () => (await store.readStream('c-a')).map((e) => (e.data as Seen).seenAsOf);

    it('sees the stream as it stood then: the events that occurred at or before, in occurredAt order', async () => {
      const runner = new DeciderRunner(store, clock);
      await runner.run(judged, add(1, '2026-03-02T08:00:00Z'));
      await runner.run(judged, add(10, '2026-03-04T08:00:00Z'));
      await runner.run(judged, add(100, '2026-03-03T08:00:00Z')); // late: sees 1, not 10
      await runner.run(judged, add(1000, '2026-03-02T09:00:00Z')); // later still: sees 1
      await runner.run(judged, add(5, '2026-03-05T08:00:00Z')); // in order again: sees everything
      expect(await seen()).toEqual([0, 1, 1, 1, 1111]);
      // The current state is still the fold in recorded order.
      expect(((await store.readStream('c-a'))[4].data as Seen).total).toBe(1116);
      // Another instance, starting cold, judges the same way.
      await new DeciderRunner(store, clock).run(judged, add(7, '2026-03-03T12:00:00Z'));
      expect((await seen())[5]).toBe(1101);
    });

    it('reads the stream again only for a late command; one entered in order pays nothing', async () => {
      const runner = new DeciderRunner(store, clock);
      const reads: Array<number | undefined> = [];
      const readStream = store.readStream.bind(store);
      store.readStream = (id, options) => {
        reads.push(options?.fromRevision);
        return readStream(id, options);
      };
      await runner.run(judged, add(1, '2026-03-02T08:00:00Z'));
      await runner.run(judged, add(1, '2026-03-02T09:00:00Z'));
      await runner.run(judged, add(1, '2026-03-02T10:00:00Z'));
      // The first read finds no stream; after that the runner's own appends keep its cache at the head.
      expect(reads).toEqual([0]);
      await runner.run(judged, add(1, '2026-03-02T08:30:00Z'));
      expect(reads).toEqual([0, 0]); // a late command re-reads the stream once
    });

    it('gives the decision the instant it is recorded at, the same the events carry', async () => {
      const runner = new DeciderRunner(store, new ManualClock('2026-03-05T09:00:00Z'));
      await runner.run(judged, add(1, '2026-03-02T08:00:00Z'));
      const [e] = await store.readStream('c-a');
      expect((e.data as Seen).recordedAt).toBe('2026-03-05T09:00:00.000Z');
      expect(e.metadata.recordedAt).toBe('2026-03-05T09:00:00.000Z');
    });
  });
});
