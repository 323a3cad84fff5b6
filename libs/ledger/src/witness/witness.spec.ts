import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { MerkleLog } from '../integrity/merkle';
import { ed25519NoteSigner, ed25519NoteVerifier, formatVkey, parseNote, signNote } from '../note/signed-note';
import { formatCheckpointText } from '../note/tlog-checkpoint';
import { ed25519CosignatureVerifier, isCosignatureBy } from '../note/cosignature';
import { Witness } from './witness';
import { FileWitnessState, MemoryWitnessState } from './witness-state';
import { formatAddCheckpoint } from './add-checkpoint';

const ORIGIN = 'custody-ledger/test-log';
const logKey = generateKeyPairSync('ed25519');
const witnessKey = generateKeyPairSync('ed25519');
const logs = new Map([[ORIGIN, [ed25519NoteVerifier(ORIGIN, logKey.publicKey)]]]);
const cosigVerifier = ed25519CosignatureVerifier('witness.test/w1', witnessKey.publicKey);

/** A log of `n` leaves whose leaf i is derived from `tag` (two tags: two forks of one history). */
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

const checkpointNote = (log: MerkleLog, size: number, key = logKey.privateKey, origin = ORIGIN): string =>
  signNote(formatCheckpointText({ origin, treeSize: size, rootHash: log.root(size), extensions: [] }), [
    ed25519NoteSigner(origin, key),
  ]);

const request = (log: MerkleLog, oldSize: number, size: number, note = checkpointNote(log, size)): string =>
  formatAddCheckpoint({ oldSize, proof: log.consistencyProof(oldSize, size), checkpoint: note });

const newWitness = (state = new MemoryWitnessState()) =>
  new Witness({ name: 'witness.test/w1', privateKey: witnessKey.privateKey, logs, state, now: () => 1_780_000_000 });

describe('a C2SP tlog-witness', () => {
  const log = logOf(40);

  it('co-signs the first checkpoint (old 0) and then each consistent one, with cosignature/v1 lines', () => {
    const w = newWitness();
    const first = w.addCheckpoint(request(log, 0, 10));
    expect(first.status).toBe(200);
    const note = checkpointNote(log, 10);
    const [sig] = parseNote(`${parseNote(note).text}\n${first.body}`).signatures;
    expect(isCosignatureBy(cosigVerifier, parseNote(note).text, sig)).toBe(true);
    expect(w.addCheckpoint(request(log, 10, 25)).status).toBe(200);
    expect(w.latest(ORIGIN)).toMatchObject({ treeSize: 25, rootHash: log.root(25) });
  });

  it('refuses a smaller tree: 409 with the known size (text/x.tlog.size), or 400 when old > size', () => {
    const w = newWitness();
    w.addCheckpoint(request(log, 0, 20));
    const stale = w.addCheckpoint(request(log, 0, 12));
    expect(stale).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '20\n' });
    const backwards = w.addCheckpoint(
      formatAddCheckpoint({ oldSize: 20, proof: [], checkpoint: checkpointNote(log, 12) }),
    );
    expect(backwards.status).toBe(400);
    expect(w.latest(ORIGIN)?.treeSize).toBe(20);
  });

  it('refuses a fork — the same size with another root (422) — and a bad consistency proof (422)', () => {
    const w = newWitness();
    w.addCheckpoint(request(log, 0, 16));
    const fork = logOf(40, 'forged', 8);
    const sameSize = w.addCheckpoint(request(fork, 16, 16));
    expect(sameSize.status).toBe(422);
    expect(sameSize.body).toMatch(/^fork/);
    // A longer forged tree: no valid consistency proof from the co-signed 16 exists; the forger's own proof fails.
    const longer = w.addCheckpoint(request(fork, 16, 30));
    expect(longer.status).toBe(422);
    expect(longer.body).toMatch(/consistency proof/);
    // A proof with one hash flipped.
    const proof = log.consistencyProof(16, 30);
    proof[0] = proof[0].replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(
      w.addCheckpoint(formatAddCheckpoint({ oldSize: 16, proof, checkpoint: checkpointNote(log, 30) })).status,
    ).toBe(422);
    expect(w.latest(ORIGIN)).toMatchObject({ treeSize: 16, rootHash: log.root(16) });
  });

  it('refuses an unknown origin (404), a checkpoint not signed by the log key (403), a malformed body (400)', () => {
    const w = newWitness();
    expect(w.addCheckpoint(request(log, 0, 5, checkpointNote(log, 5, logKey.privateKey, 'other/log'))).status).toBe(
      404,
    );
    const attacker = generateKeyPairSync('ed25519').privateKey;
    expect(w.addCheckpoint(request(log, 0, 5, checkpointNote(log, 5, attacker))).status).toBe(403);
    // The log's signature line over other text: a known key whose signature fails.
    const good = checkpointNote(log, 5);
    const tampered = good.replace(/^(.*\n)5\n/, '$16\n');
    expect(w.addCheckpoint(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: tampered })).status).toBe(403);
    expect(w.addCheckpoint('old 01\n\n' + good).status).toBe(400);
    expect(w.addCheckpoint('new 0\n\n' + good).status).toBe(400);
    expect(w.latest(ORIGIN)).toBeUndefined();
  });

  it('keeps its state across a restart (the state file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'witness-state-'));
    try {
      const file = join(dir, 'state.json');
      const a = newWitness(new FileWitnessState(file) as unknown as MemoryWitnessState);
      expect(a.addCheckpoint(request(log, 0, 18)).status).toBe(200);
      const b = newWitness(new FileWitnessState(file) as unknown as MemoryWitnessState);
      expect(b.latest(ORIGIN)).toMatchObject({ treeSize: 18, rootHash: log.root(18) });
      expect(b.addCheckpoint(request(log, 0, 20))).toMatchObject({ status: 409, body: '18\n' });
      expect(b.addCheckpoint(request(logOf(40, 'forged', 3), 18, 18)).status).toBe(422);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the state file: two slots written in place', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'witness-slots-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const stateAt = (
      size: number,
      extra = '',
    ): Record<string, { treeSize: number; rootHash: string; note: string }> => ({
      [ORIGIN]: { treeSize: size, rootHash: log.root(Math.min(size, 40)), note: `note ${size}${extra}` },
    });

    it('reads a state file of the first format (one JSON document) and migrates it on the first save', () => {
      const file = join(dir, 'state.json');
      const old = { format: 'custody-ledger-witness-state/1', logs: stateAt(18) };
      writeFileSync(file, JSON.stringify(old, null, 2) + '\n');
      const w = newWitness(new FileWitnessState(file) as unknown as MemoryWitnessState);
      expect(w.latest(ORIGIN)).toMatchObject({ treeSize: 18 });
      expect(w.addCheckpoint(request(log, 0, 20)).status).toBe(409);
      expect(w.addCheckpoint(request(log, 18, 20)).status).toBe(200);
      expect(readFileSync(file, 'latin1')).toMatch(/^custody-ledger-witness-state\/2 1 /);
      expect(new FileWitnessState(file).load()[ORIGIN]).toMatchObject({ treeSize: 20, rootHash: log.root(20) });
    });

    it('after the first save, every save rewrites a slot of the same file in place, alternating', () => {
      const file = join(dir, 'state.json');
      const store = new FileWitnessState(file);
      store.save(stateAt(1));
      const { ino, size } = statSync(file);
      for (let n = 2; n <= 6; n++) {
        store.save(stateAt(n));
        expect(statSync(file)).toMatchObject({ ino, size });
        const bytes = readFileSync(file);
        // The new generation in one slot, the previous one whole in the other.
        const heads = [0, size / 2].map((at) => bytes.toString('latin1', at, bytes.indexOf(0x0a, at)).split(' ')[1]);
        expect(heads.map(Number).sort()).toEqual([n - 1, n]);
        expect(new FileWitnessState(file).load()).toEqual(stateAt(n));
      }
    });

    it('property: a crash anywhere in a slot write leaves the previous state or the new one, never less', () => {
      const file = join(dir, 'state.json');
      const store = new FileWitnessState(file);
      store.save(stateAt(1));
      store.save(stateAt(2));
      const before = readFileSync(file);
      const afterFile = join(dir, 'after.json');
      copyFileSync(file, afterFile);
      const next = new FileWitnessState(afterFile);
      next.load();
      next.save(stateAt(3));
      const after = readFileSync(afterFile);
      // The one slot that changed: its first `cut` bytes new, the rest as they were (a torn write).
      const slot = before.subarray(0, before.length / 2).equals(after.subarray(0, after.length / 2)) ? 1 : 0;
      const from = (slot * before.length) / 2;
      const torn = join(dir, 'torn.json');
      fc.assert(
        fc.property(fc.integer({ min: 0, max: before.length / 2 }), fc.boolean(), (cut, garbage) => {
          const bytes = Buffer.concat([after.subarray(0, from + cut), before.subarray(from + cut)]);
          // A torn sector may also hold bytes that are neither old nor new.
          if (garbage && cut < before.length / 2) bytes[from + cut] ^= 0x5a;
          writeFileSync(torn, bytes);
          const loaded = new FileWitnessState(torn).load();
          expect([stateAt(2), stateAt(3)]).toContainEqual(loaded);
        }),
        { numRuns: 300 },
      );
    });

    it('with both slots torn it refuses to start rather than forget what it co-signed', () => {
      const file = join(dir, 'state.json');
      const store = new FileWitnessState(file);
      store.save(stateAt(1));
      store.save(stateAt(2));
      const bytes = readFileSync(file);
      bytes[100] ^= 1;
      bytes[bytes.length / 2 + 100] ^= 1;
      writeFileSync(file, bytes);
      expect(() => new FileWitnessState(file).load()).toThrow(/neither slot/);
      writeFileSync(file, bytes.subarray(0, 1000));
      expect(() => new FileWitnessState(file).load()).toThrow(/not a custody-ledger-witness-state\/2 file/);
    });

    it('a state that outgrows its slot is written to a larger file, replaced atomically', () => {
      const file = join(dir, 'state.json');
      const store = new FileWitnessState(file);
      store.save(stateAt(1));
      const small = statSync(file).size;
      const big = stateAt(2, 'x'.repeat(3 * small));
      store.save(big);
      expect(statSync(file).size).toBeGreaterThan(small);
      expect(new FileWitnessState(file).load()).toEqual(big);
      store.save(stateAt(3));
      expect(new FileWitnessState(file).load()).toEqual(stateAt(3));
    });
  });

  describe('key hand-overs', () => {
    const nextKey = generateKeyPairSync('ed25519');
    /** A checkpoint naming `to` in a `key <vkey>` line, signed by each of `signers`. */
    const handoverNote = (size: number, to: typeof nextKey, signers: (typeof nextKey)[], name = ORIGIN): string =>
      signNote(
        formatCheckpointText({
          origin: ORIGIN,
          treeSize: size,
          rootHash: log.root(size),
          extensions: [`key ${formatVkey(name, to.publicKey)}`],
        }),
        signers.map((k) => ed25519NoteSigner(ORIGIN, k.privateKey)),
      );

    it('co-signs the hand-over signed by the old and the new key, then trusts the new key alone', () => {
      const dir = mkdtempSync(join(tmpdir(), 'witness-handover-'));
      try {
        const file = join(dir, 'state.json');
        const w = newWitness(new FileWitnessState(file) as unknown as MemoryWitnessState);
        expect(w.addCheckpoint(request(log, 0, 10)).status).toBe(200);
        // Before the hand-over the new key is nobody to the witness.
        expect(w.addCheckpoint(request(log, 10, 12, checkpointNote(log, 12, nextKey.privateKey))).status).toBe(403);
        const handover = w.addCheckpoint(request(log, 10, 15, handoverNote(15, nextKey, [logKey, nextKey])));
        expect(handover.status).toBe(200);
        // The state file says so, written with the cosignature: a restarted witness (same configuration, the old
        // key only) follows the hand-over.
        const restarted = newWitness(new FileWitnessState(file) as unknown as MemoryWitnessState);
        expect(restarted.latest(ORIGIN)).toMatchObject({
          treeSize: 15,
          keys: [formatVkey(ORIGIN, nextKey.publicKey)],
          retired: [ed25519NoteVerifier(ORIGIN, logKey.publicKey).keyId.toString('hex')],
        });
        expect(restarted.addCheckpoint(request(log, 15, 20, checkpointNote(log, 20, nextKey.privateKey))).status).toBe(
          200,
        );
        // The old key is retired: a checkpoint it signs alone, even a consistent one, is not co-signed.
        const byOld = restarted.addCheckpoint(request(log, 20, 25));
        expect(byOld.status).toBe(403);
        expect(byOld.body).toMatch(/no signature by a known key/);
        const stranger = generateKeyPairSync('ed25519').privateKey;
        expect(restarted.addCheckpoint(request(log, 20, 25, checkpointNote(log, 25, stranger))).status).toBe(403);
        expect(restarted.latest(ORIGIN)?.treeSize).toBe(20);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a hand-over the new key did not sign, or to a key of another name, and trusts nothing new', () => {
      const w = newWitness();
      expect(w.addCheckpoint(request(log, 0, 10)).status).toBe(200);
      const unsignedByNew = w.addCheckpoint(request(log, 10, 15, handoverNote(15, nextKey, [logKey])));
      expect(unsignedByNew.status).toBe(403);
      expect(unsignedByNew.body).toMatch(/^key hand-over: the new key [0-9a-f]{8} did not sign it/);
      const otherName = w.addCheckpoint(request(log, 10, 15, handoverNote(15, nextKey, [logKey, nextKey], 'x/y')));
      expect(otherName.status).toBe(403);
      expect(w.latest(ORIGIN)).toMatchObject({ treeSize: 10 });
      expect(w.latest(ORIGIN)?.keys).toBeUndefined();
      expect(w.addCheckpoint(request(log, 10, 12, checkpointNote(log, 12, nextKey.privateKey))).status).toBe(403);
      // A thief holding only the new key cannot hand over to it: the old key's signature is what the witness trusts.
      expect(w.addCheckpoint(request(log, 10, 15, handoverNote(15, nextKey, [nextKey]))).status).toBe(403);
    });

    it('an inconsistent hand-over changes no key', () => {
      const w = newWitness();
      expect(w.addCheckpoint(request(log, 0, 10)).status).toBe(200);
      const fork = logOf(40, 'forged', 4);
      const note = signNote(
        formatCheckpointText({
          origin: ORIGIN,
          treeSize: 15,
          rootHash: fork.root(15),
          extensions: [`key ${formatVkey(ORIGIN, nextKey.publicKey)}`],
        }),
        [ed25519NoteSigner(ORIGIN, logKey.privateKey), ed25519NoteSigner(ORIGIN, nextKey.privateKey)],
      );
      expect(w.addCheckpoint(request(fork, 10, 15, note)).status).toBe(422);
      expect(w.addCheckpoint(request(log, 10, 12, checkpointNote(log, 12, nextKey.privateKey))).status).toBe(403);
      expect(w.addCheckpoint(request(log, 10, 12)).status).toBe(200);
    });
  });

  it('property: whatever the order of add-checkpoint calls from two forks, no size is co-signed with two roots', () => {
    const forks = [log, logOf(40, 'forged', 6)];
    const call = fc.record({
      fork: fc.integer({ min: 0, max: 1 }),
      old: fc.integer({ min: 0, max: 40 }),
      size: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 30 }), (calls) => {
        const w = newWitness();
        const cosigned = new Map<number, string>();
        let last = { size: 0, root: '' };
        for (const c of calls) {
          const f = forks[c.fork];
          const old = Math.min(c.old, c.size);
          const r = w.addCheckpoint(request(f, old, c.size));
          if (r.status !== 200) continue;
          const root = f.root(c.size);
          expect(cosigned.get(c.size) ?? root).toBe(root);
          // Every co-signed tree extends the previous one.
          expect(c.size).toBeGreaterThanOrEqual(last.size);
          if (last.size > 0) expect(f.root(last.size)).toBe(last.root);
          cosigned.set(c.size, root);
          last = { size: c.size, root };
        }
      }),
      { numRuns: 200 },
    );
  });
});
