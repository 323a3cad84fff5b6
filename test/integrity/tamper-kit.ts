/**
 * The insider's tools (issue 10, contract §4.1), used by the attack tests: a ledger with several signed checkpoints,
 * the tail cut off together with the checkpoints that covered it, every chain re-sealed and re-signed with the key in
 * DATA_DIR, an attacker's key swapped in. Each works on the files behind the service's back, as an operator with the
 * data directory could; plus the CLI run as a real process (its exit code is what an auditor's script sees).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  CHECKPOINT_STREAM,
  GENESIS_HASH,
  ManualClock,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  SqliteEventStore,
  sealEvents,
  type RecordedEvent,
} from '@app/ledger';
import { CheckpointService, LedgerCore, ROLES } from '@app/application';

export const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
const CLI = path.join(ROOT, 'apps', 'ledger-cli', 'src', 'main.ts');

export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));

const ADMIN = { personId: 'p-registrar', name: 'registrar', roles: [...ROLES] };

/** Registers `count` persons from `from` on (one event each), at the clock's time. */
export const registerPersons = async (core: LedgerCore, from: number, count: number): Promise<void> => {
  for (let i = from; i < from + count; i++) {
    await core.execute(
      'RegisterPerson',
      {
        data: { personId: `p-${i}`, name: `person ${i}`, rank: 'staff', clearance: 'SECRET', unit: 'hq' },
      },
      ADMIN,
    );
  }
};

export interface BuiltLedger {
  dataDir: string;
  /** Global position of the first checkpoint event (everything after it is "the last third"). */
  firstCheckpointPosition: number;
  firstCheckpointSize: number;
  lastCheckpointSize: number;
}

/**
 * A ledger of ~60 events with two signed checkpoints: one after the first two thirds, one over everything.
 * Its key is DATA_DIR's (created on first use), as a default install has it.
 */
export const buildLedger = async (dataDir: string): Promise<BuiltLedger> => {
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  const core = await LedgerCore.open({ dataDir, clock });
  try {
    const signer = CheckpointService.forCore(core, {});
    await registerPersons(core, 0, 40);
    clock.set('2026-06-01T08:01:00Z');
    const first = (await signer.signNow()).checkpoint!;
    await registerPersons(core, 40, 20);
    clock.set('2026-06-01T08:02:00Z');
    const last = (await signer.signNow()).checkpoint!;
    return {
      dataDir,
      firstCheckpointPosition: first.eventPosition,
      firstCheckpointSize: first.treeSize,
      lastCheckpointSize: last.treeSize,
    };
  } finally {
    await core.close();
  }
};

/** Appends `count` more persons and signs a checkpoint over them (the ledger going on honestly). */
export const extendLedger = async (dataDir: string, from: number, count: number, at: string): Promise<number> => {
  const clock = new ManualClock(at);
  const core = await LedgerCore.open({ dataDir, clock });
  try {
    await registerPersons(core, from, count);
    return (await CheckpointService.forCore(core, {}).signNow()).checkpoint!.treeSize;
  } finally {
    await core.close();
  }
};

/** Deletes every event after `position` from ledger.sqlite (the checkpoints that covered them go with them). */
export const cutTail = (dataDir: string, afterPosition: number): number => {
  const db = new Database(path.join(dataDir, 'ledger.sqlite'));
  try {
    return db.prepare(`DELETE FROM events WHERE position > ?`).run(afterPosition).changes;
  } finally {
    db.close();
  }
};

export const removeReadModels = (dataDir: string): void => {
  for (const suffix of ['', '-wal', '-shm'])
    fs.rmSync(path.join(dataDir, `read-models.sqlite${suffix}`), { force: true });
};

const readAll = async (store: SqliteEventStore): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: out[out.length - 1]?.position, maxCount: 1000 });
    out.push(...page);
    if (page.length < 1000) return out;
  }
};

/**
 * The full rewrite: every event copied in global order into a fresh store with `edit` applied, every chain re-sealed
 * from genesis, and a checkpoint signed wherever the original had one, with the key found in DATA_DIR (the genuine
 * one, or whatever was swapped in): the same sizes, other roots. The result replaces ledger.sqlite and the read models
 * are removed. Every check inside the directory passes afterwards.
 */
export const resealAndResign = async (
  dataDir: string,
  edit: (e: RecordedEvent) => RecordedEvent,
  at = '2026-06-01T09:00:00Z',
): Promise<void> => {
  const work = tempDir('reseal');
  const source = SqliteEventStore.open(path.join(dataDir, 'ledger.sqlite'));
  const events = await readAll(source);
  await source.close();
  // The ledger id too: the rewritten ledger keeps its origin, as a careful insider would.
  for (const f of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, 'ledger-id'])
    if (fs.existsSync(path.join(dataDir, f))) fs.copyFileSync(path.join(dataDir, f), path.join(work, f));
  const core = await LedgerCore.open({ dataDir: work, clock: new ManualClock(at) });
  try {
    const signer = CheckpointService.forCore(core, {});
    const heads = new Map<string, { revision: number; hash: string }>();
    for (const original of events) {
      if (original.streamId === CHECKPOINT_STREAM) {
        await signer.signNow({ force: true });
        continue;
      }
      const e = edit(original);
      const head = heads.get(e.streamId) ?? { revision: -1, hash: GENESIS_HASH };
      const { prevHash: _p, hash: _h, ...metadata } = e.metadata;
      const [sealed] = sealEvents(e.streamId, head.revision, head.hash, [
        { eventId: e.eventId, type: e.type, data: e.data, metadata },
      ]);
      await core.store.append(e.streamId, [sealed], head.revision);
      heads.set(e.streamId, { revision: head.revision + 1, hash: sealed.metadata.hash });
    }
  } finally {
    await core.close();
  }
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dataDir, `ledger.sqlite${suffix}`), { force: true });
  fs.copyFileSync(path.join(work, 'ledger.sqlite'), path.join(dataDir, 'ledger.sqlite'));
  removeReadModels(dataDir);
  fs.rmSync(work, { recursive: true, force: true });
};

/** An attacker's Ed25519 key put in DATA_DIR in place of the genuine one (both files). */
export const swapInAttackerKey = (dataDir: string): void => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  fs.writeFileSync(path.join(dataDir, PRIVATE_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  fs.writeFileSync(path.join(dataDir, PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }));
};

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the CLI as a real process (`node -r ts-register apps/ledger-cli/src/main.ts ARGS`). */
export const runCli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, EVENTSTORE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json: <T>() => {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`not JSON (exit ${code}): ${stdout}\n${stderr}`);
          }
        },
      }),
    );
  });
