/**
 * Store faults (issue 7.5), on the real service (in process, port 0) and its real files:
 *   - a full disk: DATA_DIR on a size-limited tmpfs (when this process may mount one — root in a container; otherwise
 *     the store's writing connection is capped with `PRAGMA max_page_count`, which fails writes with the same SQLITE_FULL);
 *   - a read-only store: `chattr +i` on the store file and its WAL (root on ext4/overlay; otherwise `PRAGMA
 *     query_only` on the store's writing connection). Plain chmod does not stop root.
 * Commands fail with 503 STORE_UNAVAILABLE (problem+json, Retry-After), nothing partial is stored, the service stays
 * up and recovers when space or write access returns; the refused commands, resent with their commandIds, are
 * recorded once. A corrupted read-model file (pages overwritten while stopped) is detected at start and rebuilt.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { verifyLedgerIntegrity } from '@app/application';
import type { SqliteEventStore } from '@app/ledger';
import {
  client,
  compareWithRebuild,
  orderProblems,
  readStoreFile,
  startInProcess,
  summary,
  tempDir,
  waitIdle,
  type Client,
  type InProcessService,
} from './support';

const KEYS = { 'k-admin': { personId: 'p-gm', roles: ['admin'] } };
const stats = {
  fullDisk: '',
  readOnly: '',
  refused503: 0,
  acceptedBeforeFull: 0,
  recoveredAfterSpace: 0,
  refusedReadOnly: 0,
  partialWrites: 0,
  corruptionsDetected: 0,
  rebuiltRows: 0,
};

/** Runs a root tool (mount, chattr); false when it is not allowed here. RELIABILITY_NO_ROOT_TOOLS=1 forces the fallbacks. */
const tryRun = (cmd: string, args: string[]): boolean => {
  if (process.env.RELIABILITY_NO_ROOT_TOOLS === '1') return false;
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const person = (id: string, big = false) => ({
  personId: id,
  name: big ? `n${'x'.repeat(1_900)}` : 'n',
  rank: 'staff',
  clearance: 'NONE',
  unit: big ? `u${'y'.repeat(1_900)}` : 'u',
});

/** Every answered command is in the store exactly as answered; every refused one is absent. */
const checkNothingPartial = (storeFile: string, accepted: Map<string, unknown>, refused: Set<string>) => {
  const events = readStoreFile(storeFile);
  const byCommand = new Map<string, unknown[]>();
  for (const e of events)
    byCommand.set(e.commandId, [
      ...(byCommand.get(e.commandId) ?? []),
      { type: e.type, streamId: e.streamId, revision: e.revision, position: e.position },
    ]);
  for (const [commandId, answered] of accepted)
    expect({ commandId, stored: byCommand.get(commandId) }).toEqual({ commandId, stored: answered });
  const partial = [...refused].filter((id) => byCommand.has(id));
  stats.partialWrites += partial.length;
  expect(partial).toEqual([]);
  expect(orderProblems(events)).toEqual([]);
};

describe('store faults: a full disk, a read-only store, a corrupted read-model file', () => {
  afterAll(() => summary('store-faults', stats));

  it('a full disk: 503 STORE_UNAVAILABLE, nothing partial, the service recovers when space returns', async () => {
    const mountDir = tempDir('reliability-fulldisk');
    const mounted = tryRun('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountDir]);
    stats.fullDisk = mounted ? 'tmpfs size=3m (real ENOSPC)' : 'PRAGMA max_page_count on the store writer connection';
    let svc: InProcessService | undefined;
    try {
      svc = await startInProcess(KEYS, { prefix: 'reliability-fulldisk', ...(mounted ? { dataDirIn: mountDir } : {}) });
      const api = client(svc.base, 'k-admin');
      // The connection that writes: the store's writer thread.
      const store = svc.core.store as SqliteEventStore;
      if (!mounted)
        await store.writerPragma(`max_page_count = ${((await store.writerPragma('page_count')) as number) + 40}`);
      const accepted = new Map<string, unknown>();
      const refused = new Set<string>();
      let consecutive503 = 0;
      for (let i = 0; i < 3_000 && consecutive503 < 10; i++) {
        const commandId = `full-${i}`;
        const res = await api.post('RegisterPerson', { commandId, data: person(`p-${i}`, true) });
        if (res.status === 200) {
          accepted.set(commandId, res.body.events);
          consecutive503 = 0;
        } else {
          expect({ status: res.status, code: res.body?.code }).toEqual({ status: 503, code: 'STORE_UNAVAILABLE' });
          expect(res.contentType).toContain('application/problem+json');
          expect(res.headers.get('retry-after')).toBe('5');
          expect(res.text).not.toMatch(/SQLITE|\/tmp\//);
          refused.add(commandId);
          consecutive503++;
        }
      }
      stats.acceptedBeforeFull = accepted.size;
      stats.refused503 += refused.size;
      expect(accepted.size).toBeGreaterThan(0);
      expect(consecutive503).toBe(10);
      // Still up and answering queries while the disk is full.
      expect((await api.get('/health')).status).toBe(200);
      expect((await api.get('/api/persons/p-0/items')).status).toBe(200);
      checkNothingPartial(svc.storeFile, accepted, refused);

      // Space returns: the refused commands, resent with their ids, are recorded once each.
      if (mounted) expect(tryRun('mount', ['-o', 'remount,size=64m', mountDir])).toBe(true);
      else await store.writerPragma('max_page_count = 1073741823');
      for (const commandId of refused) {
        const i = commandId.slice('full-'.length);
        const res = await api.post('RegisterPerson', { commandId, data: person(`p-${i}`, true) });
        expect({ commandId, status: res.status, duplicate: res.body?.duplicate }).toEqual({
          commandId,
          status: 200,
          duplicate: false,
        });
        accepted.set(commandId, res.body.events);
        stats.recoveredAfterSpace++;
      }
      checkNothingPartial(svc.storeFile, accepted, new Set());
      expect((await verifyLedgerIntegrity(svc.core.store)).ok).toBe(true);
      await waitIdle(api);
      const { differences } = await compareWithRebuild(svc.storeFile, path.join(svc.dir, 'read-models.sqlite'));
      expect(differences.slice(0, 5)).toEqual([]);
    } finally {
      await svc?.close();
      if (mounted) tryRun('umount', [mountDir]);
      fs.rmSync(mountDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a read-only store: 503 STORE_UNAVAILABLE, nothing written, writes resume when it is writable again', async () => {
    const svc = await startInProcess(KEYS, { prefix: 'reliability-readonly' });
    const files = [svc.storeFile, `${svc.storeFile}-wal`];
    try {
      const api = client(svc.base, 'k-admin');
      expect((await api.post('RegisterPerson', { commandId: 'ro-0', data: person('p-ro-0') })).status).toBe(200);
      const immutable = tryRun('chattr', ['+i', ...files]);
      stats.readOnly = immutable
        ? 'chattr +i on ledger.sqlite and its WAL'
        : 'PRAGMA query_only on the store writer connection';
      const store = svc.core.store as SqliteEventStore;
      if (!immutable) await store.writerPragma('query_only = ON');
      const head = (await svc.core.store.headPosition()) ?? 0;
      const refused = new Set<string>();
      for (let i = 1; i <= 10; i++) {
        const res = await api.post(i % 2 ? 'RegisterPerson' : 'RegisterPlace', {
          commandId: `ro-${i}`,
          data: i % 2 ? person(`p-ro-${i}`) : { placeId: `pl-${i}`, name: 'x', kind: 'office' },
        });
        expect({ i, status: res.status, code: res.body?.code }).toEqual({ i, status: 503, code: 'STORE_UNAVAILABLE' });
        refused.add(`ro-${i}`);
        stats.refusedReadOnly++;
      }
      expect((await svc.core.store.headPosition()) ?? 0).toBe(head);
      expect((await api.get('/api/persons/p-ro-0/items')).status).toBe(200);
      if (immutable) expect(tryRun('chattr', ['-i', ...files])).toBe(true);
      else await store.writerPragma('query_only = OFF');
      for (const commandId of refused) {
        const i = Number(commandId.slice(3));
        const res = await api.post(i % 2 ? 'RegisterPerson' : 'RegisterPlace', {
          commandId,
          data: i % 2 ? person(`p-ro-${i}`) : { placeId: `pl-${i}`, name: 'x', kind: 'office' },
        });
        expect({ commandId, status: res.status }).toEqual({ commandId, status: 200 });
      }
      const events = readStoreFile(svc.storeFile);
      for (const commandId of refused) expect(events.filter((e) => e.commandId === commandId)).toHaveLength(1);
      expect((await verifyLedgerIntegrity(svc.core.store)).ok).toBe(true);
    } finally {
      tryRun('chattr', ['-i', ...files]);
      await svc.close();
    }
  }, 60_000);

  it.each([
    ['the header overwritten (not a database)', () => [{ at: 0, length: 100 }]],
    [
      'pages in the middle overwritten',
      (size: number) => [
        { at: Math.floor(size / 4096 / 2) * 4096, length: 3 * 4096 },
        { at: 4096, length: 4096 },
      ],
    ],
  ])(
    'a corrupted read-model file (%s) is detected at start and rebuilt from the store',
    async (_label, ranges) => {
      const dir = tempDir('reliability-corrupt');
      const rmFile = path.join(dir, 'read-models.sqlite');
      let svc: InProcessService | undefined = await startInProcess(KEYS, { dataDirIn: dir });
      try {
        let api: Client = client(svc.base, 'k-admin');
        for (let i = 0; i < 300; i++)
          expect((await api.post('RegisterPerson', { data: person(`p-c-${i}`, i % 3 === 0) })).status).toBe(200);
        const before = (await api.get('/api/persons/p-c-299/access')).body;
        await svc.close();
        svc = undefined;
        // Stopped: checkpoint the WAL into the file, so the damage hits the data itself, then overwrite bytes.
        const Database = (await import('better-sqlite3')).default;
        const db = new Database(rmFile);
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        const size = fs.statSync(rmFile).size;
        expect(size).toBeGreaterThan(8 * 4096);
        const fd = fs.openSync(rmFile, 'r+');
        for (const r of ranges(size)) fs.writeSync(fd, Buffer.alloc(r.length, 0xa5), 0, r.length, r.at);
        fs.closeSync(fd);
        const damaged = new Database(rmFile);
        const detectable = (() => {
          try {
            return (damaged.pragma('quick_check') as { quick_check: string }[])[0]?.quick_check !== 'ok';
          } catch {
            return true;
          } finally {
            damaged.close();
          }
        })();
        expect(detectable).toBe(true);

        const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
        try {
          svc = await startInProcess(KEYS, { dataDirIn: dir });
          expect(errors.mock.calls.some((c) => String(c[0]).includes('integrity check'))).toBe(true);
          stats.corruptionsDetected++;
        } finally {
          errors.mockRestore();
        }
        api = client(svc.base, 'k-admin');
        await waitIdle(api);
        expect((await api.get('/api/persons/p-c-299/access')).body).toEqual(before);
        expect((await api.get('/api/persons/p-c-0/items')).status).toBe(200);
        const { differences, rows } = await compareWithRebuild(path.join(dir, 'ledger.sqlite'), rmFile);
        stats.rebuiltRows += rows;
        expect(differences.slice(0, 5)).toEqual([]);
      } finally {
        await svc?.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
