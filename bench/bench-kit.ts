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

/** A TCP port free on loopback now, for a service a suite spawns. */
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

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
