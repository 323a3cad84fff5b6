import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readAllEvents, verifyEvents, RecordedEvent, SqliteEventStore } from '@app/ledger';

const root = path.resolve(__dirname, '..', '..');
const register = path.join(root, 'test', 'support', 'ts-register.js');
const child = path.join(__dirname, 'store-crash.child.ts');
const ROUNDS = 5;

type Writer = 'worker' | 'inline';

interface Round {
  acknowledged: string[];
  killedAfterMs: number;
}

/** Starts the writer child, lets it append for a random 300–1500 ms after it is ready, then kills it with SIGKILL. */
async function crashRound(file: string, writer: Writer): Promise<Round> {
  const proc: ChildProcess = spawn(process.execPath, ['-r', register, child, file, writer], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      // Only complete lines count: a line cut by the kill is an id whose write did not finish.
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      for (const line of complete) {
        if (line === 'ready') resolve();
        else if (line) lines.push(line);
      }
    });
    void exited.then(() => reject(new Error(`child exited before it was killed:\n${stderr}`)));
  });

  await ready;
  const killedAfterMs = 300 + Math.floor(Math.random() * 1200);
  await new Promise((resolve) => setTimeout(resolve, killedAfterMs));
  proc.kill('SIGKILL');
  await exited;
  return { acknowledged: lines, killedAfterMs };
}

// The writer thread (the service's default) over ROUNDS crashes; the inline writer over fewer, as a check on both.
describe.each([
  ['worker', ROUNDS],
  ['inline', 2],
] as const)('the embedded store killed with SIGKILL while appending (%s writer)', (writer, rounds) => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-crash-'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged event, once, with dense revisions and intact hash chains, over ${rounds} crashes`, async () => {
    const file = path.join(dir, 'events.db');
    const acknowledged: string[] = [];

    for (let round = 1; round <= rounds; round++) {
      const { acknowledged: ids, killedAfterMs } = await crashRound(file, writer);
      acknowledged.push(...ids);
      const context = `round ${round}, killed after ${killedAfterMs} ms`;
      // A round that acknowledged nothing would prove nothing.
      expect({ context, acknowledged: ids.length > 0 }).toEqual({ context, acknowledged: true });

      const store = SqliteEventStore.open(file);
      try {
        const all = await store.readAll();

        const count = new Map<string, number>();
        for (const e of all) count.set(e.eventId, (count.get(e.eventId) ?? 0) + 1);
        const lost = acknowledged.filter((id) => count.get(id) !== 1);
        expect({ context, lost }).toEqual({ context, lost: [] });

        for (let i = 1; i < all.length; i++) expect(all[i].position).toBeGreaterThan(all[i - 1].position);

        const byStream = new Map<string, RecordedEvent[]>();
        for (const e of all) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
        for (const [streamId, events] of byStream) {
          expect({ context, streamId, revisions: events.map((e) => e.revision) }).toEqual({
            context,
            streamId,
            revisions: events.map((_, i) => i),
          });
        }

        const verified = await verifyEvents(readAllEvents(store));
        expect({ context, ok: verified.ok, firstFailure: verified.firstFailure }).toEqual({
          context,
          ok: true,
          firstFailure: undefined,
        });
        expect(verified.eventsChecked).toBe(all.length);
      } finally {
        await store.close();
      }
    }
  }, 120_000);
});
