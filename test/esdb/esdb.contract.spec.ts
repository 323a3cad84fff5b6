import { EsdbEventStore } from '@app/ledger/esdb';
import { eventStoreContract } from '../contract/event-store.contract';
import { FakeEsdb } from './fake-esdb';

/**
 * The shared EventStore contract on the EventStoreDB adapter. With EVENTSTORE_URL set it runs against that real
 * server (the contract puts every test under its own random stream prefix, so runs never collide on a shared
 * server); otherwise against the wire-level double, once per client write path: BatchAppend (what a 24.x server
 * advertises) and plain Append (a server without ServerFeatures).
 */
const realServer = process.env.EVENTSTORE_URL;

if (realServer) {
  eventStoreContract(`EsdbEventStore on ${realServer}`, () => {
    const store = EsdbEventStore.connect(realServer);
    return Promise.resolve({ store, cleanup: () => store.close() });
  });
} else {
  for (const mode of ['batch-append', 'none'] as const) {
    eventStoreContract(`EsdbEventStore on the EventStoreDB double (server features: ${mode})`, async () => {
      const fake = new FakeEsdb({ features: mode });
      await fake.start();
      const store = EsdbEventStore.connect(fake.url);
      return {
        store,
        cleanup: async () => {
          await store.close();
          await fake.close();
        },
      };
    });
  }
}
