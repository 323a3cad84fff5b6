import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, fromPem, loadOrCreateSigningKey, type SigningKey } from '@app/ledger';

/** The file beside the key that fixes the ledger's id (and so its checkpoint origin) at first start. */
export const LEDGER_ID_FILE = 'ledger-id';
/** What a ledger id may be: it becomes part of the origin line, a schema-less URL path segment. */
export const LEDGER_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Origin prefix of every checkpoint note: `custody-ledger/<ledgerId>` (contract §4.1). */
export const ORIGIN_PREFIX = 'custody-ledger/';

/**
 * The checkpoint keys of one ledger: the key in effect, and the next one while a rotation is pending
 * (`rotate-key --new-key FILE` puts it beside the key as `*.next.pem`). The key file is re-read when it changes, so
 * a service picks up a rotation done by the CLI without a restart.
 */
export interface KeyRing {
  current(): SigningKey;
  /** The key a pending rotation hands over to, or null. */
  next(): SigningKey | null;
  /** After a hand-over checkpoint is stored: the next key becomes the key in effect, the old one is kept aside. */
  promote(next: SigningKey): void;
}

/** A ring of one key that never rotates (tests, benchmarks, embedders that manage keys themselves). */
export const fixedKeyRing = (key: SigningKey): KeyRing => ({
  current: () => key,
  next: () => null,
  promote: () => {
    throw new Error('this ledger key cannot be rotated here');
  },
});

/** `signing-key.pem` → `signing-key.next.pem`. */
export const nextKeyPathOf = (keyPath: string): string => keyPath.replace(/(\.pem)?$/, '.next.pem');

/** Writes a file atomically and durably: temp file, fsync, rename, fsync of the directory. */
export const writeFileDurably = (path: string, content: string, mode = 0o600): void => {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
};

/** The key ring of a key file (created with a fresh key when the file is DATA_DIR's own and missing). */
export class FileKeyRing implements KeyRing {
  private key: SigningKey;
  private stamp: string;

  constructor(
    readonly keyPath: string,
    create = false,
  ) {
    this.key = create ? loadOrCreateSigningKey(dirname(keyPath)) : fromPem(readFileSync(keyPath, 'utf8'));
    this.stamp = this.stampOf();
  }

  /** The ring of DATA_DIR/signing-key.pem, or of LEDGER_SIGNING_KEY_FILE when set. */
  static forDataDir(dataDir: string, options: { signingKeyFile?: string } = {}): FileKeyRing {
    return options.signingKeyFile
      ? new FileKeyRing(options.signingKeyFile)
      : new FileKeyRing(join(dataDir, PRIVATE_KEY_FILE), true);
  }

  get nextKeyPath(): string {
    return nextKeyPathOf(this.keyPath);
  }

  current(): SigningKey {
    const stamp = this.stampOf();
    if (stamp !== this.stamp) {
      this.key = fromPem(readFileSync(this.keyPath, 'utf8'));
      this.stamp = stamp;
    }
    return this.key;
  }

  next(): SigningKey | null {
    if (!existsSync(this.nextKeyPath)) return null;
    const next = fromPem(readFileSync(this.nextKeyPath, 'utf8'));
    return next.keyId === this.current().keyId ? null : next;
  }

  /** Stages a rotation: the next checkpoint is signed by both keys, then the new key alone. */
  stage(nextPem: string): SigningKey {
    const next = fromPem(nextPem);
    writeFileDurably(this.nextKeyPath, nextPem);
    return next;
  }

  promote(next: SigningKey): void {
    const old = this.current();
    if (old.keyId === next.keyId) return;
    // The retired key stays on disk beside the new one until the operator destroys it (docs/integrity.md).
    writeFileDurably(
      join(dirname(this.keyPath), `signing-key.retired-${old.keyId}.pem`),
      readFileSync(this.keyPath, 'utf8'),
    );
    writeFileDurably(this.keyPath, next.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    // DATA_DIR's key keeps its public half beside it (what `verify` finds when no key is pinned).
    if (basename(this.keyPath) === PRIVATE_KEY_FILE)
      writeFileDurably(join(dirname(this.keyPath), PUBLIC_KEY_FILE), next.publicKeyPem, 0o644);
    if (existsSync(this.nextKeyPath)) unlinkSync(this.nextKeyPath);
    this.key = next;
    this.stamp = this.stampOf();
  }

  private stampOf(): string {
    const s = statSync(this.keyPath);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  }
}

/**
 * The ledger id (contract §4.1): `ledgerId` (LEDGER_ID) when set, else the `ledger-id` file beside the key (DATA_DIR, or the
 * directory of LEDGER_SIGNING_KEY_FILE), created once with a random id. Replicas that share a key share the id.
 */
export const ledgerIdFor = (dataDir: string, options: { signingKeyFile?: string; ledgerId?: string } = {}): string => {
  if (options.ledgerId) {
    if (!LEDGER_ID.test(options.ledgerId)) throw new Error('LEDGER_ID must be 1-64 characters of A-Z a-z 0-9 . _ -');
    return options.ledgerId;
  }
  const dir = options.signingKeyFile ? dirname(options.signingKeyFile) : dataDir;
  const file = join(dir, LEDGER_ID_FILE);
  const fallback = join(dataDir, LEDGER_ID_FILE);
  for (const f of [file, fallback]) if (existsSync(f)) return readFileSync(f, 'utf8').trim();
  const id = randomBytes(8).toString('hex');
  for (const target of [file, fallback]) {
    try {
      mkdirSync(dirname(target), { recursive: true });
      const fd = openSync(target, 'wx', 0o644);
      try {
        writeSync(fd, `${id}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return id;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Another process created it first: theirs stands.
      if (code === 'EEXIST') return readFileSync(target, 'utf8').trim();
      // A read-only key directory (a mounted secret): keep the id in DATA_DIR instead.
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw e;
    }
  }
  throw new Error(`cannot write ${LEDGER_ID_FILE} in ${dir} or ${dataDir}`);
};
