/**
 * Child process of store-crash.spec.ts: opens the store and appends until it is killed.
 *
 *   node -r ./test/support/ts-register.js test/crash/store-crash.child.ts FILE [worker|inline]
 *
 * Several writers append small hash-chained batches concurrently (so group commit batches them), each to its own
 * streams plus one stream they all contend for. Each event id is written to stdout only after its append resolved,
 * i.e. after COMMIT: every id the parent reads was acknowledged and must survive the kill. The group commits run where
 * the second argument says (default: on the store's writer thread, as the service runs them).
 */
import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, sealEvents, ConcurrencyConflict, NewEvent, SqliteEventStore } from '@app/ledger';

const WRITERS = 8;
const OWN_STREAMS = 3;
export const SHARED_STREAM = 'crash-shared';

async function main(file: string, where: 'worker' | 'inline'): Promise<void> {
  const store = SqliteEventStore.open(file, { writer: where });

  /** The stream's last revision and hash, read back from the store (the state a restarted writer starts from). */
  const head = async (streamId: string) => {
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last ? { revision: last.revision, hash: String(last.metadata.hash) } : { revision: -1, hash: GENESIS_HASH };
  };

  const appendChained = async (streamId: string, count: number) => {
    for (;;) {
      const { revision, hash } = await head(streamId);
      const batch: NewEvent[] = Array.from({ length: count }, (_, i) => ({
        eventId: randomUUID(),
        type: 'CrashTested',
        data: { streamId, i },
        metadata: { occurredAt: new Date().toISOString(), actor: 'crash-test' },
      }));
      try {
        await store.append(streamId, sealEvents(streamId, revision, hash, batch), revision);
        process.stdout.write(`${batch.map((e) => e.eventId).join('\n')}\n`);
        return;
      } catch (error) {
        // Another writer won the shared stream: re-read its head and chain onto it, as the decider runner does.
        if (!(error instanceof ConcurrencyConflict)) throw error;
      }
    }
  };

  const writer = async (w: number) => {
    for (let i = 0; ; i++) {
      const streamId = i % 4 === 3 ? SHARED_STREAM : `crash-w${w}-s${i % OWN_STREAMS}`;
      await appendChained(streamId, 1 + (i % 3));
    }
  };

  process.stdout.write('ready\n');
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}

main(process.argv[2], process.argv[3] === 'inline' ? 'inline' : 'worker').catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
