import type { EventStore, NewEvent, ReadAllOptions, RecordedEvent } from '../store/event-store.port';
import { GENESIS_HASH, eventHash, sealEvents } from './hash-chain';
import { leafHash, merkleRoot } from './merkle';
import { ChainVerifier, readAllEvents, verifyEvents } from './log-verifier';
import { encodeMetadata } from '../store/sqlite.row-codec';
import { storedDataText } from './event-hash';

const AT = '2026-03-02T09:00:00.000Z';

const newEvent = (streamId: string, n: number): NewEvent => ({
  eventId: `${streamId}/e${n}`,
  type: 'ItemRead',
  data: { itemId: streamId, reader: `p-${n % 3}`, placeId: 'room-1' },
  metadata: {
    occurredAt: AT,
    recordedAt: AT,
    actor: 'p-registrar',
    commandId: `c-${n}`,
    correlationId: `c-${n}`,
    causationId: null,
    schemaVersion: 1,
  },
});

/**
 * A global log as a store would return it: streams interleaved, each event sealed against its stream head,
 * positions strictly increasing but not dense (like EventStoreDB's byte offsets).
 */
function globalLog(streamCount: number, total: number): RecordedEvent[] {
  const heads = new Map<string, { revision: number; hash: string }>();
  const log: RecordedEvent[] = [];
  for (let i = 0; i < total; i++) {
    const streamId = `item-${(i * 7) % streamCount}`;
    const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
    const [sealed] = sealEvents(streamId, head.revision, head.hash, [newEvent(streamId, head.revision + 1)]);
    heads.set(streamId, { revision: head.revision + 1, hash: sealed.metadata.hash });
    log.push(JSON.parse(JSON.stringify({ ...sealed, streamId, revision: head.revision + 1, position: 1000 + i * 13 })));
  }
  return log;
}

const indexOf = (log: RecordedEvent[], streamId: string, revision: number) =>
  log.findIndex((e) => e.streamId === streamId && e.revision === revision);

const rootOf = (log: RecordedEvent[], n = log.length) =>
  merkleRoot(log.slice(0, n).map((e) => leafHash(e.metadata.hash)));

describe('an untampered global log of 200 events over 5 streams', () => {
  it('verifies, counting events and streams, and recomputes the Merkle root', async () => {
    const log = globalLog(5, 200);
    const result = await verifyEvents(log);
    expect(result).toEqual({ ok: true, eventsChecked: 200, streams: 5, treeSize: 200, rootHash: rootOf(log) });
  });

  it('verifies against trusted checkpoints taken along the way', async () => {
    const log = globalLog(5, 200);
    const checkpoints = [1, 64, 150, 200].map((n) => ({
      treeSize: n,
      rootHash: rootOf(log, n),
      position: log[n - 1].position,
    }));
    expect((await verifyEvents(log, { checkpoints })).ok).toBe(true);
  });

  it('verifies an async iterable and reports progress', async () => {
    const log = globalLog(3, 50);
    async function* pages() {
      for (let i = 0; i < log.length; i += 8) {
        const page = await Promise.resolve(log.slice(i, i + 8)); // as a store's page read would arrive
        for (const e of page) yield e;
      }
    }
    const progress: number[] = [];
    const result = await verifyEvents(pages(), { onProgress: (n) => progress.push(n), progressEvery: 20 });
    expect(result.ok).toBe(true);
    expect(progress).toEqual([20, 40]);
  });

  it('gives the same result fed page by page to a ChainVerifier', async () => {
    const log = globalLog(4, 120);
    const verifier = new ChainVerifier();
    for (let i = 0; i < log.length; i += 25) for (const e of log.slice(i, i + 25)) verifier.check(e);
    expect(verifier.result()).toEqual(await verifyEvents(log));
  });
});

describe('a tampered global log', () => {
  let log: RecordedEvent[];
  beforeEach(() => {
    log = globalLog(5, 200);
  });

  it('names an event whose data was edited', async () => {
    const i = indexOf(log, 'item-3', 10);
    (log[i].data as Record<string, unknown>).reader = 'p-intruder';
    const { ok, firstFailure, eventsChecked } = await verifyEvents(log);
    expect(ok).toBe(false);
    expect(firstFailure).toMatchObject({
      eventId: log[i].eventId,
      streamId: 'item-3',
      revision: 10,
      position: log[i].position,
      reason: 'hash-mismatch',
    });
    expect(eventsChecked).toBe(i + 1);
  });

  it('names an event whose metadata was edited', async () => {
    const i = indexOf(log, 'item-1', 4);
    log[i].metadata.actor = 'p-someone-else';
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: log[i].eventId, reason: 'hash-mismatch' });
  });

  it('names an event whose type was changed', async () => {
    const i = indexOf(log, 'item-2', 0);
    log[i].type = 'ItemDestroyed';
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: log[i].eventId, reason: 'hash-mismatch' });
  });

  it('names the next event of the stream when one was deleted', async () => {
    const i = indexOf(log, 'item-4', 6);
    const next = log[indexOf(log, 'item-4', 7)];
    log.splice(i, 1);
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: next.eventId, reason: 'revision-gap' });
  });

  it('names the second event of a stream whose first event was deleted', async () => {
    const second = log[indexOf(log, 'item-0', 1)];
    log.splice(indexOf(log, 'item-0', 0), 1);
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: second.eventId, reason: 'revision-gap' });
  });

  it('names the next event when one was deleted and the rest of the stream renumbered', async () => {
    const i = indexOf(log, 'item-2', 5);
    const next = log[indexOf(log, 'item-2', 6)];
    log.splice(i, 1);
    for (const e of log) if (e.streamId === 'item-2' && e.revision > 5) e.revision -= 1;
    // The revision is hashed, so the renumbered event no longer matches its own hash.
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: next.eventId, reason: 'hash-mismatch' });
  });

  it('names an event moved out of global order', async () => {
    const i = indexOf(log, 'item-1', 8);
    [log[i], log[i + 1]] = [log[i + 1], log[i]];
    expect((await verifyEvents(log)).firstFailure).toMatchObject({
      eventId: log[i + 1].eventId,
      reason: 'out-of-order',
    });
  });

  it('names events of one stream swapped in place (positions kept in order)', async () => {
    const a = indexOf(log, 'item-3', 2);
    const b = indexOf(log, 'item-3', 3);
    const [pa, pb] = [log[a].position, log[b].position];
    [log[a], log[b]] = [
      { ...log[b], position: pa },
      { ...log[a], position: pb },
    ];
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: 'item-3/e3', reason: 'revision-gap' });
  });

  it('names a replayed (duplicated) event', async () => {
    const i = indexOf(log, 'item-0', 3);
    log.splice(i + 1, 0, { ...log[i], position: log[i].position + 1 });
    expect((await verifyEvents(log)).firstFailure).toMatchObject({
      eventId: log[i].eventId,
      revision: 3,
      reason: 'out-of-order',
    });
  });

  it('names the next event of the stream when an edited event was re-hashed', async () => {
    const i = indexOf(log, 'item-1', 12);
    (log[i].data as Record<string, unknown>).placeId = 'home';
    log[i].metadata.hash = eventHash(log[i].metadata.prevHash, log[i]);
    const next = log[indexOf(log, 'item-1', 13)];
    expect((await verifyEvents(log)).firstFailure).toMatchObject({
      eventId: next.eventId,
      streamId: 'item-1',
      reason: 'broken-link',
    });
  });

  it('names the event whose Merkle root departs from a checkpoint when a stream was re-hashed to its head', async () => {
    const checkpoints = [{ treeSize: 200, rootHash: rootOf(log), position: log[199].position }];
    // Rewrite item-2 from revision 20 on, re-hashing every later event so that its chain is whole again.
    const start = indexOf(log, 'item-2', 20);
    (log[start].data as Record<string, unknown>).reader = 'p-intruder';
    let prev = log[indexOf(log, 'item-2', 19)].metadata.hash;
    for (const e of log) {
      if (e.streamId !== 'item-2' || e.revision < 20) continue;
      e.metadata.prevHash = prev;
      e.metadata.hash = eventHash(prev, e);
      prev = e.metadata.hash;
    }
    // The chains alone cannot see it…
    expect((await verifyEvents(log)).ok).toBe(true);
    // …the signed tree can.
    expect((await verifyEvents(log, { checkpoints })).firstFailure).toMatchObject({
      eventId: log[199].eventId,
      reason: 'checkpoint-mismatch',
    });
  });

  it('reports truncation against a checkpoint that covers more events', async () => {
    const checkpoints = [{ treeSize: 200, rootHash: rootOf(log) }];
    const truncated = log.slice(0, 190);
    expect((await verifyEvents(truncated)).ok).toBe(true);
    expect((await verifyEvents(truncated, { checkpoints })).firstFailure).toMatchObject({
      eventId: log[189].eventId,
      reason: 'truncated',
    });
  });

  it('reports a checkpoint whose position names a different event', async () => {
    const checkpoints = [{ treeSize: 100, rootHash: rootOf(log, 100), position: log[100].position }];
    expect((await verifyEvents(log, { checkpoints })).firstFailure).toMatchObject({
      eventId: log[99].eventId,
      reason: 'checkpoint-mismatch',
    });
  });

  it('names an event that was never sealed', async () => {
    const i = 42;
    log[i].metadata = { ...log[i].metadata, prevHash: undefined as unknown as string };
    expect((await verifyEvents(log)).firstFailure).toMatchObject({ eventId: log[i].eventId, reason: 'missing-hash' });
  });

  it('stops at the first failure', async () => {
    log[10].type = 'Edited';
    log[20].type = 'Edited';
    const result = await verifyEvents(log);
    expect(result.firstFailure?.eventId).toBe(log[10].eventId);
    expect(result.eventsChecked).toBe(11);
    expect(result.treeSize).toBe(10);
  });
});

describe("a split walk's pieces: knows, assumeHead, checkStoredText", () => {
  // An event as the verify worker reads its row: data and metadata in the store's format 2 texts.
  const sealedRow = (revision: number, prevHash: string) => {
    const [e] = sealEvents('item-a', revision - 1, prevHash, [newEvent('item-a', revision)]);
    const { text } = encodeMetadata(e.metadata, prevHash);
    return { e, data: storedDataText(e.data), metadata: text, hash: String(e.metadata.hash) };
  };
  const BACK = ',"streamId":"item-a","type":"ItemRead"}';

  it('knows a stream once its head is assumed or an event of it verified, and verifies from an assumed head', () => {
    const first = sealedRow(0, GENESIS_HASH);
    const second = sealedRow(1, first.hash);
    const v = new ChainVerifier({ merkle: false });
    expect(v.knows('item-a')).toBe(false);
    v.assumeHead('item-a', 0, first.hash);
    expect(v.knows('item-a')).toBe(true);
    const token = JSON.stringify(second.e.eventId);
    expect(
      v.checkStoredText(5, 'item-a', 1, second.e.eventId, token, second.data, second.metadata, BACK, second.hash),
    ).toBe(second.hash);
    expect(v.result()).toMatchObject({ ok: true, eventsChecked: 1, streams: 1 });
  });

  it('declines without recording anything: a wrong link, a wrong revision, an edited text', () => {
    const first = sealedRow(0, GENESIS_HASH);
    const second = sealedRow(1, first.hash);
    const v = new ChainVerifier({ merkle: false });
    const token = JSON.stringify(second.e.eventId);
    // No head assumed: revision 1 where 0 is expected.
    expect(
      v.checkStoredText(5, 'item-a', 1, second.e.eventId, token, second.data, second.metadata, BACK, second.hash),
    ).toBeUndefined();
    v.assumeHead('item-a', 0, 'f'.repeat(64));
    // The wrong head: the text hashes with another prevHash.
    expect(
      v.checkStoredText(5, 'item-a', 1, second.e.eventId, token, second.data, second.metadata, BACK, second.hash),
    ).toBeUndefined();
    const edited = second.data.replace('p-1', 'p-2');
    expect(
      v.checkStoredText(5, 'item-a', 1, second.e.eventId, token, edited, second.metadata, BACK, second.hash),
    ).toBeUndefined();
    // Nothing failed and nothing was counted: the caller's whole read decides.
    expect(v.ok).toBe(true);
    expect(v.result()).toMatchObject({ ok: true, eventsChecked: 0 });
  });
});

describe('readAllEvents', () => {
  it('pages through the store in order, each page after the last position', async () => {
    const log = globalLog(2, 25);
    const reads: Array<ReadAllOptions | undefined> = [];
    const store: Pick<EventStore, 'readAll'> = {
      readAll: (options) => {
        reads.push(options);
        const after = options?.after ?? -Infinity;
        return Promise.resolve(log.filter((e) => e.position > after).slice(0, options?.maxCount));
      },
    };
    const seen: RecordedEvent[] = [];
    for await (const e of readAllEvents(store, 10)) seen.push(e);
    expect(seen).toEqual(log);
    expect(reads.map((r) => r?.after)).toEqual([undefined, log[9].position, log[19].position]);
  });
});
