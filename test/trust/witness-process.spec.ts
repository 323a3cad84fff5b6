import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  FileWitnessState,
  MerkleLog,
  Witness,
  ed25519CosignatureVerifier,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatAddCheckpoint,
  formatCheckpointText,
  isCosignatureBy,
  parseNote,
  parseVkey,
  signNote,
} from '@app/ledger';
import { serveWitness } from '../../apps/ledger-cli/src/witness/witness-server';
import { startWitness, type WitnessProcess } from './witness-support';

const ORIGIN = 'custody-ledger/witness-test';
const logKey = generateKeyPairSync('ed25519');

const logOf = (n: number, tag = 'main', forkAt = Infinity): MerkleLog => {
  const log = new MerkleLog();
  for (let i = 0; i < n; i++)
    log.append(
      createHash('sha256')
        .update(`${i < forkAt ? 'main' : tag}:${i}`)
        .digest('hex'),
    );
  return log;
};
const noteOf = (log: MerkleLog, size: number) =>
  signNote(formatCheckpointText({ origin: ORIGIN, treeSize: size, rootHash: log.root(size), extensions: [] }), [
    ed25519NoteSigner(ORIGIN, logKey.privateKey),
  ]);
const addCheckpoint = (url: string, log: MerkleLog, oldSize: number, size: number) =>
  fetch(`${url}/add-checkpoint`, {
    method: 'POST',
    body: formatAddCheckpoint({ oldSize, proof: log.consistencyProof(oldSize, size), checkpoint: noteOf(log, size) }),
  });

describe('the witness process (witness serve)', () => {
  let dir: string;
  let pubFile: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witness-proc-'));
    pubFile = path.join(dir, 'log.pub.pem');
    fs.writeFileSync(pubFile, logKey.publicKey.export({ type: 'spki', format: 'pem' }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('speaks add-checkpoint over HTTP and keeps its state across a restart', async () => {
    const opts = {
      key: path.join(dir, 'w1.pem'),
      state: path.join(dir, 'w1-state.json'),
      logs: [`${ORIGIN}=${pubFile}`],
      name: 'witness.test/w1',
    };
    const log = logOf(30);
    let w: WitnessProcess = await startWitness(opts);
    try {
      const ok = await addCheckpoint(w.url, log, 0, 12);
      expect(ok.status).toBe(200);
      const line = await ok.text();
      const text = parseNote(noteOf(log, 12)).text;
      const verifier = ed25519CosignatureVerifier(w.name, parseVkey(w.vkey).publicKey);
      expect(isCosignatureBy(verifier, text, parseNote(`${text}\n${line}`).signatures[0])).toBe(true);
      expect(fs.statSync(opts.key).mode & 0o777).toBe(0o600);
      await w.kill();
      w = await startWitness(opts);
      const stale = await addCheckpoint(w.url, log, 0, 20);
      expect(stale.status).toBe(409);
      expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
      expect(await stale.text()).toBe('12\n');
      const monitor = await fetch(`${w.url}/${createHash('sha256').update(ORIGIN).digest('hex')}/checkpoint`);
      expect(await monitor.text()).toContain(`\n12\n`);
      expect((await addCheckpoint(w.url, logOf(30, 'forged', 4), 12, 20)).status).toBe(422);
      expect((await addCheckpoint(w.url, log, 12, 20)).status).toBe(200);
    } finally {
      await w.kill();
    }
  }, 180_000);

  it('a SIGKILL while it writes its state loses nothing it already answered', async () => {
    const opts = {
      key: path.join(dir, 'w2.pem'),
      state: path.join(dir, 'w2-state.json'),
      logs: [`${ORIGIN}=${pubFile}`],
      name: 'witness.test/w2',
    };
    const log = logOf(400);
    for (const killAfterMs of [20, 80, 200]) {
      const w = await startWitness(opts);
      let size = new FileWitnessState(opts.state).load()[ORIGIN]?.treeSize ?? 0;
      // One answered request first, then the kill comes while requests keep arriving.
      expect((await addCheckpoint(w.url, log, size, size + 1)).status).toBe(200);
      size += 1;
      let answered = size;
      const killer = new Promise<void>((r) => setTimeout(r, killAfterMs)).then(() => w.kill('SIGKILL'));
      // Back-to-back requests, each growing the tree by one: the kill lands in the middle of one, often mid-save.
      while (size < 400) {
        try {
          const r = await addCheckpoint(w.url, log, size, size + 1);
          if (r.status !== 200) throw new Error(`unexpected ${r.status}: ${await r.text()}`);
          size += 1;
          answered = size;
        } catch (e) {
          if (/unexpected/.test(String(e))) throw e;
          break; // the process is gone
        }
      }
      await killer;
      const kept = new FileWitnessState(opts.state).load()[ORIGIN];
      // Every answered co-signature is on disk; at most the one in flight beyond it.
      expect(kept.treeSize).toBeGreaterThanOrEqual(answered);
      expect(kept.rootHash).toBe(log.root(kept.treeSize));
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length).toBeLessThanOrEqual(3);
    }
  }, 180_000);

  it('property: concurrent add-checkpoint calls for one origin never co-sign two roots for one size', async () => {
    const witnessKey = generateKeyPairSync('ed25519');
    const forks = [logOf(24), logOf(24, 'forged', 5), logOf(24, 'other', 11)];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ fork: fc.integer({ min: 0, max: 2 }), old: fc.nat(24), size: fc.integer({ min: 1, max: 24 }) }),
          { minLength: 2, maxLength: 24 },
        ),
        async (calls) => {
          const witness = new Witness({
            name: 'witness.test/p',
            privateKey: witnessKey.privateKey,
            logs: new Map([[ORIGIN, [ed25519NoteVerifier(ORIGIN, logKey.publicKey)]]]),
            state: new FileWitnessState(path.join(dir, `p-${process.hrtime.bigint()}.json`)),
          });
          const served = await serveWitness(witness, 0);
          try {
            // All at once, over real connections: the server interleaves them as they arrive.
            const results = await Promise.all(
              calls.map(async (c) => {
                const old = Math.min(c.old, c.size);
                const r = await addCheckpoint(`http://127.0.0.1:${served.port}`, forks[c.fork], old, c.size);
                return { ...c, status: r.status, root: forks[c.fork].root(c.size) };
              }),
            );
            const rootsBySize = new Map<number, Set<string>>();
            for (const r of results.filter((x) => x.status === 200))
              (rootsBySize.get(r.size) ?? rootsBySize.set(r.size, new Set()).get(r.size)!).add(r.root);
            for (const roots of rootsBySize.values()) expect(roots.size).toBe(1);
            // And the co-signed trees are one history: each smaller one is a prefix of the largest.
            const sizes = [...rootsBySize.keys()].sort((a, b) => a - b);
            if (sizes.length > 0) {
              const top = results.find((r) => r.status === 200 && r.size === sizes[sizes.length - 1])!;
              for (const s of sizes) expect(forks[top.fork].root(s)).toBe([...rootsBySize.get(s)!][0]);
            }
          } finally {
            await served.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
