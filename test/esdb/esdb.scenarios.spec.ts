import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { EsdbEventStore } from '@app/ledger/esdb';
import type { EventStore } from '@app/ledger';
import { formatReport, runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';
import { FakeEsdb } from './fake-esdb';
import { NamespacedEventStore } from './namespaced-store';

/**
 * The acceptance scenarios with EventStoreDB as the store: over the wire-level double by default (a fresh double per
 * scenario), over a real server when EVENTSTORE_URL is set (each run under its own stream prefix).
 */
const dirs = ['public', 'extra', 'qa'].map((d) => path.join(__dirname, '..', 'scenarios', d));
const files = dirs.flatMap((d) =>
  fs
    .readdirSync(d)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(d, f)),
);
const realServer = process.env.EVENTSTORE_URL;

describe(`acceptance scenarios on EventStoreDB (${realServer ? realServer : 'wire-level double'})`, () => {
  for (const file of files) {
    it(`${path.basename(file)} passes every step`, async () => {
      let fake: FakeEsdb | undefined;
      let store: EventStore;
      if (realServer) {
        store = new NamespacedEventStore(EsdbEventStore.connect(realServer), `t${randomUUID().slice(0, 8)}-`);
      } else {
        fake = new FakeEsdb();
        await fake.start();
        store = EsdbEventStore.connect(fake.url);
      }
      try {
        const report = await runScenario(JSON.parse(fs.readFileSync(file, 'utf8')) as Scenario, {
          file: path.basename(file),
          store,
        });
        if (!report.ok) throw new Error(formatReport(report));
        expect(report.ok).toBe(true);
      } finally {
        await fake?.close();
      }
    });
  }
});
