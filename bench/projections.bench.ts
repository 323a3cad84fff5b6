/**
 * Read-model rebuild (`npm run bench -- projections`): every default projection replayed from an embedded store of
 * custody events (persons, items, readings in and out of scope, so violations, incidents and deadlines too), decided
 * by the domain and appended through the DeciderRunner. Printed beside its peer in the same run: a plain loop that
 * reads and JSON-parses the same rows (`readAll`), which is what any consumer pays before projecting anything.
 *
 * And the same projections on the live path (the runner's `commit`, as the service runs it after each group commit):
 * CPU per event committed one event at a time (a single command) and 1,000 at a time (a bulk batch), into a WAL file
 * as the service keeps it, beside the same peer per event.
 *
 * And a replica rebuilding over EventStoreDB (`BENCH_ESDB_EVENTS`, default 10,000; 0 skips it): the wire double in a
 * process of its own (test/esdb/fake-esdb.serve.ts), the rebuild beside a plain `readAll` over the same wire.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DeciderRunner, ManualClock } from '@app/ledger';
import type { CustodyCommand } from '@app/custody';
import { LedgerCore, custodyProgram } from '@app/application';
import { DEFAULT_PROJECTIONS, ProjectionRunner, ReadModels, openReadModelDb } from '@app/read-models';
import { type BenchResult, mainThreadCpuSeconds, median, prng, seconds } from './bench-kit';

const EVENTS = Number(process.env.BENCH_PROJECTION_EVENTS ?? 30_000);
const PERSONS = 1_000;
const ITEMS = 2_000;
const RUNS = 3;
/** Events of the store served by the EventStoreDB wire double for the replica's rebuild (0: that part is skipped). */
const ESDB_EVENTS = Number(process.env.BENCH_ESDB_EVENTS ?? 10_000);

/**
 * A replica rebuilding over EventStoreDB: the wire double (test/esdb/fake-esdb.ts over real gRPC) in a process of its
 * own, seeded with the store's first `count` events, and the ESDB adapter reading it — `ReadModels.rebuild` beside a
 * plain `readAll` of the same log in the same pages (the peer: what any consumer of that server pays).
 */
async function esdbReplica(storeFile: string, dataDir: string, count: number): Promise<BenchResult[]> {
  const root = path.join(__dirname, '..', '..');
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(root, 'test', 'support', 'ts-register.js'),
      path.join(root, 'test', 'esdb', 'fake-esdb.serve.ts'),
      storeFile,
      String(count),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    const ready = await new Promise<{ url: string; events: number }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the EventStoreDB double exited with code ${code}`)));
      createInterface({ input: child.stdout }).once('line', (line) =>
        resolve(JSON.parse(line) as { url: string; events: number }),
      );
    });
    const { EsdbEventStore } = await import('@app/ledger/esdb');
    const store = EsdbEventStore.connect(ready.url);
    try {
      const cpuSeconds = (since: NodeJS.CpuUsage) => {
        const u = process.cpuUsage(since);
        return (u.user + u.system) / 1e6;
      };
      let start = process.hrtime.bigint();
      let cpu = process.cpuUsage();
      let read = 0;
      for (let after: number | undefined; ;) {
        const page = await store.readAll({ after, maxCount: 25_000 });
        read += page.length;
        if (page.length < 25_000) break;
        after = page[page.length - 1].position;
      }
      const peer = read / seconds(start);
      const peerCpu = read / cpuSeconds(cpu);
      const file = path.join(dataDir, 'rebuilt-esdb.sqlite');
      const rm = new ReadModels(store, openReadModelDb(file));
      start = process.hrtime.bigint();
      cpu = process.cpuUsage();
      await rm.rebuild();
      const rate = ready.events / seconds(start);
      const rateCpu = ready.events / cpuSeconds(cpu);
      if (rm.runner.failures.length) throw new Error(`projection failures: ${JSON.stringify(rm.runner.failures[0])}`);
      if (rm.merkle.size !== ready.events) throw new Error(`rebuilt ${rm.merkle.size} leaves of ${ready.events}`);
      await rm.close();
      for (const suffix of ['', '-wal', '-shm', '.clean']) fs.rmSync(file + suffix, { force: true });
      const n = ready.events.toLocaleString('en-US');
      return [
        {
          name: `replica over EventStoreDB (wire double): rebuild (${n} events)`,
          value: rate,
          unit: 'events/s',
          runs: [rate],
        },
        { name: 'the same, per CPU-second of the replica', value: rateCpu, unit: 'events/s', runs: [rateCpu] },
        { name: 'peer, same run: readAll over the same wire', value: peer, unit: 'events/s', runs: [peer] },
        { name: 'the same, per CPU-second of the replica', value: peerCpu, unit: 'events/s', runs: [peerCpu] },
      ];
    } finally {
      await store.close();
    }
  } finally {
    child.stdin.end();
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }
}

export async function runProjectionsBench(dir: string): Promise<BenchResult[]> {
  // BENCH_PROJECTION_DIR keeps the built store between runs (building it is most of the suite's time).
  const dataDir = process.env.BENCH_PROJECTION_DIR ?? path.join(dir, 'projections');
  const reuse = fs.existsSync(path.join(dataDir, 'ledger.sqlite'));
  fs.mkdirSync(dataDir, { recursive: true });
  const clock = new ManualClock('2026-03-02T00:00:00Z');
  const core = await LedgerCore.open({ dataDir, clock });
  const runner = new DeciderRunner(core.store, clock);
  const program = custodyProgram(core.readModels);
  const random = prng(16);
  let n = 0;
  let t = Date.parse('2026-03-02T01:00:00Z');
  const run = (actor: string, type: string, data: Record<string, unknown>) => {
    t += 1000;
    clock.set(new Date(t));
    return runner.run(program, {
      type,
      data,
      commandId: `b-${n++}`,
      actor,
      at: new Date(t).toISOString(),
    } as CustodyCommand);
  };
  const ranks = ['staff', 'staff', 'staff', 'manager', 'director', 'executive'];
  const build = async () => {
    process.stderr.write(`  building ~${EVENTS.toLocaleString('en-US')} events through the domain…\n`);
    await run('p-registrar', 'RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' });
    for (let i = 0; i < PERSONS; i++)
      await run('p-registrar', 'RegisterPerson', {
        personId: `p-${i}`,
        name: `person ${i}`,
        rank: ranks[i % ranks.length],
        clearance: i % 4 === 1 ? 'CONFIDENTIAL' : 'SECRET',
        unit: `unit-${i % 20}`,
      });
    for (let i = 0; i < ITEMS; i++)
      await run('p-0', 'RegisterReceivedItem', {
        itemId: `doc-${i}`,
        title: `directive ${i}`,
        level: 'SECRET',
        periodYears: 10,
        basis: 'catalogue',
        carrier: 'paper',
        sender: 'bureau',
        receivedBy: 'p-0',
        scope: { persons: [] },
      });
    let head = (await core.store.headPosition()) ?? 0;
    while (head < EVENTS) {
      const batch = Array.from({ length: 64 }, () =>
        run('p-0', 'RecordReading', {
          itemId: `doc-${Math.floor(random() * ITEMS)}`,
          // Mostly directors and executives (in scope); staff now and then: a violation and an incident.
          reader: `p-${random() < 0.97 ? 4 + 6 * Math.floor(random() * (PERSONS / 6 - 1)) : 6 * Math.floor(random() * 100)}`,
          placeId: 'room-1',
        }),
      );
      await Promise.all(batch);
      head = (await core.store.headPosition()) ?? 0;
    }
  };
  try {
    if (!reuse) await build();
    await core.readModels.catchUp();
    const events = (await core.store.readAll()).length;
    process.stderr.write(
      `  ${events.toLocaleString('en-US')} events; ${core.readModels.violations.count()} violations\n`,
    );

    const rebuild: number[] = [];
    const rebuildCpu: number[] = [];
    const rebuildMain: number[] = [];
    const oneThread: number[] = [];
    const oneThreadCpu: number[] = [];
    const peer: number[] = [];
    const peerCpu: number[] = [];
    // Events per second of this process's CPU time as well as of the wall clock: on a machine shared with other
    // jobs the wall-clock rate mostly measures the others.
    const cpuSeconds = (since: NodeJS.CpuUsage) => {
      const u = process.cpuUsage(since);
      return (u.user + u.system) / 1e6;
    };
    for (let r = 0; r < RUNS; r++) {
      let start = process.hrtime.bigint();
      let cpu = process.cpuUsage();
      const all = await core.store.readAll();
      let bytes = 0;
      for (const e of all) bytes += JSON.stringify(e.data).length;
      peer.push(all.length / seconds(start));
      peerCpu.push(all.length / cpuSeconds(cpu));
      void bytes;

      // The rebuild as `npm run cli -- rebuild` runs it (the Merkle half on a second thread), then on one thread
      // (`merkleWorker: false`, as before session 5) for the before/after in the same run.
      for (const merkleWorker of [true, false]) {
        const file = path.join(dataDir, `rebuilt-${r}-${merkleWorker}.sqlite`);
        const rm = new ReadModels(core.store, openReadModelDb(file));
        start = process.hrtime.bigint();
        cpu = process.cpuUsage();
        const main = mainThreadCpuSeconds() ?? 0;
        await rm.rebuild(undefined, { merkleWorker });
        (merkleWorker ? rebuild : oneThread).push(events / seconds(start));
        (merkleWorker ? rebuildCpu : oneThreadCpu).push(events / cpuSeconds(cpu));
        const mainUsed = (mainThreadCpuSeconds() ?? 0) - main;
        if (merkleWorker && mainUsed > 0) rebuildMain.push(events / mainUsed);
        if (rm.runner.failures.length) throw new Error(`projection failures: ${JSON.stringify(rm.runner.failures[0])}`);
        await rm.close();
        for (const suffix of ['', '-wal', '-shm', '.clean']) fs.rmSync(file + suffix, { force: true });
      }
    }
    // The live path: events 2,001–6,000 committed onto a file that already holds the first 2,000 (warm caches, rows
    // to update rather than only insert).
    const live = new Map<number, number[]>();
    const all = await core.store.readAll();
    const warm = all.slice(0, 2_000);
    const measured = all.slice(2_000, 6_000);
    for (let r = 0; r < RUNS; r++)
      for (const size of [1, 1_000]) {
        const file = path.join(dataDir, `live-${size}-${r}.sqlite`);
        for (const suffix of ['', '-wal', '-shm', '.clean']) fs.rmSync(file + suffix, { force: true });
        const db = openReadModelDb(file);
        const runner = new ProjectionRunner(core.store, db, DEFAULT_PROJECTIONS);
        for (let i = 0; i < warm.length; i += 500) runner.commit(warm.slice(i, i + 500));
        const cpu = process.cpuUsage();
        for (let i = 0; i < measured.length; i += size) runner.commit(measured.slice(i, i + size));
        const u = process.cpuUsage(cpu);
        live.set(size, [...(live.get(size) ?? []), (u.user + u.system) / measured.length]);
        if (runner.failures.length) throw new Error(`projection failures: ${JSON.stringify(runner.failures[0])}`);
        // Its WAL checkpoint thread (started once the WAL grew, as in the service) stops with it.
        await runner.stop();
        db.close();
        for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
      }
    const perEvent = peerCpu.map((rate) => 1e6 / rate);
    const replica = ESDB_EVENTS > 0 ? await esdbReplica(path.join(dataDir, 'ledger.sqlite'), dataDir, ESDB_EVENTS) : [];
    return [
      {
        name: `rebuild all read models (${events.toLocaleString('en-US')} events)`,
        value: median(rebuild),
        unit: 'events/s',
        runs: rebuild,
      },
      {
        name: 'the same, per CPU-second (both threads)',
        value: median(rebuildCpu),
        unit: 'events/s',
        runs: rebuildCpu,
      },
      ...(rebuildMain.length
        ? [
            {
              name: 'the same, per CPU-second of the main thread',
              value: median(rebuildMain),
              unit: 'events/s',
              runs: rebuildMain,
            },
          ]
        : []),
      {
        name: 'before, same run: the rebuild on one thread',
        value: median(oneThread),
        unit: 'events/s',
        runs: oneThread,
      },
      { name: 'the same, per CPU-second', value: median(oneThreadCpu), unit: 'events/s', runs: oneThreadCpu },
      { name: 'peer, same run: readAll + parse of the same rows', value: median(peer), unit: 'events/s', runs: peer },
      { name: 'the same, per CPU-second', value: median(peerCpu), unit: 'events/s', runs: peerCpu },
      {
        name: 'live path: projections, a commit per event (CPU)',
        value: median(live.get(1)!),
        unit: 'µs/event',
        runs: live.get(1)!,
      },
      {
        name: 'live path: projections, a commit per 1,000 events (CPU)',
        value: median(live.get(1_000)!),
        unit: 'µs/event',
        runs: live.get(1_000)!,
      },
      { name: 'peer, same run: readAll + parse (CPU)', value: median(perEvent), unit: 'µs/event', runs: perEvent },
      ...replica,
    ];
  } finally {
    await core.close();
  }
}
