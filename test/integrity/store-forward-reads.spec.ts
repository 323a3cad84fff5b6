import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, SqliteEventStore, sealEvents, type NewEvent, type RecordedEvent } from '@app/ledger';

/**
 * Forward reads of the embedded store derive each event's `prevHash` (format 2 does not store it) from the last row
 * of the same stream they read, instead of an SQL subquery per row (issue 16). Held here to the backward read, which
 * still asks SQLite for the previous row: on an intact file and on one with rows deleted or re-hashed, from every
 * starting position and in pages of every size, both give the same events.
 */
describe('the embedded store reading forwards', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forward-reads-'));
    file = path.join(dir, 'ledger.sqlite');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** `count` sealed events over `streams` streams, appended one by one (interleaved streams). */
  const writeLog = async (count: number, streams: number): Promise<void> => {
    const store = SqliteEventStore.open(file, { writer: 'inline' });
    const heads = new Map<string, { revision: number; hash: string }>();
    try {
      for (let i = 0; i < count; i++) {
        const streamId = `item-doc-${(i * 7) % streams}`;
        const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
        const commandId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        const input: NewEvent = {
          eventId: `5b0817fd-dfb6-576f-9aeb-${String(i).padStart(12, '0')}`,
          type: 'ItemRead',
          data: { itemId: streamId.slice(5), n: i },
          metadata: { actor: 'p-registrar', causationId: null, commandId, correlationId: commandId, schemaVersion: 1 },
        };
        const [sealed] = sealEvents(streamId, head.revision, head.hash, [input]);
        await store.append(streamId, [sealed], head.revision < 0 ? 'no-stream' : head.revision);
        heads.set(streamId, { revision: head.revision + 1, hash: String(sealed.metadata.hash) });
      }
    } finally {
      await store.close();
    }
  };

  /** Every way of reading forwards, each from a store just opened (nothing remembered), against the backward read. */
  const expectForwardsAsBackwards = async (): Promise<RecordedEvent[]> => {
    const reference = SqliteEventStore.open(file);
    const all = (await reference.readAll({ direction: 'backwards' })).reverse();
    await reference.close();
    expect(all.length).toBeGreaterThan(0);
    for (const pageSize of [1, 3, 17, 1000]) {
      for (const start of [0, 5, 31]) {
        const store = SqliteEventStore.open(file);
        try {
          const got: RecordedEvent[] = [];
          let after = all[start - 1]?.position ?? 0;
          for (;;) {
            const page = await store.readAll({ after, maxCount: pageSize });
            if (!page.length) break;
            got.push(...page);
            after = page[page.length - 1].position;
          }
          expect(got).toEqual(all.slice(start));
        } finally {
          await store.close();
        }
      }
    }
    return all;
  };

  it('derives every prevHash as the previous event of its stream, from any start, in pages of any size', async () => {
    await writeLog(120, 9);
    const all = await expectForwardsAsBackwards();
    const last = new Map<string, string>();
    for (const e of all) {
      expect(e.metadata.prevHash).toBe(last.get(e.streamId) ?? GENESIS_HASH);
      last.set(e.streamId, String(e.metadata.hash));
    }
  });

  it('reads a file with rows deleted or re-hashed the way the backward read does', async () => {
    await writeLog(120, 9);
    const db = new Database(file);
    // A gap in a stream (the event before it deleted) and an event whose stored hash was changed.
    db.prepare('DELETE FROM events WHERE position IN (40, 41)').run();
    db.prepare('UPDATE events SET hash = ? WHERE position = 60').run(Buffer.alloc(32, 7));
    db.close();
    const all = await expectForwardsAsBackwards();
    // The event after the re-hashed one links to the hash the file now holds for it.
    const changed = all.find((e) => e.position === 60)!;
    const next = all.find((e) => e.position > 60 && e.streamId === changed.streamId)!;
    expect(next.metadata.prevHash).toBe('07'.repeat(32));
  });

  it('forgets what it read when another connection changed the file between two pages', async () => {
    await writeLog(60, 3);
    const store = SqliteEventStore.open(file);
    try {
      const first = await store.readAll({ maxCount: 30 });
      const edited = first[first.length - 1];
      const db = new Database(file);
      db.prepare('UPDATE events SET hash = ? WHERE position = ?').run(Buffer.alloc(32, 9), edited.position);
      db.close();
      const rest = await store.readAll({ after: edited.position });
      const next = rest.find((e) => e.streamId === edited.streamId)!;
      expect(next.metadata.prevHash).toBe('09'.repeat(32));
    } finally {
      await store.close();
    }
    await expectForwardsAsBackwards();
  });
});
