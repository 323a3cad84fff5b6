import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';

// An independent RFC 9162 check (recursive definitions, no code shared with libs/ledger): the root implied by an
// audit path, and the (old, new) roots implied by a consistency proof.
const sha = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));
const pathRoot = (m: number, n: number, leaf: Buffer, p: Buffer[]): Buffer | null => {
  if (n === 1) return p.length === 0 ? leaf : null;
  if (p.length === 0) return null;
  const k = split(n);
  const sub = m < k ? pathRoot(m, k, leaf, p.slice(0, -1)) : pathRoot(m - k, n - k, leaf, p.slice(0, -1));
  return sub && (m < k ? node(sub, p[p.length - 1]) : node(p[p.length - 1], sub));
};
const subproofRoots = (m: number, n: number, b: boolean, p: Buffer[], old: Buffer): [Buffer, Buffer] | null => {
  if (m === n) return b ? (p.length === 0 ? [old, old] : null) : p.length === 1 ? [p[0], p[0]] : null;
  if (p.length === 0) return null;
  const k = split(n);
  const top = p[p.length - 1];
  if (m <= k) {
    const s = subproofRoots(m, k, b, p.slice(0, -1), old);
    return s && [s[0], node(s[1], top)];
  }
  const s = subproofRoots(m - k, n - k, false, p.slice(0, -1), old);
  return s && [node(top, s[0]), node(top, s[1])];
};
const hex = (xs: string[]) => xs.map((x) => Buffer.from(x, 'hex'));

describe('the ledger integrity API over HTTP', () => {
  let svc: SurfaceApp;
  let base: string;
  let dir: string;
  let clock: SurfaceApp['clock'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  const get = (p: string, key = 'k-auditor'): Promise<any> =>
    fetch(`${base}${p}`, { headers: { authorization: `Bearer ${key}` } });
  const post = (p: string, body: unknown, key = 'k-admin') =>
    fetch(`${base}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    svc = await bootSurfaceApp();
    ({ base, dir, clock } = svc);
    for (const [name, data] of [
      ['RegisterPerson', { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
      [
        'RegisterReceivedItem',
        {
          itemId: 'doc-1',
          title: 'directive No. 7',
          level: 'SECRET',
          periodYears: 10,
          basis: 'catalogue 2.1',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-zhang',
          scope: { persons: [] },
        },
      ],
      ['RecordReading', { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' }],
    ] as const) {
      expect((await post(`/api/commands/${name}`, { data })).status).toBe(200);
    }
  });

  afterAll(() => svc.close());

  it('serves the public key as text/plain PEM without an API key', async () => {
    const res = await fetch(`${base}/api/ledger/public-key`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const pem = await res.text();
    expect(pem).toBe(fs.readFileSync(path.join(dir, 'signing-key.pub.pem'), 'utf8'));
    expect(createPublicKey(pem).asymmetricKeyType).toBe('ed25519');
  });

  it('lets an auditor sign a checkpoint on demand, and not a custodian', async () => {
    expect((await post('/api/ledger/checkpoints', {}, 'k-zhang')).status).toBe(403);
    const res = await post('/api/ledger/checkpoints', {}, 'k-auditor');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checkpoint: { eventId: string } };
    expect(body).toMatchObject({
      created: true,
      checkpoint: { treeSize: expect.any(Number), keyId: expect.any(String) },
    });
    // Nothing new since: no second checkpoint.
    expect(await (await post('/api/ledger/checkpoints', {}, 'k-auditor')).json()).toMatchObject({
      created: false,
      checkpoint: { eventId: body.checkpoint.eventId },
    });
  });

  it('lists checkpoints newest first with their signatures, which verify with the served key', async () => {
    clock.set('2026-03-02T10:00:00Z');
    await post('/api/commands/RecordReading', { data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' } });
    await post('/api/ledger/checkpoints', {}, 'k-admin');
    const body = await (await get('/api/ledger/checkpoints')).json();
    const pem = await (await fetch(`${base}/api/ledger/public-key`)).text();
    expect(body.checkpoints.map((c: { revision: number }) => c.revision)).toEqual([1, 0]);
    for (const c of body.checkpoints) {
      expect(c.keyId).toBe(body.keyId);
      const signed = `{"position":${c.position},"rootHash":"${c.rootHash}","signedAt":"${c.signedAt}","treeSize":${c.treeSize}}`;
      expect(edVerify(null, Buffer.from(signed), createPublicKey(pem), Buffer.from(c.signature, 'base64'))).toBe(true);
    }
  });

  it('serves an inclusion proof of an item event that checks against the signed root', async () => {
    const history = await (await get('/api/items/doc-1/history', 'k-admin')).json();
    const event = history.events[0];
    const res = await get(`/api/ledger/proofs/${event.eventId}`);
    expect(res.status).toBe(200);
    const p = await res.json();
    expect(p).toMatchObject({ eventId: event.eventId, streamId: 'item-doc-1', position: event.position });
    expect(p.leafHash).toBe(sha(Buffer.from([0]), Buffer.from(p.eventHash, 'hex')).toString('hex'));
    expect(p.rootHash).toBe(p.checkpoint.rootHash);
    expect(pathRoot(p.leafIndex, p.treeSize, Buffer.from(p.leafHash, 'hex'), hex(p.proof))?.toString('hex')).toBe(
      p.rootHash,
    );
  });

  it('signs a checkpoint first when the event is newer than the latest one', async () => {
    const [latest] = (await (await get('/api/ledger/checkpoints')).json()).checkpoints;
    const p = await (await get(`/api/ledger/proofs/${latest.eventId}`)).json();
    expect(p.checkpoint.revision).toBe(latest.revision + 1);
    expect(pathRoot(p.leafIndex, p.treeSize, Buffer.from(p.leafHash, 'hex'), hex(p.proof))?.toString('hex')).toBe(
      p.rootHash,
    );
  });

  it('serves consistency proofs between checkpoint sizes that check', async () => {
    const cps = (await (await get('/api/ledger/checkpoints')).json()).checkpoints.reverse();
    for (let i = 1; i < cps.length; i++) {
      const c = await (await get(`/api/ledger/consistency?from=${cps[i - 1].treeSize}&to=${cps[i].treeSize}`)).json();
      expect([c.fromRoot, c.toRoot]).toEqual([cps[i - 1].rootHash, cps[i].rootHash]);
      const roots = subproofRoots(c.fromSize, c.toSize, true, hex(c.proof), Buffer.from(c.fromRoot, 'hex'));
      expect(roots?.map((r) => r.toString('hex'))).toEqual([cps[i - 1].rootHash, cps[i].rootHash]);
    }
  });

  it('answers malformed or unknown requests with problem+json', async () => {
    const bad = await get('/api/ledger/consistency?from=abc');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await bad.json()).errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
    const missing = await get('/api/ledger/proofs/no-such-event');
    expect(missing.status).toBe(404);
    expect((await missing.json()).code).toBe('EVENT_NOT_FOUND');
    expect((await get('/api/ledger/proofs/x', 'k-zhang')).status).toBe(403);
  });

  it('verifies chains, tree, signatures and consistency', async () => {
    const res = await get('/api/ledger/verify');
    expect(res.status).toBe(200);
    const v = await res.json();
    expect(v).toMatchObject({ ok: true, checkpoints: { count: 3, signaturesValid: 3, consistentPairs: 2 } });
    expect(v.firstFailure).toBeUndefined();
  });
});
