import { randomUUID } from 'node:crypto';
import { EsdbEventStore } from '@app/ledger/esdb';
import { ConcurrencyConflict, StoreUnavailable, type NewEvent, type RecordedEvent } from '@app/ledger';
import { FakeEsdb } from './fake-esdb';

/**
 * What the EventStoreDB adapter adds beyond the shared contract: surviving dropped connections and node restarts
 * without gaps or duplicates, two service instances racing on one stream, resuming from a stored checkpoint, and the
 * double itself behaving like the server where the adapter depends on it (sparse positions, system events).
 */
const fastReconnect = { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } };

const event = (i = 0): NewEvent => ({
  eventId: randomUUID(),
  type: 'ThingHappened',
  data: { i },
  metadata: { actor: 'p-test' },
});
const events = (n: number) => Array.from({ length: n }, (_, i) => event(i));
const ids = (list: Array<{ eventId: string }>) => list.map((e) => e.eventId);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/** A writer retries an append the transport lost, as the decider runner does: same ids, same expected revision. */
async function appendRetrying(
  store: EsdbEventStore,
  streamId: string,
  batch: NewEvent[],
  expected: number | 'no-stream',
) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.append(streamId, batch, expected);
    } catch (error) {
      if (!(error instanceof StoreUnavailable) || attempt > 50) throw error;
      await settle(50);
    }
  }
}

describe('EsdbEventStore on the EventStoreDB double', () => {
  let fake: FakeEsdb;
  const opened: EsdbEventStore[] = [];
  const open = () => {
    const store = EsdbEventStore.connect(fake.url, fastReconnect);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    fake = new FakeEsdb();
    await fake.start();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await fake.close();
  });

  describe('a subscription whose connection drops mid catch-up', () => {
    it('resumes from the last handled event with no gap and no duplicate', async () => {
      const writer = open();
      const reader = open();
      for (let i = 0; i < 10; i++) await writer.append('item-a', events(10), i === 0 ? 'no-stream' : i * 10 - 1);

      const received: RecordedEvent[] = [];
      const subscription = reader.subscribeToAll(
        async (e) => {
          received.push(e);
          // Slow enough that the client has buffered events the handler has not seen when the wire is cut.
          await settle(2);
        },
        { filter: { streamPrefixes: ['item-'] } },
      );
      await waitFor(() => received.length >= 30, 'the first 30 events');
      fake.dropConnections();
      await waitFor(() => received.length >= 100, 'the rest of the catch-up');

      fake.dropConnections();
      await appendRetrying(writer, 'item-a', events(20), 99);
      await waitFor(() => received.length >= 120, 'the live events after a second drop');
      await settle();

      const stored = await writer.readAll();
      expect(ids(received)).toEqual(ids(stored.filter((e) => e.streamId.startsWith('item-'))));
      expect(new Set(ids(received)).size).toBe(120);
      expect(subscription.position).toBe(received[119].position);
      // More than one Read call proves the subscription was really re-established, not just buffered through.
      expect(fake.calls.filter((c) => c === 'Read').length).toBeGreaterThan(2);
    });
  });

  describe('a node that goes away and comes back on the same port with its data', () => {
    it('keeps the subscription going across the restart and reports caught up once', async () => {
      const writer = open();
      const reader = open();
      await writer.append('item-b', events(5), 'no-stream');
      const received: RecordedEvent[] = [];
      let caughtUp = 0;
      reader.subscribeToAll((e) => void received.push(e), {
        filter: { streamPrefixes: ['item-'] },
        onCaughtUp: () => (caughtUp += 1),
      });
      await waitFor(() => received.length >= 5 && caughtUp === 1, 'catch-up');

      await fake.stop();
      await expect(writer.append('item-b', events(1), 4)).rejects.toBeInstanceOf(StoreUnavailable);
      await settle(400); // several reconnection attempts fail meanwhile
      await fake.start();

      await appendRetrying(writer, 'item-b', events(5), 4);
      await waitFor(() => received.length >= 10, 'the events appended after the restart');
      await settle();
      expect(ids(received)).toEqual(ids(await writer.readStream('item-b')));
      expect(caughtUp).toBe(1);
    });

    it('gives up with onError after maxAttempts when the node never returns', async () => {
      const reader = EsdbEventStore.connect(fake.url, {
        reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 },
      });
      opened.push(reader);
      let reported: Error | undefined;
      let caughtUp = false;
      reader.subscribeToAll(() => undefined, { onCaughtUp: () => (caughtUp = true), onError: (e) => (reported = e) });
      await waitFor(() => caughtUp, 'the first caught-up');
      await fake.stop();
      await waitFor(() => reported !== undefined, 'onError');
      expect(reported).toBeInstanceOf(StoreUnavailable);
    });
  });

  describe('two service instances writing one stream', () => {
    it('lets one win and gives the other a ConcurrencyConflict naming the actual revision', async () => {
      const [a, b] = [open(), open()];
      await a.append('item-c', [event()], 'no-stream');
      expect(await b.streamRevision('item-c')).toBe(0);

      const [ea, eb] = [event(1), event(2)];
      const outcomes = await Promise.allSettled([a.append('item-c', [ea], 0), b.append('item-c', [eb], 0)]);

      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0].reason).toBeInstanceOf(ConcurrencyConflict);
      expect(lost[0].reason).toMatchObject({ streamId: 'item-c', expected: 0, actual: 1 });
      expect(await a.readStream('item-c')).toHaveLength(2);
    });
  });

  describe('a subscription restarted from a stored checkpoint', () => {
    it('delivers exactly the events after it', async () => {
      const store = open();
      await store.append('item-d', events(4), 'no-stream');
      const first: RecordedEvent[] = [];
      const sub1 = store.subscribeToAll(
        async (e) => {
          first.push(e);
          if (first.length === 3) await sub1.stop(); // stopping from inside the handler must not deadlock
        },
        { filter: { streamPrefixes: ['item-d'] } },
      );
      await waitFor(() => first.length >= 3, 'three events');
      await settle();
      expect(first).toHaveLength(3);
      const checkpoint = sub1.position;
      expect(checkpoint).toBe(first[2].position);

      const later = events(3);
      await store.append('item-d', later, 3);
      const second: RecordedEvent[] = [];
      store.subscribeToAll((e) => void second.push(e), { after: checkpoint, filter: { streamPrefixes: ['item-d'] } });
      await waitFor(() => second.length >= 4, 'the events after the checkpoint');
      await settle();
      expect(second.map((e) => e.revision)).toEqual([3, 4, 5, 6]);
    });
  });

  describe('positions, system events and ids', () => {
    it('uses the server’s sparse byte positions and never hands out system events', async () => {
      const store = open();
      for (let i = 0; i < 6; i++) await store.append(`item-e${i}`, events(2), 'no-stream');

      const all = await store.readAll();
      expect(all).toHaveLength(12);
      expect(all.every((e) => !e.streamId.startsWith('$'))).toBe(true);
      const gaps = all.slice(1).map((e, i) => e.position - all[i].position);
      expect(gaps.every((g) => g > 1)).toBe(true);
      // The double did interleave system records, so skipping them was really exercised.
      expect(fake.log.filter((r) => r.stream.startsWith('$')).length).toBeGreaterThanOrEqual(4);
      expect(fake.log[fake.log.length - 1].stream.startsWith('$')).toBe(true);
      expect(await store.headPosition()).toBe(all[11].position);
    });

    it('refuses event ids EventStoreDB would hand back spelled differently', async () => {
      const store = open();
      const upper = { ...event(), eventId: randomUUID().toUpperCase() };
      await expect(store.append('item-f', [upper], 'no-stream')).rejects.toThrow(/lowercase UUID/);
      expect(await store.streamRevision('item-f')).toBe(-1);
    });

    it('answers a retried write from the stream without writing, as the server does', async () => {
      const store = open();
      const batch = events(3);
      const original = await store.append('item-g', batch, 'no-stream');
      const logLength = fake.log.length;
      expect(await store.append('item-g', batch, 'no-stream')).toEqual(original);
      expect(fake.log.length).toBe(logLength);
      // Only part of the batch matching is not a retry: the server calls it a wrong expected version.
      await expect(store.append('item-g', [batch[0], event()], 'no-stream')).rejects.toBeInstanceOf(
        ConcurrencyConflict,
      );
    });
  });
});
