import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';

/** @noble/ed25519 (independent of OpenSSL) in a child process: it is ESM-only, which jest's loader cannot import. */
const nobleVerify = (signature: Buffer, message: Buffer, publicKey: Buffer): boolean =>
  execFileSync(
    process.execPath,
    [
      '-e',
      `const ed = require('@noble/ed25519');
       const { createHash } = require('node:crypto');
       ed.etc.sha512Sync = (...m) => createHash('sha512').update(ed.etc.concatBytes(...m)).digest();
       const [s, m, p] = process.argv.slice(1).map((h) => Buffer.from(h, 'hex'));
       process.stdout.write(String(ed.verify(s, m, p)));`,
      signature.toString('hex'),
      message.toString('hex'),
      publicKey.toString('hex'),
    ],
    { encoding: 'utf8' },
  ) === 'true';

// Independent of libs/ledger: the stream-heads leaf and an RFC 9162 audit-path walk, from their definitions.
const sha = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));
const pathRoot = (m: number, n: number, leaf: Buffer, p: Buffer[]): Buffer | null => {
  if (n === 1) return p.length === 0 ? leaf : null;
  if (p.length === 0) return null;
  const k = split(n);
  const top = p[p.length - 1];
  const sub = m < k ? pathRoot(m, k, leaf, p.slice(0, -1)) : pathRoot(m - k, n - k, leaf, p.slice(0, -1));
  return sub && (m < k ? sha(Buffer.from([1]), sub, top) : sha(Buffer.from([1]), top, sub));
};

describe('C2SP checkpoints and stream heads over HTTP (contract §4.1)', () => {
  let svc: SurfaceApp;
  const post = (p: string, body: unknown) =>
    fetch(`${svc.base}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k-admin' },
      body: JSON.stringify(body),
    });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  const get = (p: string): Promise<any> => fetch(`${svc.base}${p}`, { headers: { authorization: 'Bearer k-auditor' } });

  beforeAll(async () => {
    svc = await bootSurfaceApp();
    for (const [name, data] of [
      ['RegisterPerson', { personId: 'p-li', name: 'Li', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
      ['RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }],
      ['RegisterPerson', { personId: 'p-wang', name: 'Wang', rank: 'staff', clearance: 'SECRET', unit: 'office' }],
    ] as const)
      expect((await post(`/api/commands/${name}`, { data })).status).toBe(200);
    expect((await post('/api/ledger/checkpoints', {})).status).toBe(200);
  });
  afterAll(() => svc.close());

  it('GET /api/ledger/checkpoint is the latest tlog-checkpoint note, signed over its exact bytes', async () => {
    const res = await fetch(`${svc.base}/api/ledger/checkpoint`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const note = await res.text();
    const ledgerId = fs.readFileSync(path.join(svc.dir, 'ledger-id'), 'utf8').trim();
    const [text, sigs] = [note.slice(0, note.lastIndexOf('\n\n') + 1), note.slice(note.lastIndexOf('\n\n') + 2)];
    const [origin, size, root, streams, ...rest] = text.slice(0, -1).split('\n');
    expect(origin).toBe(`custody-ledger/${ledgerId}`);
    expect(rest).toEqual([]);
    expect(streams).toMatch(/^streams [A-Za-z0-9+/]{43}=$/);
    const list = await (await get('/api/ledger/checkpoints?limit=1')).json();
    expect(Number(size)).toBe(list.checkpoints[0].treeSize);
    expect(Buffer.from(root, 'base64').toString('hex')).toBe(list.checkpoints[0].rootHash);
    // The signature line: "— <origin> base64(key ID ‖ Ed25519 signature)", key ID = SHA-256(name‖\n‖0x01‖key)[:4].
    const [line] = sigs.trimEnd().split('\n');
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line)!;
    expect(m[1]).toBe(origin);
    const bytes = Buffer.from(m[2], 'base64');
    const pem = await (await fetch(`${svc.base}/api/ledger/public-key`)).text();
    const raw = Buffer.from((createPublicKey(pem).export({ format: 'jwk' }) as { x: string }).x, 'base64url');
    const keyId = sha(Buffer.from(origin, 'utf8'), Buffer.from([0x0a, 0x01]), raw).subarray(0, 4);
    expect(bytes.subarray(0, 4).equals(keyId)).toBe(true);
    expect(nobleVerify(bytes.subarray(4), Buffer.from(text, 'utf8'), raw)).toBe(true);
    expect(
      nobleVerify(bytes.subarray(4), Buffer.from(text.replace(`\n${size}\n`, `\n${Number(size) + 1}\n`)), raw),
    ).toBe(false);
  });

  it('proves a stream head against the streams root of the checkpoint', async () => {
    const res = await get('/api/ledger/proofs/streams/person-p-li');
    expect(res.status).toBe(200);
    const body = await res.json();
    const note: string = body.checkpoint.note;
    const streamsLine = note.split('\n')[3];
    expect(Buffer.from(streamsLine.slice('streams '.length), 'base64').toString('hex')).toBe(body.streamsRoot);
    expect(body.head).toMatchObject({ streamId: 'person-p-li', revision: 0 });
    const leaf = sha(
      Buffer.from([0]),
      Buffer.from(`{"hash":"${body.head.hash}","revision":0,"streamId":"person-p-li"}`, 'utf8'),
    );
    expect(leaf.toString('hex')).toBe(body.leafHash);
    // Three streams: the first checkpoint covers two persons and a place (its own event comes after it).
    expect(body.streamCount).toBe(3);
    const root = pathRoot(
      body.leafIndex,
      body.streamCount,
      leaf,
      body.proof.map((h: string) => Buffer.from(h, 'hex')),
    );
    expect(root?.toString('hex')).toBe(body.streamsRoot);
  });

  it('names an unknown stream and a size with no checkpoint (404), and a malformed size (400)', async () => {
    expect((await (await get('/api/ledger/proofs/streams/item-nope')).json()).code).toBe('STREAM_NOT_FOUND');
    expect((await get('/api/ledger/proofs/streams/person-p-li?size=2')).status).toBe(404);
    const bad = await get('/api/ledger/proofs/streams/person-p-li?size=x');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('query.size');
  });

  it('an older checkpoint proves the head the stream had then', async () => {
    const first = (await (await get('/api/ledger/checkpoints?limit=1')).json()).checkpoints[0];
    expect(
      (
        await post('/api/commands/RegisterPerson', {
          data: { personId: 'p-zhao', name: 'Zhao', rank: 'staff', clearance: 'SECRET', unit: 'office' },
        })
      ).status,
    ).toBe(200);
    expect((await post('/api/ledger/checkpoints', {})).status).toBe(200);
    const latest = await (await get('/api/ledger/proofs/streams/ledger-checkpoints')).json();
    const old = await (await get(`/api/ledger/proofs/streams/person-p-li?size=${first.treeSize}`)).json();
    expect(old.streamsRoot).toBe(first.streamsRoot);
    expect(latest.head.revision).toBe(0);
    expect(latest.streamCount).toBe(5);
  });
});
