import * as fs from 'node:fs';
import * as net from 'node:net';
import type { NewEvent } from '@app/ledger';

/** What every benchmark suite shares: the result shape `bench/run.ts` prints, medians, timers, a seeded PRNG, a free port. */

/** One measured figure: the median of `runs`. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  runs: number[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Seconds since a `process.hrtime.bigint()` reading. */
export const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so every run asks for the same proofs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A realistic custody event, the i-th of a synthetic log over `streams` items: an ItemRead with full metadata. */
export const syntheticReading = (i: number, streams: number): NewEvent => ({
  eventId: `0193f6a2-7c1e-7000-8000-${i.toString(16).padStart(12, '0')}`,
  type: 'ItemRead',
  data: { itemId: `doc-${i % streams}`, reader: `p-${i % 97}`, placeId: 'room-1' },
  metadata: {
    occurredAt: '2026-03-02T09:00:00.000Z',
    recordedAt: '2026-03-02T09:00:00.412Z',
    actor: 'p-registrar',
    commandId: `cmd-${i}`,
    correlationId: `cmd-${i}`,
    causationId: null,
    schemaVersion: 1,
  },
});

/**
 * The data of a `RegisterReceivedItem` the benches register: a SECRET paper directive received by p-zhang with an
 * empty named scope (readers by rank), `title` defaulting to "directive <itemId>".
 */
export const receivedSecretItem = (itemId: string, title = `directive ${itemId}`) => ({
  itemId,
  title,
  level: 'SECRET',
  periodYears: 10,
  basis: 'catalogue',
  carrier: 'paper',
  sender: 'bureau',
  receivedBy: 'p-zhang',
  scope: { persons: [] as string[] },
});

/** A command as `LedgerCore.executeBatch` takes it. */
export type BenchCommand = { name: string; body: { data: Record<string, unknown> } };

/**
 * What the command-path drivers register before they read: a reading room, `readers` as directors (in scope of
 * every SECRET directive by rank), p-zhang (staff, who receives), and `items` received SECRET directives.
 */
export const readingRoomSetup = (readers: readonly string[], items: readonly string[]): BenchCommand[] => {
  const setup: BenchCommand[] = [
    { name: 'RegisterPlace', body: { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } } },
  ];
  for (const personId of [...readers, 'p-zhang'])
    setup.push({
      name: 'RegisterPerson',
      body: {
        data: {
          personId,
          name: personId,
          rank: personId === 'p-zhang' ? 'staff' : 'director',
          clearance: 'SECRET',
          unit: 'office',
        },
      },
    });
  for (const itemId of items) setup.push({ name: 'RegisterReceivedItem', body: { data: receivedSecretItem(itemId) } });
  return setup;
};

/**
 * This process's main thread's CPU time in seconds (Linux: its task's utime + stime in /proc/self/task/PID/stat, in
 * clock ticks of 10 ms), undefined where that is not there. Node 20 has no per-thread CPU clock, and with work on
 * other threads (the writer's group commit, a rebuild's Merkle half) the main thread is what sets the pace on two cores.
 */
export const mainThreadCpuSeconds = (): number | undefined => {
  try {
    const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
};

/** A TCP port free on loopback now, for a service a suite spawns. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
