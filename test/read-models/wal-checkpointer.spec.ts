import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqliteEventStore } from '@app/ledger';
import { ProjectionRunner, ReadModels } from '@app/read-models';
import { storeOfFirstPublicScenario } from '../support/scenario-store';

/**
 * Under sustained writes the runner's WAL checkpoints move to a thread of their own (SQLite's automatic checkpoint
 * would run inside a COMMIT on the event loop): the WAL stays bounded although the runner's connection no longer
 * checkpoints, and a close still folds the WAL in and stamps the file as cleanly closed.
 */
describe('the read models WAL checkpoints on a thread', () => {
  let dir: string;
  let store: SqliteEventStore;
  const threshold = ProjectionRunner.walThreadAfterBytes;

  beforeAll(async () => {
    ({ dir, store } = await storeOfFirstPublicScenario('wal-thread-'));
  });
  afterAll(async () => {
    ProjectionRunner.walThreadAfterBytes = threshold;
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes over once the WAL has grown, keeps it bounded, and hands back at close', async () => {
    ProjectionRunner.walThreadAfterBytes = 0;
    const file = path.join(dir, 'live.sqlite');
    const rm = ReadModels.open(store, file);
    const all = await store.readAll();
    // One commit per event, replayed over and over (idempotent: each commit still writes its applied head): far more
    // WAL frames than SQLite's 1,000-page automatic checkpoint, which the runner's connection no longer runs.
    let commits = 0;
    for (let round = 0; round < 100; round++) {
      for (const e of all) {
        rm.runner.commit([e]);
        commits++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(commits).toBeGreaterThan(1_500);
    expect(rm.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // Every commit writes at least the applied head's page: without checkpoints the WAL would hold every frame.
    const pageSize = rm.db.pragma('page_size', { simple: true }) as number;
    expect(fs.statSync(`${file}-wal`).size).toBeLessThan(commits * pageSize);
    await rm.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(`${file}.clean`)).toBe(true);
  });

  it('lets a process whose only work left is the close finish it (the thread is held while it stops)', () => {
    const root = path.join(__dirname, '..', '..');
    const child = spawnSync(
      process.execPath,
      [
        '-r',
        path.join(root, 'test', 'support', 'ts-register.js'),
        path.join(__dirname, 'wal-checkpointer-exit.child.ts'),
        dir,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('closed\n');
    expect(child.status).toBe(0);
  });

  it('a runner that writes little never starts the thread', async () => {
    ProjectionRunner.walThreadAfterBytes = threshold;
    const rm = ReadModels.open(store, path.join(dir, 'quiet.sqlite'));
    rm.start();
    await rm.catchUp();
    expect(rm.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await rm.close();
  });
});
