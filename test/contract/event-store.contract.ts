import { randomUUID } from 'node:crypto';
import {
  AppendResult,
  type CommandClaim,
  ConcurrencyConflict,
  EventStore,
  NewEvent,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '@app/ledger';

/**
 * The behaviour every EventStore adapter owes the ledger (contract §2.5: one port, two stores, one contract).
 *
 * Written to run against a shared EventStoreDB server as well as a fresh SQLite file, so it never assumes the
 * store is empty, that positions are dense or start at 1 (EventStoreDB positions are byte offsets), or that event ids
 * are anything but UUIDs. Each test works in streams under its own random prefix and reads the global log only
 * after the head it saw when it started.
 */
export function eventStoreContract(
  name: string,
  factory: () => Promise<{ store: EventStore; cleanup: () => Promise<void> }>,
): void {
  describe(name, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;
    let prefix: string;
    let subscriptions: Subscription[];

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
      prefix = `contract${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
      subscriptions = [];
    });

    afterEach(async () => {
      // Stop subscriptions a failed test left running, before the store goes away under them.
      await Promise.all(subscriptions.map((s) => s.stop()));
      await cleanup();
    });

    const stream = (suffix: string) => `${prefix}${suffix}`;
    const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamId.startsWith(prefix));
    const ids = (events: Array<{ eventId: string }>) => events.map((e) => e.eventId);

    const subscribe = (handler: (e: RecordedEvent) => Promise<void> | void, options?: SubscribeOptions) => {
      const subscription = store.subscribeToAll(handler, options);
      subscriptions.push(subscription);
      return subscription;
    };

    /** Collects what a subscription delivers, in delivery order. */
    const collect = (options?: SubscribeOptions) => {
      const received: RecordedEvent[] = [];
      const subscription = subscribe((e) => {
        received.push(e);
      }, options);
      return { received, subscription };
    };

    /** Where this test's slice of the global log begins (the store may already hold other events). */
    const baseline = async () => (await store.headPosition()) ?? undefined;

    describe('appending and reading one stream', () => {
      it('returns data and metadata exactly as appended, with revisions from 0 and increasing positions', async () => {
        const metadata = {
          occurredAt: '2026-03-02T09:00:00.000Z',
          recordedAt: '2026-03-02T09:00:01.000Z',
          actor: 'p-registrar',
          commandId: randomUUID(),
          correlationId: randomUUID(),
          causationId: null,
          schemaVersion: 1,
          prevHash: '0'.repeat(64),
          hash: 'a'.repeat(64),
        };
        const first = event('ItemClassified', {
          itemId: 'doc-1',
          title: '年度计划（机密）',
          level: 'SECRET',
          copies: [1, 2],
          note: null,
        });
        const second = event(
          'ItemRead',
          { itemId: 'doc-1', nested: { deep: { list: [true, false, 0.5, -3] } } },
          metadata,
        );

        const result = await store.append(stream('item'), [first, second], 'no-stream');
        const read = await store.readStream(stream('item'));

        expect(
          read.map((e) => ({
            eventId: e.eventId,
            type: e.type,
            streamId: e.streamId,
            revision: e.revision,
            data: e.data,
            metadata: e.metadata,
          })),
        ).toEqual([
          {
            eventId: first.eventId,
            type: 'ItemClassified',
            streamId: stream('item'),
            revision: 0,
            data: first.data,
            metadata: first.metadata,
          },
          {
            eventId: second.eventId,
            type: 'ItemRead',
            streamId: stream('item'),
            revision: 1,
            data: second.data,
            metadata,
          },
        ]);
        expect(read[1].position).toBeGreaterThan(read[0].position);
        expect(result).toEqual({
          streamId: stream('item'),
          nextExpectedRevision: 1,
          position: read[1].position,
          events: [
            { eventId: first.eventId, revision: 0, position: read[0].position },
            { eventId: second.eventId, revision: 1, position: read[1].position },
          ],
        });
      });

      it('reports a missing stream as empty with revision -1', async () => {
        expect(await store.readStream(stream('missing'))).toEqual([]);
        expect(await store.readStream(stream('missing'), { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(stream('missing'))).toBe(-1);
      });

      it('reports the last revision of an existing stream', async () => {
        await store.append(stream('s'), events(3), 'no-stream');
        await store.append(stream('s'), events(2), 2);
        expect(await store.streamRevision(stream('s'))).toBe(4);
      });

      it('reads forwards, backwards, from a revision and up to a count', async () => {
        const appended = events(10);
        await store.append(stream('s'), appended.slice(0, 4), 'no-stream');
        await store.append(stream('s'), appended.slice(4), 3);
        const revisions = (read: RecordedEvent[]) => read.map((e) => e.revision);

        const forwards = await store.readStream(stream('s'));
        expect(revisions(forwards)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(ids(forwards)).toEqual(ids(appended));
        expect(revisions(await store.readStream(stream('s'), { fromRevision: 3, maxCount: 4 }))).toEqual([3, 4, 5, 6]);
        expect(revisions(await store.readStream(stream('s'), { direction: 'backwards' }))).toEqual([
          9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        ]);
        expect(
          revisions(await store.readStream(stream('s'), { direction: 'backwards', fromRevision: 5, maxCount: 3 })),
        ).toEqual([5, 4, 3]);
        expect(revisions(await store.readStream(stream('s'), { direction: 'backwards', maxCount: 2 }))).toEqual([9, 8]);
        expect(await store.readStream(stream('s'), { fromRevision: 10 })).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('accepts no-stream (and its alias -1) only for a new stream', async () => {
        await expect(store.append(stream('a'), [event()], 'no-stream')).resolves.toMatchObject({
          nextExpectedRevision: 0,
        });
        await expect(store.append(stream('b'), [event()], -1)).resolves.toMatchObject({ nextExpectedRevision: 0 });

        const conflict = await rejectionOf(store.append(stream('a'), [event()], 'no-stream'));
        expect(conflict).toBeInstanceOf(ConcurrencyConflict);
        expect(conflict).toMatchObject({
          code: 'CONCURRENCY_CONFLICT',
          streamId: stream('a'),
          expected: 'no-stream',
          actual: 0,
        });

        const aliasConflict = await rejectionOf(store.append(stream('b'), [event()], -1));
        expect(aliasConflict).toBeInstanceOf(ConcurrencyConflict);
        expect(aliasConflict).toMatchObject({ streamId: stream('b'), actual: 0 });
      });

      it('accepts an exact revision only when it is the stream’s last', async () => {
        await store.append(stream('s'), events(2), 'no-stream');
        await expect(store.append(stream('s'), [event()], 1)).resolves.toMatchObject({ nextExpectedRevision: 2 });

        const stale = await rejectionOf(store.append(stream('s'), [event()], 1));
        expect(stale).toBeInstanceOf(ConcurrencyConflict);
        expect(stale).toMatchObject({ streamId: stream('s'), expected: 1, actual: 2 });

        const ahead = await rejectionOf(store.append(stream('s'), [event()], 5));
        expect(ahead).toMatchObject({ streamId: stream('s'), expected: 5, actual: 2 });

        const missing = await rejectionOf(store.append(stream('new'), [event()], 0));
        expect(missing).toBeInstanceOf(ConcurrencyConflict);
        expect(missing).toMatchObject({ streamId: stream('new'), expected: 0, actual: -1 });

        expect(await store.streamRevision(stream('s'))).toBe(2);
        expect(await store.streamRevision(stream('new'))).toBe(-1);
      });

      it('accepts any for new and existing streams', async () => {
        await expect(store.append(stream('s'), [event()], 'any')).resolves.toMatchObject({ nextExpectedRevision: 0 });
        await expect(store.append(stream('s'), events(2), 'any')).resolves.toMatchObject({ nextExpectedRevision: 2 });
        expect((await store.readStream(stream('s'))).map((e) => e.revision)).toEqual([0, 1, 2]);
      });
    });

    describe('atomicity and idempotency', () => {
      it('writes a multi-event append as a whole or not at all', async () => {
        const base = await baseline();
        await store.append(stream('s'), [event()], 'no-stream');
        const rejected = events(3);

        await expect(store.append(stream('s'), rejected, 'no-stream')).rejects.toBeInstanceOf(ConcurrencyConflict);

        expect(await store.readStream(stream('s'))).toHaveLength(1);
        const logged = ids(ours(await store.readAll({ after: base })));
        for (const id of ids(rejected)) expect(logged).not.toContain(id);
      });

      it('appends nothing and returns the original result when the same events are appended again', async () => {
        const base = await baseline();
        const batch = events(2);
        const original = await store.append(stream('s'), batch, 'no-stream');

        // A retry after a lost acknowledgement resends the same events with the same expected revision.
        const retried = await store.append(stream('s'), batch, 'no-stream');

        expect(retried).toEqual(original);
        expect(ids(await store.readStream(stream('s')))).toEqual(ids(batch));
        expect(ids(ours(await store.readAll({ after: base })))).toEqual(ids(batch));
      });

      it('recognizes a retry even after the stream moved on', async () => {
        const batch = events(2);
        const original = await store.append(stream('s'), batch, 'no-stream');
        await store.append(stream('s'), events(3), 1);

        const retried = await store.append(stream('s'), batch, 'no-stream');

        expect(retried.events).toEqual(original.events);
        expect(retried.nextExpectedRevision).toBe(1);
        expect(await store.streamRevision(stream('s'))).toBe(4);
      });
    });

    describe('commands (contract §8.1)', () => {
      const claim = (over: Partial<CommandClaim> = {}): CommandClaim => ({
        scope: `${prefix}person:p-1`,
        commandId: 'c-1',
        name: 'Record',
        hash: 'a'.repeat(64),
        ...over,
      });

      it('stores a command with its writes and finds it by (scope, commandId) only', async () => {
        const writes = [{ streamId: stream('a'), expectedRevision: -1, events: events(2) }];
        const r = await store.appendCommand(claim(), writes);
        expect(r.duplicate).toBe(false);
        const found = await store.findCommand(claim().scope, 'c-1');
        expect(found).toMatchObject({ name: 'Record', hash: 'a'.repeat(64) });
        expect(ids(found!.events)).toEqual(ids(writes[0].events));
        expect(await store.findCommand(`${prefix}person:p-2`, 'c-1')).toBeUndefined();
      });

      it('answers a second claim of one key with the first command and writes none of the second', async () => {
        const first = events(1);
        await store.appendCommand(claim(), [{ streamId: stream('a'), expectedRevision: -1, events: first }]);
        const second = events(1);
        const r = await store.appendCommand(claim({ hash: 'b'.repeat(64), name: 'Other' }), [
          { streamId: stream('b'), expectedRevision: -1, events: second },
        ]);
        expect(r).toMatchObject({ duplicate: true, command: { name: 'Record', hash: 'a'.repeat(64) } });
        expect(await store.readStream(stream('b'))).toEqual([]);
      });

      it('stores one command when many claims of one key race, and each racer learns of it', async () => {
        const racers = Array.from({ length: 8 }, (_, i) =>
          store.appendCommand(claim({ hash: String(i).repeat(64) }), [
            { streamId: stream(`r${i}`), expectedRevision: -1, events: events(1) },
          ]),
        );
        const results = await Promise.all(racers);
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        const winner = results.findIndex((r) => !r.duplicate);
        for (const r of results) if (r.duplicate) expect(r.command.hash).toBe(String(winner).repeat(64));
        for (let i = 0; i < 8; i++) expect(await store.readStream(stream(`r${i}`))).toHaveLength(i === winner ? 1 : 0);
      });

      it('claims a command that writes nothing, so its key is taken', async () => {
        await store.appendCommand(claim({ commandId: 'empty' }), []);
        expect(await store.findCommand(claim().scope, 'empty')).toMatchObject({ events: [] });
      });
    });

    describe('the global log', () => {
      it('reads all events after a position, in append order, up to a count, and backwards', async () => {
        const base = await baseline();
        const appended: NewEvent[] = [];
        for (let i = 0; i < 5; i++) {
          const e = event();
          appended.push(e);
          await store.append(stream(i % 2 === 0 ? 'even' : 'odd'), [e], 'any');
        }

        const all = ours(await store.readAll({ after: base }));
        expect(ids(all)).toEqual(ids(appended));
        expectStrictlyIncreasing(all.map((e) => e.position));
        if (base !== undefined) for (const e of all) expect(e.position).toBeGreaterThan(base);

        const afterSecond = await store.readAll({ after: all[1].position, maxCount: 2 });
        expect(ids(afterSecond)).toEqual(ids(appended.slice(2, 4)));

        const lastThree = await store.readAll({ direction: 'backwards', maxCount: 3 });
        expect(ids(lastThree)).toEqual(ids(appended.slice(2).reverse()));

        const backwardsAfter = ours(await store.readAll({ direction: 'backwards', after: all[1].position }));
        expect(ids(backwardsAfter)).toEqual(ids(appended.slice(2).reverse()));
      });

      it('moves the head position forward with each append', async () => {
        const first = await store.append(stream('s'), [event()], 'no-stream');
        const headAfterFirst = await store.headPosition();
        expect(headAfterFirst).toBeGreaterThanOrEqual(first.position);

        const second = await store.append(stream('s'), [event()], 0);
        const headAfterSecond = await store.headPosition();
        expect(second.position).toBeGreaterThan(first.position);
        expect(headAfterSecond).toBeGreaterThanOrEqual(second.position);
      });

      it('appends to several streams with appendMany and returns one result per write, in order', async () => {
        await store.append(stream('b'), [event()], 'no-stream');
        const [a, b] = [events(2), events(1)];

        const results = await store.appendMany([
          { streamId: stream('a'), expectedRevision: 'no-stream', events: a },
          { streamId: stream('b'), expectedRevision: 0, events: b },
        ]);

        expect(results.map((r) => [r.streamId, r.nextExpectedRevision, ids(r.events)])).toEqual([
          [stream('a'), 1, ids(a)],
          [stream('b'), 1, ids(b)],
        ]);
        expect(results[1].position).toBeGreaterThan(results[0].position);
        expect(ids(await store.readStream(stream('a')))).toEqual(ids(a));
        expect(ids(await store.readStream(stream('b'), { fromRevision: 1 }))).toEqual(ids(b));
      });

      it('fails appendMany on a conflict without writing the writes after it', async () => {
        await store.append(stream('a'), [event()], 'no-stream');

        await expect(
          store.appendMany([
            { streamId: stream('a'), expectedRevision: 'no-stream', events: [event()] },
            { streamId: stream('b'), expectedRevision: 'no-stream', events: [event()] },
          ]),
        ).rejects.toBeInstanceOf(ConcurrencyConflict);

        expect(await store.streamRevision(stream('a'))).toBe(0);
        expect(await store.streamRevision(stream('b'))).toBe(-1);
      });
    });

    describe('concurrent writers', () => {
      it('accepts 64 concurrent appends to different streams', async () => {
        const writes = Array.from({ length: 64 }, (_, i) => store.append(stream(`w${i}`), [event()], 'no-stream'));
        const results = await Promise.all(writes);

        expect(results.every((r) => r.nextExpectedRevision === 0)).toBe(true);
        expect(new Set(results.map((r) => r.position)).size).toBe(64);
        const revisions = await Promise.all(results.map((r) => store.streamRevision(r.streamId)));
        expect(revisions).toEqual(Array(64).fill(0));
      });

      it('lets exactly one of several appends at the same expected revision win', async () => {
        await store.append(stream('s'), [event()], 'no-stream');
        const contenders = Array.from({ length: 8 }, () => event());

        const outcomes = await Promise.allSettled(contenders.map((e) => store.append(stream('s'), [e], 0)));

        const won = outcomes.filter((o): o is PromiseFulfilledResult<AppendResult> => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const o of lost) {
          expect(o.reason).toBeInstanceOf(ConcurrencyConflict);
          expect(o.reason).toMatchObject({ streamId: stream('s'), expected: 0, actual: 1 });
        }
        const stored = await store.readStream(stream('s'));
        expect(stored).toHaveLength(2);
        expect(stored[1].eventId).toBe(won[0].value.events[0].eventId);
      });
    });

    describe('subscribing to the global log', () => {
      it('delivers everything from the start, in order, once caught up too', async () => {
        const appended = events(3);
        for (const e of appended) await store.append(stream('s'), [e], 'any');

        const { received, subscription } = collect({ filter: { streamPrefixes: [prefix] } });
        await waitFor(() => received.length >= 3, 'the three stored events');

        expect(ids(received)).toEqual(ids(appended));
        expect(subscription.position).toBe(received[2].position);
      });

      it('starts after a checkpoint, exclusively', async () => {
        const appended = events(3);
        const positions: number[] = [];
        for (const e of appended) positions.push((await store.append(stream('s'), [e], 'any')).position);

        const { received, subscription } = collect({ after: positions[0], filter: { streamPrefixes: [prefix] } });
        expect(subscription.position).toBe(positions[0]);
        await waitFor(() => received.length >= 2, 'the events after the checkpoint');
        await settle();

        expect(ids(received)).toEqual(ids(appended.slice(1)));
        expect(subscription.position).toBe(positions[2]);
      });

      it('catches up and goes live with no gap and no duplicate while appends continue', async () => {
        const base = await baseline();
        // More than one page of catch-up, in two interleaved streams.
        for (let i = 0; i < 22; i++) await store.append(stream(i % 2 ? 'x' : 'y'), events(50), 'any');
        const stored = 1100;
        const live = 40;

        let caughtUpAt: number | undefined;
        let caughtUpCalls = 0;
        const received: RecordedEvent[] = [];
        subscribe(
          async (e) => {
            received.push(e);
            // Yield now and then so appends interleave with the catch-up.
            if (received.length % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
          },
          {
            after: base,
            filter: { streamPrefixes: [prefix] },
            onCaughtUp: () => {
              caughtUpCalls += 1;
              caughtUpAt = received.length;
            },
          },
        );
        for (let i = 0; i < live; i++) await store.append(stream(i % 2 ? 'x' : 'y'), events(5), 'any');

        await waitFor(() => received.length >= stored + live * 5, 'every stored and live event');
        await settle();

        const expected = ours(await store.readAll({ after: base }));
        expect(expected).toHaveLength(stored + live * 5);
        expect(ids(received)).toEqual(ids(expected));
        expectStrictlyIncreasing(received.map((e) => e.position));
        expect(caughtUpCalls).toBe(1);
        expect(caughtUpAt).toBeGreaterThanOrEqual(stored);
      });

      it('reports caught up at once when nothing follows the checkpoint, then delivers live appends', async () => {
        const head = await baseline();
        let caughtUp = false;
        const received: RecordedEvent[] = [];
        subscribe((e) => void received.push(e), {
          after: head,
          filter: { streamPrefixes: [prefix] },
          onCaughtUp: () => (caughtUp = true),
        });

        await waitFor(() => caughtUp, 'onCaughtUp');
        expect(received).toEqual([]);

        const e = event();
        await store.append(stream('s'), [e], 'no-stream');
        await waitFor(() => received.length >= 1, 'the live event');
        expect(ids(received)).toEqual([e.eventId]);
      });

      it('stops after the handler in flight finished, and delivers nothing more', async () => {
        await store.append(stream('s'), events(3), 'no-stream');
        let started = 0;
        let finished = 0;
        const subscription = subscribe(
          async () => {
            started += 1;
            await new Promise((resolve) => setTimeout(resolve, 50));
            finished += 1;
          },
          { filter: { streamPrefixes: [prefix] } },
        );
        await waitFor(() => started >= 1, 'the first delivery');

        const startedWhenStopped = started;
        await subscription.stop();

        // The call in flight completed; no new call began once stop() was asked, not even for events already read.
        expect(finished).toBe(startedWhenStopped);
        expect(started).toBe(startedWhenStopped);
        await store.append(stream('s'), events(2), 'any');
        await settle();
        expect(started).toBe(startedWhenStopped);
      });

      it('delivers only the streams a prefix filter selects', async () => {
        const base = await baseline();
        const wanted = event();
        const skipped = event();
        const alsoWanted = event();
        await store.append(stream('item-1'), [wanted], 'any');
        await store.append(stream('person-1'), [skipped], 'any');
        await store.append(stream('item-2'), [alsoWanted], 'any');

        const included = collect({ after: base, filter: { streamPrefixes: [stream('item-')] } });
        const excluded = collect({ after: base, filter: { excludeStreamPrefixes: [stream('person-')] } });
        const both = collect({
          after: base,
          filter: { streamPrefixes: [prefix], excludeStreamPrefixes: [stream('item-2')] },
        });
        await waitFor(
          () => included.received.length >= 2 && ours(excluded.received).length >= 2 && both.received.length >= 2,
          'the filtered events',
        );
        await settle();

        expect(ids(included.received)).toEqual([wanted.eventId, alsoWanted.eventId]);
        expect(ids(ours(excluded.received))).toEqual([wanted.eventId, alsoWanted.eventId]);
        expect(ids(both.received)).toEqual([wanted.eventId, skipped.eventId]);
      });

      it('ends with onError when the handler throws, delivering nothing after the failure', async () => {
        await store.append(stream('s'), events(3), 'no-stream');
        const failure = new Error('projection broke');
        let calls = 0;
        let reported: Error | undefined;
        subscribe(
          () => {
            calls += 1;
            throw failure;
          },
          { filter: { streamPrefixes: [prefix] }, onError: (error) => (reported = error) },
        );

        await waitFor(() => reported !== undefined, 'onError');
        await settle();
        expect(reported).toBe(failure);
        expect(calls).toBe(1);
      });
    });
  });
}

/** A fresh event with a UUID id (EventStoreDB requires UUIDs) and a realistic metadata envelope. */
function event(
  type = 'ThingHappened',
  data: unknown = { n: Math.random() },
  metadata?: Record<string, unknown>,
): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    data,
    metadata: metadata ?? { occurredAt: '2026-03-02T09:00:00.000Z', actor: 'p-test', commandId: randomUUID() },
  };
}

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => event('ThingHappened', { i }));
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

function expectStrictlyIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Long enough for a late duplicate or a stray delivery to show up (more than one poll interval). */
function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
