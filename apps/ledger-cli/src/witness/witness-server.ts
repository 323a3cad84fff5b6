/**
 * The HTTP face of a witness (C2SP tlog-witness): `POST /add-checkpoint`, and the monitoring read
 * `GET /<sha256 hex of the origin>/checkpoint`. Plain node:http: two routes need no framework.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import {
  FileWitnessState,
  MAX_REQUEST_BYTES,
  Witness,
  ed25519NoteVerifier,
  formatVkey,
  parseVkey,
  verifierFromVkey,
  ed25519CosignatureVerifier,
  type NoteVerifier,
} from '@app/ledger';

export interface RunningWitness {
  witness: Witness;
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves `witness` on `port` (0: any free port) of `host`. */
export const serveWitness = async (witness: Witness, port: number, host = '127.0.0.1'): Promise<RunningWitness> => {
  const server = createServer((req, res) => {
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://witness');
    if (req.method === 'POST' && url.pathname === '/add-checkpoint') {
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REQUEST_BYTES && !refused) {
          refused = true;
          send(413, 'text/plain; charset=utf-8', `request larger than ${MAX_REQUEST_BYTES} bytes\n`);
          req.destroy();
        } else if (!refused) chunks.push(c);
      });
      req.on('end', () => {
        if (refused) return;
        const body = Buffer.concat(chunks);
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(body);
        } catch {
          send(400, 'text/plain; charset=utf-8', 'the body is not UTF-8\n');
          return;
        }
        try {
          const r = witness.addCheckpoint(text);
          send(r.status, r.contentType, r.body);
        } catch (e) {
          // The state could not be saved: nothing was co-signed, and the client retries.
          console.error(JSON.stringify({ level: 'error', msg: 'add-checkpoint failed', error: String(e) }));
          send(500, 'text/plain; charset=utf-8', 'the witness could not record the checkpoint\n');
        }
      });
      return;
    }
    const m = /^\/([0-9a-f]{64})\/checkpoint$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const origin = witness.originByHash(m[1]);
      const latest = origin ? witness.latest(origin) : undefined;
      if (!latest?.note) return send(404, 'text/plain; charset=utf-8', 'no checkpoint co-signed for that log\n');
      return send(200, 'text/plain; charset=utf-8', latest.note);
    }
    send(404, 'text/plain; charset=utf-8', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    witness,
    server,
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** A log's public key file: an SPKI PEM (its key name is the origin) or a vkey line. */
export const logVerifierFromFile = (origin: string, file: string): NoteVerifier => {
  const content = readFileSync(file, 'utf8').trim();
  if (content.startsWith('-----BEGIN')) return ed25519NoteVerifier(origin, createPublicKey(content));
  const v = verifierFromVkey(content);
  if (v.name !== origin) throw new Error(`${file}: the vkey is named ${v.name}, not ${origin}`);
  return v;
};

/** The witness key: a PKCS#8 PEM Ed25519 key, created (mode 0600) when the file does not exist yet. */
export const loadOrCreateWitnessKey = (file: string): KeyObject => {
  if (!existsSync(file)) {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, pem);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const key = createPrivateKey(readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: the witness key must be Ed25519`);
  return key;
};

/** The witness's public key as a cosignature vkey (type 0x04): what the ledger and auditors configure. */
export const witnessVkey = (name: string, key: KeyObject): string => formatVkey(name, createPublicKey(key), 0x04);

/** A witness public key given as SPKI PEM or as a vkey (type 0x04), read from a file or given inline. */
export const witnessVerifierFrom = (name: string, keyOrFile: string) => {
  const content = existsSync(keyOrFile) ? readFileSync(keyOrFile, 'utf8').trim() : keyOrFile.trim();
  if (content.startsWith('-----BEGIN')) return ed25519CosignatureVerifier(name, createPublicKey(content));
  const parsed = parseVkey(content);
  if (parsed.name !== name) throw new Error(`the witness key is named ${parsed.name}, not ${name}`);
  return ed25519CosignatureVerifier(name, parsed.publicKey);
};

export const originHash = (origin: string): string => createHash('sha256').update(origin).digest('hex');

export { FileWitnessState };
