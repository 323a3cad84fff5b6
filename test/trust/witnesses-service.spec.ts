import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { Ledger, LedgerCore, verifyLedgerIntegrity, type WitnessConfig } from '@app/application';
import { FileWitnessState, ManualClock, PUBLIC_KEY_FILE } from '@app/ledger';
import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';
import { startWitness, type WitnessProcess } from './witness-support';
import { buildLedger, registerPersons, resealAndResign } from '../integrity/tamper-kit';

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 45_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const signatureLines = (note: string) =>
  note
    .slice(note.lastIndexOf('\n\n') + 2)
    .trimEnd()
    .split('\n');

describe('the service and its witnesses (real witness processes)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witnessed-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps accepting commands while every witness is down, and catches them up when they return', async () => {
    // Start each witness once to make its key and learn its port and vkey, then take both down.
    const specs = ['w1', 'w2'].map((n) => ({
      key: path.join(dir, `${n}.pem`),
      state: path.join(dir, `${n}-state.json`),
      name: `witness.test/${n}`,
    }));
    // The ledger's origin and key are fixed at its first start: boot it first, then point the witnesses at it.
    let svc: SurfaceApp | undefined;
    const witnesses: WitnessProcess[] = [];
    try {
      // Any log key will do for the first start (it only makes the key and a free port).
      const placeholder = path.join(dir, 'placeholder.pub.pem');
      fs.writeFileSync(
        placeholder,
        (await import('node:crypto')).generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
      );
      const probes = await Promise.all(specs.map((s) => startWitness({ ...s, logs: [`x/y=${placeholder}`] })));
      const config: WitnessConfig[] = probes.map((w) => ({ name: w.name, url: w.url, publicKey: w.vkey }));
      await Promise.all(probes.map((w) => w.kill()));

      svc = await bootSurfaceApp({ LEDGER_WITNESSES: JSON.stringify(config), LOG_LEVEL: 'error' }, (c) => {
        c.witnessRetry = { retryMinMs: 50, retryMaxMs: 400, timeoutMs: 2000 };
      });
      const app = svc;
      const post = (p: string, body: unknown) =>
        fetch(`${app.base}${p}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer k-admin' },
          body: JSON.stringify(body),
        });
      // Every witness down: commands and checkpoints go on.
      for (let i = 0; i < 12; i++) {
        const r = await post('/api/commands/RegisterPerson', {
          data: { personId: `p-${i}`, name: `P ${i}`, rank: 'staff', clearance: 'SECRET', unit: 'office' },
        });
        expect(r.status).toBe(200);
        if (i % 4 === 3) expect((await post('/api/ledger/checkpoints', {})).status).toBe(200);
      }
      const down = await (await fetch(`${app.base}/api/ledger/checkpoint`)).text();
      expect(signatureLines(down)).toHaveLength(1);
      const origin = down.split('\n')[0];
      const ledgerPub = path.join(app.dir, PUBLIC_KEY_FILE);

      // They come back (same ports, same keys, now witnessing this ledger): the publisher catches them up.
      for (const [i, s] of specs.entries())
        witnesses.push(await startWitness({ ...s, port: probes[i].port, logs: [`${origin}=${ledgerPub}`] }));
      await until('both cosignatures on the latest checkpoint', async () => {
        const note = await (await fetch(`${app.base}/api/ledger/checkpoint`)).text();
        return signatureLines(note).length === 3;
      });
      const note = await (await fetch(`${app.base}/api/ledger/checkpoint`)).text();
      expect(signatureLines(note).map((l) => l.split(' ')[1])).toEqual([origin, 'witness.test/w1', 'witness.test/w2']);

      const ledger = app.app.get(Ledger);
      const named = config.map((w) => ({ name: w.name, publicKey: w.publicKey }));
      const verdict = await ledger.verify({
        publicKeyPem: fs.readFileSync(ledgerPub, 'utf8'),
        witnesses: named,
        quorum: 2,
      });
      expect(verdict.witnesses).toMatchObject({
        ok: true,
        cosigned: expect.arrayContaining(['witness.test/w1', 'witness.test/w2']),
      });
      expect(verdict.ok).toBe(true);

      // One witness goes away again; a new checkpoint reaches only the other: quorum 2 fails, naming the missing one.
      await witnesses[1].kill();
      expect(
        (
          await post('/api/commands/RegisterPerson', {
            data: { personId: 'p-late', name: 'Late', rank: 'staff', clearance: 'SECRET', unit: 'office' },
          })
        ).status,
      ).toBe(200);
      expect((await post('/api/ledger/checkpoints', {})).status).toBe(200);
      await until('w1 on the newest checkpoint', async () => {
        const n = await (await fetch(`${app.base}/api/ledger/checkpoint`)).text();
        return signatureLines(n).length === 2;
      });
      const short = await ledger.verify({
        publicKeyPem: fs.readFileSync(ledgerPub, 'utf8'),
        witnesses: named,
        quorum: 2,
      });
      expect(short.ok).toBe(false);
      expect(short.witnesses).toMatchObject({ ok: false, missing: ['witness.test/w2'] });
      expect(short.witnesses!.detail).toContain('witness.test/w2');
      expect(
        (await ledger.verify({ publicKeyPem: fs.readFileSync(ledgerPub, 'utf8'), witnesses: named, quorum: 1 })).ok,
      ).toBe(true);
    } finally {
      await svc?.close();
      await Promise.all(witnesses.map((w) => w.kill()));
    }
  }, 180_000);

  it('a store re-sealed and re-signed with the genuine key: the witness refuses it and the quorum fails', async () => {
    const dataDir = fs.mkdtempSync(path.join(dir, 'ledger-'));
    const built = await buildLedger(dataDir);
    const origin = `custody-ledger/${fs.readFileSync(path.join(dataDir, 'ledger-id'), 'utf8').trim()}`;
    const ledgerPub = path.join(dataDir, PUBLIC_KEY_FILE);
    const pinned = fs.readFileSync(ledgerPub, 'utf8');
    const w = await startWitness({
      key: path.join(dir, 'w3.pem'),
      state: path.join(dir, 'w3-state.json'),
      name: 'witness.test/w3',
      logs: [`${origin}=${ledgerPub}`],
    });
    const named = [{ name: w.name, publicKey: w.vkey }];
    const openLedger = () =>
      Ledger.open({
        dataDir,
        clock: new ManualClock('2026-06-01T10:00:00Z'),
        checkpointIntervalMs: 0,
        schedulerIntervalMs: 0,
        witnesses: [{ name: w.name, url: w.url, publicKey: w.vkey }],
        witnessRetry: { retryMinMs: 50, retryMaxMs: 200 },
      });
    try {
      // The honest ledger: the witness co-signs its latest checkpoint.
      let ledger = await openLedger();
      await ledger.start();
      expect(await ledger.witnesses!.waitFor(built.lastCheckpointSize, 20_000)).toBe(true);
      expect((await verifyLedgerIntegrity(ledger.core.store, { publicKeyPem: pinned, witnesses: named })).ok).toBe(
        true,
      );
      await ledger.close();

      // The insider rewrites one person's name, re-seals every chain and re-signs every checkpoint with the real key.
      await resealAndResign(dataDir, (e) =>
        e.streamId === 'person-p-00003' ? { ...e, data: { ...(e.data as object), name: 'Nobody' } } : e,
      );
      const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-06-01T10:00:00Z') });
      // Everything inside the directory agrees with itself...
      expect((await verifyLedgerIntegrity(core.store, { publicKeyPem: pinned })).ok).toBe(true);
      await core.close();

      // ...and the ledger goes on: its next checkpoint is sent to the witness, which refuses it (no consistency).
      ledger = await openLedger();
      await ledger.start();
      await registerPersons(ledger.core, 900, 2);
      await ledger.checkpoints.signNow();
      await until('the refusal', () => /refused with 422/.test(ledger.witnesses!.status()[0].lastError ?? ''), 20_000);
      const verdict = await verifyLedgerIntegrity(ledger.core.store, {
        publicKeyPem: pinned,
        witnesses: named,
        quorum: 1,
      });
      expect(verdict.ok).toBe(false);
      expect(verdict.witnesses).toMatchObject({ ok: false, cosigned: [], missing: ['witness.test/w3'] });
      await ledger.close();
      // The witness still holds the honest tree.
      const state = new FileWitnessState(path.join(dir, 'w3-state.json')).load();
      expect(state[origin].treeSize).toBe(built.lastCheckpointSize);
    } finally {
      await w.kill();
    }
  }, 180_000);
});
