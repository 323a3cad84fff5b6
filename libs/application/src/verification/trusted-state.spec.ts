import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MerkleLog, sha256Hex } from '@app/ledger';
import {
  compareWithTrustedState,
  nextTrustedState,
  readTrustedState,
  writeTrustedState,
  TRUSTED_STATE_FORMAT,
  type PinnableCheckpoint,
  type TrustedState,
} from './trusted-state';

const logOf = (n: number, salt = ''): MerkleLog => {
  const log = new MerkleLog();
  for (let i = 0; i < n; i++) log.append(sha256Hex(Buffer.from(`${salt}event-${i}`)));
  return log;
};
const checkpointOf = (log: MerkleLog, size = log.size): PinnableCheckpoint => ({
  treeSize: size,
  rootHash: log.root(size),
  keyId: 'k1',
  signedAt: '2026-06-01T00:00:00.000Z',
});
const pin = (cp: PinnableCheckpoint): TrustedState => nextTrustedState(cp, 'store', '2026-06-01T00:00:01.000Z');
const evidenceOf = (log: MerkleLog) => ({
  proof: (a: number, b: number) => (log.size >= b ? log.consistencyProof(a, b) : null),
  rootAt: (n: number) => (log.size >= n ? log.root(n) : null),
});

describe('compareWithTrustedState', () => {
  const honest = logOf(40);

  it('pins on a first run, and has nothing to pin without a checkpoint', () => {
    expect(compareWithTrustedState(null, checkpointOf(honest, 30), evidenceOf(honest))).toMatchObject({
      status: 'first-run',
      ok: true,
      now: { treeSize: 30 },
    });
    expect(compareWithTrustedState(null, null, evidenceOf(honest))).toMatchObject({
      status: 'nothing-to-pin',
      ok: true,
    });
  });

  it('accepts the same checkpoint and a larger tree that extends it (consistency proof verified)', () => {
    const pinned = pin(checkpointOf(honest, 25));
    expect(compareWithTrustedState(pinned, checkpointOf(honest, 25), evidenceOf(honest)).status).toBe('consistent');
    expect(compareWithTrustedState(pinned, checkpointOf(honest, 40), evidenceOf(honest))).toMatchObject({
      status: 'consistent',
      ok: true,
      before: { treeSize: 25 },
      now: { treeSize: 40 },
    });
  });

  it('says rolled-back, with both sizes, for a smaller tree or no checkpoint at all', () => {
    const pinned = pin(checkpointOf(honest, 40));
    const smaller = compareWithTrustedState(pinned, checkpointOf(honest, 26), evidenceOf(honest));
    expect(smaller).toMatchObject({
      status: 'rolled-back',
      ok: false,
      before: { treeSize: 40 },
      now: { treeSize: 26 },
    });
    expect(smaller.detail).toMatch(/40 events.*26/);
    expect(compareWithTrustedState(pinned, null, evidenceOf(honest))).toMatchObject({
      status: 'rolled-back',
      now: null,
    });
  });

  it('says fork, with the size and both roots, for another root at the pinned size or a tree that does not extend it', () => {
    const forged = logOf(40, 'forged-');
    const pinned = pin(checkpointOf(honest, 30));
    expect(compareWithTrustedState(pinned, checkpointOf(forged, 30), evidenceOf(forged))).toMatchObject({
      status: 'fork',
      ok: false,
      fork: { treeSize: 30, pinnedRoot: honest.root(30), rootNow: forged.root(30) },
    });
    const larger = compareWithTrustedState(pinned, checkpointOf(forged, 40), evidenceOf(forged));
    expect(larger).toMatchObject({
      status: 'fork',
      fork: { treeSize: 30, pinnedRoot: honest.root(30), rootNow: forged.root(30) },
    });
    expect(larger.detail).toContain(honest.root(30));
    expect(larger.detail).toContain(forged.root(30));
    // Without the whole tree (a bundle), the proof alone still refuses; the checkpoint's root is the one named.
    const proofOnly = compareWithTrustedState(pinned, checkpointOf(forged, 40), {
      proof: (a, b) => forged.consistencyProof(a, b),
    });
    expect(proofOnly).toMatchObject({ status: 'fork', fork: { rootNow: forged.root(40) } });
  });

  it('says unproven when a larger tree comes with no proof', () => {
    const pinned = pin(checkpointOf(honest, 30));
    expect(compareWithTrustedState(pinned, checkpointOf(honest, 40), { proof: () => null })).toMatchObject({
      status: 'unproven',
      ok: false,
    });
  });
});

describe('the trusted-state file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trusted-state-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips, replacing the file whole and leaving no temp file', () => {
    const file = path.join(dir, 'nested', 'state.json');
    expect(readTrustedState(file)).toBeNull();
    const state = pin(checkpointOf(logOf(10)));
    writeTrustedState(file, state);
    writeTrustedState(file, { ...state, treeSize: 10 });
    expect(readTrustedState(file)).toEqual({ ...state, treeSize: 10 });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);
  });

  it('refuses a file that is not a trusted state, naming what is wrong', () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ format: TRUSTED_STATE_FORMAT, treeSize: -1, rootHash: 'x' }));
    expect(() => readTrustedState(file)).toThrow(/treeSize must be an integer >= 0/);
    fs.writeFileSync(file, JSON.stringify({ format: 'other' }));
    expect(() => readTrustedState(file)).toThrow(/format is not custody-ledger-trusted-state\/1/);
  });
});
