/**
 * The wire double as a process of its own, seeded from an embedded store, for `npm run bench -- projections` (a
 * replica rebuilding its read models over EventStoreDB, issue 16): the server's CPU is not the replica's, as with a
 * real cluster.
 *
 *   node -r ./test/support/ts-register.js test/esdb/fake-esdb.serve.ts STORE_FILE COUNT
 *
 * Puts the store's first COUNT events into the double's log as the ESDB adapter would have appended them (JSON data
 * and JSON custom metadata, one stream each, positions growing), prints `{"url": …, "events": …}` on stdout once
 * it serves, and stops when its stdin closes.
 */
import { SqliteEventStore } from '@app/ledger';
import { FakeEsdb } from './fake-esdb';

const main = async (): Promise<void> => {
  const [file, count] = process.argv.slice(2);
  const store = SqliteEventStore.open(file);
  const events = await store.readAll({ maxCount: Number(count) });
  await store.close();
  // No system records between the appends: the log holds the ledger's events only (a replica reads them all).
  const fake = new FakeEsdb({ systemEventEvery: 0 });
  // Straight into the log (the double's own commit), not through Append: the double takes some 20 appends a second.
  const commit = (fake as unknown as { commit: (stream: string, proposed: unknown[]) => unknown }).commit.bind(fake);
  for (const e of events)
    commit(e.streamId, [
      {
        id: e.eventId,
        type: e.type,
        contentType: 'application/json',
        data: Buffer.from(JSON.stringify(e.data)),
        metadata: Buffer.from(JSON.stringify(e.metadata)),
      },
    ]);
  await fake.start();
  process.stdout.write(JSON.stringify({ url: fake.url, events: events.length }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void fake.close().then(() => process.exit(0)));
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
