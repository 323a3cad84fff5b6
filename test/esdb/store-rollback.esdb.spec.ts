import { EsdbEventStore } from '@app/ledger/esdb';
import type { EventStore } from '@app/ledger';
import { storeRollbackCases } from '../read-models/store-rollback.cases';
import { FakeEsdb } from './fake-esdb';

/** The same cases over the EventStoreDB wire double: each "store" is a fresh double (a restored node is another log). */
const fakes: FakeEsdb[] = [];
const stores: EventStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  for (const f of fakes) await f.close();
});

storeRollbackCases('EventStoreDB (wire-level double)', {
  fresh: async () => {
    const fake = new FakeEsdb();
    await fake.start();
    fakes.push(fake);
    const store = EsdbEventStore.connect(fake.url);
    stores.push(store);
    return store;
  },
});
