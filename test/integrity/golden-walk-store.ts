/**
 * The store the verify-walk specs tamper with: `events` ItemRead events over `streams` item streams, sealed and
 * appended one by one, a trusted checkpoint (size, root, position) every `checkpointEvery` events, and copies of it
 * with a tampering applied (VACUUM INTO, so each copy is a whole file of its own).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GENESIS_HASH,
  MerkleLog,
  SqliteEventStore,
  sealEvents,
  type NewEvent,
  type TrustedCheckpoint,
} from '@app/ledger';

export interface GoldenWalkStore {
  dir: string;
  golden: string;
  roots: TrustedCheckpoint[];
  /** A copy of the golden store named `label` with `tamper` applied to its rows. */
  copy(label: string, tamper?: (db: SqliteEventStore['db']) => void): string;
  remove(): void;
}

export const goldenWalkStore = async (options: {
  prefix: string;
  events: number;
  streams: number;
  checkpointEvery: number;
  /** Event i's id (UUIDs by default: the workers' fast read). */
  eventId?: (i: number) => string;
}): Promise<GoldenWalkStore> => {
  const { events, streams, checkpointEvery } = options;
  const eventId = options.eventId ?? ((i: number) => `0193f6a2-7c1e-7000-8000-${i.toString(16).padStart(12, '0')}`);
  const event = (i: number): NewEvent => ({
    eventId: eventId(i),
    type: 'ItemRead',
    data: { itemId: `doc-${i % streams}`, reader: `p-${i % 11}`, note: i % 5 === 0 ? '读' : null },
    metadata: { occurredAt: '2026-03-02T09:00:00.000Z', actor: 'p-1', commandId: `c-${i}`, schemaVersion: 1 },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${options.prefix}-`));
  const golden = path.join(dir, 'golden.sqlite');
  const roots: TrustedCheckpoint[] = [];
  const store = SqliteEventStore.open(golden, { synchronous: 'NORMAL' });
  const heads = new Map<string, { revision: number; hash: string }>();
  const log = new MerkleLog();
  for (let i = 0; i < events; i++) {
    const streamId = `item-doc-${i % streams}`;
    const head = heads.get(streamId) ?? { revision: -1, hash: GENESIS_HASH };
    const sealed = sealEvents(streamId, head.revision, head.hash, [event(i)]);
    await store.append(streamId, sealed, head.revision);
    heads.set(streamId, { revision: head.revision + 1, hash: String(sealed[0].metadata.hash) });
    log.append(String(sealed[0].metadata.hash));
    if ((i + 1) % checkpointEvery === 0) roots.push({ treeSize: i + 1, rootHash: log.root(), position: i + 1 });
  }
  await store.close();
  return {
    dir,
    golden,
    roots,
    copy(label, tamper = () => {}) {
      const file = path.join(dir, `${label}.sqlite`);
      const src = SqliteEventStore.open(golden);
      src.db.exec(`VACUUM INTO '${file}'`);
      void src.close();
      const s = SqliteEventStore.open(file);
      tamper(s.db);
      void s.close();
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
};
