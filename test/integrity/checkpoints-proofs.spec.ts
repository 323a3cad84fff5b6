import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, createPublicKey, generateKeyPairSync, verify as edVerify } from 'node:crypto';
import {
  ManualClock,
  SqliteEventStore,
  CHECKPOINT_STREAM,
  type RecordedEvent,
  eventHash,
  sealEvents,
  signCheckpoint,
  fromPem,
  verifyCheckpoint,
} from '@app/ledger';
import { LedgerCore, CHECKPOINT_SIGNED, CheckpointService, verifyLedgerIntegrity } from '@app/application';
import { writeStoredEvent } from '@app/ledger/testing';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

// ---------------------------------------------------------------------------------------------------------------
// An independent RFC 9162 verifier, written from the RFC's recursive definitions (§2.1.1, §2.1.3.1, §2.1.4.1) and
// sharing no code with libs/ledger/src/integrity/merkle-log.ts (which uses the iterative §2.1.3.2/§2.1.4.2 loops).
// ---------------------------------------------------------------------------------------------------------------
const sha = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const rfcLeaf = (eventHashHex: string): Buffer => sha(Buffer.from([0]), Buffer.from(eventHashHex, 'hex'));
const rfcNode = (l: Buffer, r: Buffer): Buffer => sha(Buffer.from([1]), l, r);
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1)); // largest power of two < n (n >= 2)
const mth = (leaves: Buffer[]): Buffer => {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return rfcNode(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
};

/** Root implied by PATH(m, D[0:n]) = PATH(m, D[0:k]) : MTH(D[k:n]) (or the mirror image): the last node is the top sibling. */
const rootFromPath = (m: number, n: number, leaf: Buffer, path: Buffer[]): Buffer | null => {
  if (n === 1) return path.length === 0 ? leaf : null;
  if (path.length === 0) return null;
  const k = split(n);
  const top = path[path.length - 1];
  const rest = path.slice(0, -1);
  if (m < k) {
    const left = rootFromPath(m, k, leaf, rest);
    return left && rfcNode(left, top);
  }
  const right = rootFromPath(m - k, n - k, leaf, rest);
  return right && rfcNode(top, right);
};
const independentInclusion = (
  eventHashHex: string,
  index: number,
  size: number,
  proof: string[],
  root: string,
): boolean => {
  if (index < 0 || index >= size) return false;
  const r = rootFromPath(
    index,
    size,
    rfcLeaf(eventHashHex),
    proof.map((p) => Buffer.from(p, 'hex')),
  );
  return r !== null && r.toString('hex') === root;
};

/**
 * (old root, new root) implied by SUBPROOF(m, D[0:n], b): for m <= k it is SUBPROOF(m, D[0:k], b) : MTH(D[k:n]), else
 * SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]); at m = n it is {} when b (the old root itself) and {MTH(D[0:m])} when not.
 */
const rootsFromSubproof = (
  m: number,
  n: number,
  b: boolean,
  proof: Buffer[],
  oldRoot: Buffer,
): [Buffer, Buffer] | null => {
  if (m === n) {
    if (b) return proof.length === 0 ? [oldRoot, oldRoot] : null;
    return proof.length === 1 ? [proof[0], proof[0]] : null;
  }
  if (proof.length === 0) return null;
  const k = split(n);
  const top = proof[proof.length - 1];
  const rest = proof.slice(0, -1);
  if (m <= k) {
    const sub = rootsFromSubproof(m, k, b, rest, oldRoot);
    return sub && [sub[0], rfcNode(sub[1], top)];
  }
  const sub = rootsFromSubproof(m - k, n - k, false, rest, oldRoot);
  return sub && [rfcNode(top, sub[0]), rfcNode(top, sub[1])];
};
const independentConsistency = (m: number, n: number, oldRoot: string, newRoot: string, proof: string[]): boolean => {
  if (m === 0 || m === n) return proof.length === 0 && (m === 0 || oldRoot === newRoot);
  if (m > n) return false;
  const roots = rootsFromSubproof(
    m,
    n,
    true,
    proof.map((p) => Buffer.from(p, 'hex')),
    Buffer.from(oldRoot, 'hex'),
  );
  return roots !== null && roots[0].toString('hex') === oldRoot && roots[1].toString('hex') === newRoot;
};
// ---------------------------------------------------------------------------------------------------------------

const SCENARIO = path.join(__dirname, '..', 'scenarios', 'public', 'classification-and-copies.json');
const AUDITOR = {
  name: 'auditor',
  roles: [
    'registrar',
    'custodian',
    'approver',
    'secrecy-officer',
    'responder',
    'investigator',
    'auditor',
    'admin',
  ] as never[],
};

const allEvents = async (store: {
  readAll(o: { after?: number; maxCount?: number }): Promise<RecordedEvent[]>;
}): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: out[out.length - 1]?.position, maxCount: 500 });
    out.push(...page);
    if (page.length < 500) return out;
  }
};

describe('a ledger after the copy scenario, with signed checkpoints', () => {
  let root: string;
  let dataDir: string;
  let core: LedgerCore;
  let checkpoints: CheckpointService;
  const clock = new ManualClock('2026-06-01T00:00:00Z');

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'integrity-'));
    dataDir = path.join(root, 'golden');
    const report = await runScenario(JSON.parse(fs.readFileSync(SCENARIO, 'utf8')) as Scenario, { dataDir });
    expect(report.ok).toBe(true);
    core = await LedgerCore.open({ dataDir, clock });
    checkpoints = CheckpointService.forCore(core, {});
  });

  afterAll(async () => {
    await core?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('keeps one leaf per stored event, in global order, each the RFC 9162 leaf of the stored hash', async () => {
    await core.readModels.catchUp();
    const events = await allEvents(core.store);
    expect(events.length).toBeGreaterThan(20);
    const { merkle } = core.readModels;
    expect(merkle.size).toBe(events.length);
    expect(events.map((e) => merkle.leafOf(e.eventId))).toEqual(
      events.map((e, i) => ({
        leafIndex: i,
        position: e.position,
        eventId: e.eventId,
        streamId: e.streamId,
        eventHash: e.metadata.hash,
        leafHash: rfcLeaf(String(e.metadata.hash)).toString('hex'),
      })),
    );
    expect(core.readModels.merkle.root()).toBe(
      mth(events.map((e) => rfcLeaf(String(e.metadata.hash)))).toString('hex'),
    );
  });

  it('signs a checkpoint of the whole log that verifies with the public key, by node crypto alone', async () => {
    const before = await allEvents(core.store);
    clock.set('2026-06-01T01:00:00Z');
    const { created, checkpoint } = await checkpoints.signNow();
    expect(created).toBe(true);
    const cp = checkpoint!;
    expect(cp.treeSize).toBe(before.length);
    expect(cp.position).toBe(before[before.length - 1].position);
    expect(cp.signedAt).toBe('2026-06-01T01:00:00.000Z');
    expect(cp.rootHash).toBe(mth(before.map((e) => rfcLeaf(String(e.metadata.hash)))).toString('hex'));
    // The signed bytes are the RFC 8785 form of the four members: for this flat object, sorted keys and no spaces.
    const signed = `{"position":${cp.position},"rootHash":"${cp.rootHash}","signedAt":"${cp.signedAt}","treeSize":${cp.treeSize}}`;
    expect(
      edVerify(
        null,
        Buffer.from(signed),
        createPublicKey(checkpoints.publicKeyPem),
        Buffer.from(cp.signature, 'base64'),
      ),
    ).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, 'signing-key.pub.pem'), 'utf8')).toBe(checkpoints.publicKeyPem);
    // It is an event of ledger-checkpoints, chained like any other, and a leaf of the tree from now on.
    const stream = await core.store.readStream(CHECKPOINT_STREAM);
    expect(stream.map((e) => [e.type, e.revision, e.eventId])).toEqual([[CHECKPOINT_SIGNED, 0, cp.eventId]]);
    await core.readModels.catchUp();
    expect(core.readModels.merkle.leafOf(cp.eventId)?.leafIndex).toBe(cp.treeSize);
  });

  it('signs nothing more while only checkpoints were appended, and again once a command recorded something', async () => {
    const again = await checkpoints.signNow();
    expect(again.created).toBe(false);
    expect((await checkpoints.list()).length).toBe(1);
    clock.set('2026-06-01T02:00:00Z');
    await core.execute('RegisterPlace', { data: { placeId: 'vault-2', name: 'second vault', kind: 'vault' } }, AUDITOR);
    clock.set('2026-06-01T03:00:00Z');
    const next = await checkpoints.signNow();
    expect(next.created).toBe(true);
    const list = await checkpoints.list();
    expect(list.map((c) => c.revision)).toEqual([1, 0]);
    // checkpoint event + the registration since the first checkpoint
    expect(list[0].treeSize).toBe(list[1].treeSize + 2);
  });

  it('serves inclusion proofs of every event that the independent verifier accepts against the signed root', async () => {
    const events = await allEvents(core.store);
    const latest = (await checkpoints.latest())!;
    for (const e of events.slice(0, latest.treeSize)) {
      const p = await checkpoints.inclusion(e.eventId);
      expect(p.checkpoint.eventId).toBe(latest.eventId);
      expect(p.eventHash).toBe(e.metadata.hash);
      expect(p.leafHash).toBe(rfcLeaf(e.metadata.hash).toString('hex'));
      expect(p.treeSize).toBe(latest.treeSize);
      expect(independentInclusion(e.metadata.hash, p.leafIndex, p.treeSize, p.proof, latest.rootHash)).toBe(true);
      expect(verifyCheckpoint(p.checkpoint, checkpoints.publicKeyPem)).toBe(true);
    }
    // The verifier is not vacuous: a wrong index, a flipped node or another root is refused.
    const p = await checkpoints.inclusion(events[5].eventId);
    expect(independentInclusion(events[5].metadata.hash, p.leafIndex + 1, p.treeSize, p.proof, p.rootHash)).toBe(false);
    const flipped = [...p.proof];
    flipped[0] = (flipped[0][0] === '0' ? '1' : '0') + flipped[0].slice(1);
    expect(independentInclusion(events[5].metadata.hash, p.leafIndex, p.treeSize, flipped, p.rootHash)).toBe(false);
  });

  it('signs a new checkpoint first when the event asked for is newer than the latest one', async () => {
    const latest = (await checkpoints.latest())!;
    // The latest checkpoint's own event is not covered by itself.
    const p = await checkpoints.inclusion(latest.eventId);
    expect(p.checkpoint.revision).toBe(latest.revision + 1);
    expect(p.leafIndex).toBe(latest.treeSize);
    expect(independentInclusion(p.eventHash, p.leafIndex, p.treeSize, p.proof, p.checkpoint.rootHash)).toBe(true);
  });

  it('serves consistency proofs between checkpoints (and any two sizes) that the independent verifier accepts', async () => {
    const all = await checkpoints.all();
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < all.length; i++) {
      const c = await checkpoints.consistency(all[i - 1].treeSize, all[i].treeSize);
      expect([c.fromRoot, c.toRoot]).toEqual([all[i - 1].rootHash, all[i].rootHash]);
      expect(c.fromCheckpoint?.eventId).toBe(all[i - 1].eventId);
      expect(independentConsistency(c.fromSize, c.toSize, all[i - 1].rootHash, all[i].rootHash, c.proof)).toBe(true);
    }
    const events = await allEvents(core.store);
    const leaves = events.map((e) => rfcLeaf(String(e.metadata.hash)));
    const n = all[all.length - 1].treeSize;
    for (let m = 1; m <= n; m += 3) {
      const c = await checkpoints.consistency(m, n);
      const [oldRoot, newRoot] = [mth(leaves.slice(0, m)).toString('hex'), mth(leaves.slice(0, n)).toString('hex')];
      expect([c.fromRoot, c.toRoot]).toEqual([oldRoot, newRoot]);
      expect(independentConsistency(m, n, oldRoot, newRoot, c.proof)).toBe(true);
      // …and refuses the same proof for a tree that differs in one early leaf.
      if (m > 1)
        expect(
          independentConsistency(m, n, mth([leaves[1], ...leaves.slice(1, m)]).toString('hex'), newRoot, c.proof),
        ).toBe(false);
    }
  });

  it('answers a size beyond the log with a validation error naming the parameter', async () => {
    await expect(checkpoints.consistency(1, 10_000_000)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'query.to' }],
    });
    await expect(checkpoints.inclusion('no-such-event')).rejects.toMatchObject({
      code: 'EVENT_NOT_FOUND',
      status: 404,
    });
  });

  it('verifies chains, the tree against every checkpoint, signatures and consistency on an untouched store', async () => {
    const result = await verifyLedgerIntegrity(core.store, {
      publicKeyPem: checkpoints.publicKeyPem,
      merkle: core.readModels.merkle,
    });
    expect(result.firstFailure).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.checkpoints.count).toBeGreaterThanOrEqual(3);
    expect(result.checkpoints.signaturesValid).toBe(result.checkpoints.count);
    expect(result.checkpoints.consistentPairs).toBe(result.checkpoints.count - 1);
    expect(result.eventsChecked).toBe((await allEvents(core.store)).length);
    // The same with no read model: consistency proofs then come from the tree recomputed from the store.
    const alone = await verifyLedgerIntegrity(core.store, { publicKeyPem: checkpoints.publicKeyPem });
    expect(alone).toMatchObject({ ok: true, checkpoints: { consistentPairs: result.checkpoints.count - 1 } });
  });

  it('refuses checkpoints with a key other than the ledger’s, naming the first checkpoint', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const [first] = await checkpoints.all();
    expect(verifyCheckpoint(first, other)).toBe(false);
    const result = await verifyLedgerIntegrity(core.store, { publicKeyPem: other });
    expect(result.ok).toBe(false);
    expect(result.firstFailure).toMatchObject({
      reason: 'bad-signature',
      eventId: first.eventId,
      streamId: CHECKPOINT_STREAM,
    });
  });

  describe('a copy of its store, tampered with', () => {
    let n = 0;
    let pem: string;
    let golden: RecordedEvent[];

    beforeAll(async () => {
      pem = checkpoints.publicKeyPem;
      golden = await allEvents(core.store);
    });

    /** Copies the store file (closed first, so the WAL is folded in) and opens the copy for tampering. */
    const tamperedCopy = async (): Promise<SqliteEventStore> => {
      const copy = path.join(root, `copy-${++n}.sqlite`);
      const probe = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
      probe.db.pragma('wal_checkpoint(TRUNCATE)');
      fs.copyFileSync(path.join(dataDir, 'ledger.sqlite'), copy);
      await probe.close();
      return SqliteEventStore.open(copy);
    };
    const verifyCopy = async (store: SqliteEventStore) => {
      try {
        return await verifyLedgerIntegrity(store, { publicKeyPem: pem });
      } finally {
        await store.close();
      }
    };
    const domainEvent = (pred: (e: RecordedEvent, i: number) => boolean) => {
      const i = golden.findIndex((e, j) => e.streamId !== CHECKPOINT_STREAM && pred(e, j));
      expect(i).toBeGreaterThanOrEqual(0);
      return golden[i];
    };

    it('names an event whose stored data was edited (hash-mismatch)', async () => {
      const store = await tamperedCopy();
      const victim = domainEvent((e) => e.type === 'ItemRead');
      store.db
        .prepare(`UPDATE events SET data = json_set(data, '$.reader', 'p-nobody') WHERE position = ?`)
        .run(victim.position);
      const result = await verifyCopy(store);
      expect(result.firstFailure).toMatchObject({
        reason: 'hash-mismatch',
        eventId: victim.eventId,
        position: victim.position,
      });
    });

    it('names the next event of the stream when a row was deleted (revision-gap)', async () => {
      const store = await tamperedCopy();
      const victim = domainEvent(
        (e, i) =>
          e.revision > 0 && golden.some((f, j) => j > i && f.streamId === e.streamId && f.revision === e.revision + 1),
      );
      const next = golden.find((f) => f.streamId === victim.streamId && f.revision === victim.revision + 1)!;
      store.db.prepare(`DELETE FROM events WHERE position = ?`).run(victim.position);
      const result = await verifyCopy(store);
      expect(result.firstFailure).toMatchObject({
        reason: 'revision-gap',
        eventId: next.eventId,
        streamId: victim.streamId,
      });
    });

    const swapPositions = (store: SqliteEventStore, a: RecordedEvent, b: RecordedEvent) => {
      store.db.transaction(() => {
        store.db.prepare(`UPDATE events SET position = -1 WHERE position = ?`).run(a.position);
        store.db.prepare(`UPDATE events SET position = ? WHERE position = ?`).run(a.position, b.position);
        store.db.prepare(`UPDATE events SET position = ? WHERE position = -1`).run(b.position);
      })();
    };

    it('names the first reordered event when two events of one stream swap places', async () => {
      const store = await tamperedCopy();
      const a = domainEvent((e, i) => golden[i + 1]?.streamId === e.streamId);
      const b = golden[golden.indexOf(a) + 1];
      swapPositions(store, a, b);
      const result = await verifyCopy(store);
      // At a's position now sits b, one revision ahead of what the stream expects.
      expect(result.firstFailure).toMatchObject({ reason: 'revision-gap', eventId: b.eventId, position: a.position });
    });

    it('catches two events of different streams swapping places with the Merkle tree, though every chain holds', async () => {
      const store = await tamperedCopy();
      const a = domainEvent(
        (e, i) =>
          golden[i + 1] !== undefined &&
          golden[i + 1].streamId !== e.streamId &&
          golden[i + 1].streamId !== CHECKPOINT_STREAM,
      );
      const b = golden[golden.indexOf(a) + 1];
      swapPositions(store, a, b);
      const chainsOnly = await verifyLedgerIntegrity(store, {});
      expect(chainsOnly.ok).toBe(true);
      const [first] = await checkpoints.all();
      const result = await verifyCopy(store);
      expect(result.firstFailure).toMatchObject({
        reason: 'checkpoint-mismatch',
        checkpoint: { eventId: first.eventId, treeSize: first.treeSize },
      });
    });

    it('catches a stream whose last event was dropped (invisible to the chains) by the checkpoint over it', async () => {
      const store = await tamperedCopy();
      const [first] = await checkpoints.all();
      const lastOfStream = (e: RecordedEvent) =>
        !golden.some((f) => f.streamId === e.streamId && f.revision > e.revision);
      const victim = domainEvent((e, i) => i < first.treeSize - 1 && lastOfStream(e));
      store.db.prepare(`DELETE FROM events WHERE position = ?`).run(victim.position);
      expect((await verifyLedgerIntegrity(store, {})).ok).toBe(true);
      const result = await verifyCopy(store);
      expect(result.firstFailure).toMatchObject({
        reason: 'checkpoint-mismatch',
        checkpoint: { eventId: first.eventId },
      });
    });

    it('names a validly signed checkpoint whose root disagrees with the recomputed tree', async () => {
      const store = await tamperedCopy();
      const key = fromPem(fs.readFileSync(path.join(dataDir, 'signing-key.pem'), 'utf8'));
      const head = golden[golden.length - 1];
      // Signed with the ledger's own key over a root of the wrong tree (one leaf short): only the tree can tell.
      const wrongRoot = mth(golden.slice(0, -1).map((e) => rfcLeaf(String(e.metadata.hash)))).toString('hex');
      const forged = signCheckpoint(
        { treeSize: golden.length, rootHash: wrongRoot, position: head.position, signedAt: '2026-06-02T00:00:00.000Z' },
        key,
      );
      const [tail] = await store.readStream(CHECKPOINT_STREAM, { direction: 'backwards', maxCount: 1 });
      const sealed = sealEvents(CHECKPOINT_STREAM, tail.revision, String(tail.metadata.hash), [
        {
          eventId: 'forged-checkpoint',
          type: CHECKPOINT_SIGNED,
          data: forged,
          metadata: {
            occurredAt: forged.signedAt,
            recordedAt: forged.signedAt,
            actor: 'x',
            commandId: 'x',
            correlationId: 'x',
            causationId: null,
            schemaVersion: 1,
          },
        },
      ]);
      await store.append(CHECKPOINT_STREAM, sealed, tail.revision);
      const result = await verifyCopy(store);
      expect(result.checkpoints.signaturesValid).toBe(result.checkpoints.count);
      expect(result.firstFailure).toMatchObject({
        reason: 'checkpoint-mismatch',
        eventId: head.eventId,
        checkpoint: { eventId: 'forged-checkpoint', treeSize: golden.length },
      });
    });

    it('names a checkpoint event whose signed body was edited and re-hashed (bad-signature)', async () => {
      const store = await tamperedCopy();
      const [, second] = await checkpoints.all();
      // Edited and re-hashed, its own hash recomputes and the chain holds up to it; what breaks at that event is the
      // signature over the edited body (and, since the event is the last leaf of the next checkpoint, that
      // checkpoint's root: at one position the walk's finding is the one named).
      const row = golden.find((e) => e.eventId === second.eventId)!;
      const data = { ...(row.data as Record<string, unknown>), treeSize: second.treeSize - 1 };
      const hash = eventHash(row.metadata.prevHash, {
        streamId: row.streamId,
        revision: row.revision,
        eventId: row.eventId,
        type: row.type,
        data,
        metadata: row.metadata,
      });
      writeStoredEvent(store.db, row.position, { data, metadata: { ...row.metadata, hash } });
      const result = await verifyCopy(store);
      expect(result.firstFailure).toMatchObject({ eventId: second.eventId, position: second.eventPosition });
      expect(['bad-signature', 'checkpoint-mismatch']).toContain(result.firstFailure!.reason);
      expect(result.checkpoints.signaturesValid).toBe(result.checkpoints.count - 1);
    });
  });
});
