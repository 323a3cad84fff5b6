/**
 * A process whose read models' WAL checkpoints ran on their thread, closing them with nothing else pending: prints
 * `closed` after the close. (Before, the close waited for an unref'd thread's exit and the process ended inside it.)
 */
import * as path from 'node:path';
import { SqliteEventStore } from '@app/ledger';
import { ProjectionRunner, ReadModels } from '@app/read-models';

const dir = process.argv[2];
void (async () => {
  const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
  ProjectionRunner.walThreadAfterBytes = 0;
  const rm = ReadModels.open(store, path.join(dir, 'exit.sqlite'));
  const all = await store.readAll();
  for (let round = 0; round < 20; round++) for (const e of all) rm.runner.commit([e]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await rm.close();
  process.stdout.write('closed\n');
  await store.close();
})();
