/**
 * Helpers shared by the reliability suite (test/reliability) and the soak script (scripts/soak.ts): a real service
 * in a child process, a small HTTP client, the store file read behind the service's back, and a read-model rebuild
 * from scratch to compare the service's own read models with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, ManualClock, type Clock } from '@app/ledger';
import { readStoredEvents } from '@app/ledger/testing';
import { MERKLE_STATE_TABLES, ReadModels } from '@app/read-models';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../apps/ledger-api/src/main';
import { loadConfig, type LedgerCore } from '@app/application';
import { LEDGER_CORE } from '../../apps/ledger-api/src/tokens';

export const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
const MAIN = path.join(ROOT, 'apps', 'ledger-api', 'src', 'main.ts');

export type KeySpec = Record<string, { personId?: string; roles: string[]; name?: string }>;

/** A port nobody listens on right now (127.0.0.1). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ServiceProcess {
  proc: ChildProcess;
  pid: number;
  port: number;
  base: string;
  /** Everything the child wrote so far. */
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `apps/ledger-api/src/main.ts` in a child (through ts-register) on a free port and resolves once it listens.
 * `outputSink` receives every chunk of stdout and stderr (the child's logs).
 */
export const startService = async (opts: {
  dataDir: string;
  keys: KeySpec;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<ServiceProcess> => {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, opts);
    } catch (e) {
      // Another process may have taken the port between freePort and listen: try another one.
      if (attempt >= 3 || !/EADDRINUSE/.test(String((e as Error).message))) throw e;
    }
  }
};

const startOn = (
  port: number,
  opts: { dataDir: string; keys: KeySpec; env?: Record<string, string>; timeoutMs?: number },
): Promise<ServiceProcess> => {
  const env = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: opts.dataDir,
    LEDGER_API_KEYS: JSON.stringify(opts.keys),
    SCHEDULER_INTERVAL_MS: '200',
    RATE_LIMIT_PER_MINUTE: '100000000',
    ...opts.env,
  };
  const proc = spawn(process.execPath, ['-r', REGISTER, MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise<ServiceProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`service did not start within ${opts.timeoutMs ?? 60_000} ms:\n${out}`));
    }, opts.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (/custody-ledger listening/.test(out)) {
        clearTimeout(timer);
        resolve({
          proc,
          pid: proc.pid!,
          port,
          base: `http://127.0.0.1:${port}`,
          output: () => out,
          exited,
          kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            await exited;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${code}) before it listened:\n${out}`));
    });
  });
};

export interface HttpResult {
  status: number;
  contentType: string;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field by the callers
  body: any;
  text: string;
  ms: number;
}

/** A tiny client: `post(name, body)` for commands, `get(path)`; never throws on an HTTP status. */
export const client = (base: string, key?: string) => {
  const call = async (
    method: string,
    p: string,
    body?: string,
    headers: Record<string, string> = {},
    timeoutMs = 30_000,
  ): Promise<HttpResult> => {
    const started = performance.now();
    const res = await fetch(base + p, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      headers: res.headers,
      body: parsed,
      text,
      ms: performance.now() - started,
    };
  };
  return {
    post: (name: string, body: unknown, extraHeaders?: Record<string, string>) =>
      call('POST', `/api/commands/${name}`, typeof body === 'string' ? body : JSON.stringify(body), extraHeaders),
    get: (p: string, extraHeaders?: Record<string, string>) => call('GET', p, undefined, extraHeaders),
    raw: call,
  };
};

export type Client = ReturnType<typeof client>;

/** Waits until /health answers and the read models have caught up with the store. */
export const waitIdle = async (
  api: Client,
  timeoutMs = 30_000,
): Promise<{ head: number | null; projected: number | null }> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = await api.get('/health').catch(() => undefined);
    if (h?.status === 200 && h.body && !h.body.lagging) return { head: h.body.head, projected: h.body.projected };
    if (Date.now() > until) throw new Error(`service not idle after ${timeoutMs} ms: ${h?.text}`);
    await sleep(50);
  }
};

/** The store file read directly (read-only), as an investigator would: events, by command id. */
export interface StoredEvent {
  position: number;
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  data: Record<string, unknown>;
  commandId: string;
  actor: string;
}

export const readStoreFile = (file: string): StoredEvent[] => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // Decoded with the store's own codec (the file's format is the store's business, not this check's).
    return readStoredEvents(db).map((e) => {
      const meta = e.metadata as unknown as { commandId: string; actor: string };
      return {
        position: e.position,
        eventId: e.eventId,
        streamId: e.streamId,
        revision: e.revision,
        type: e.type,
        data: e.data as Record<string, unknown>,
        commandId: meta.commandId,
        actor: meta.actor,
      };
    });
  } finally {
    db.close();
  }
};

export const storeHead = (file: string): number => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COALESCE(MAX(position), 0) AS p FROM events').get() as { p: number }).p;
  } finally {
    db.close();
  }
};

/** Problems with the global order: positions strictly increase, every stream's revisions are dense from 0 in global order. */
export const orderProblems = (events: StoredEvent[]): string[] => {
  const problems: string[] = [];
  const next = new Map<string, number>();
  let last = 0;
  for (const e of events) {
    if (e.position <= last) problems.push(`position ${e.position} after ${last}`);
    last = e.position;
    const expected = next.get(e.streamId) ?? 0;
    if (e.revision !== expected)
      problems.push(`${e.streamId}: revision ${e.revision} at position ${e.position}, expected ${expected}`);
    next.set(e.streamId, e.revision + 1);
  }
  return problems;
};

/** Every table of a read-model file but `meta` (the schema version), rows as sorted JSON lines. */
const dumpTables = (file: string): Map<string, string[]> => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'meta'`)
        .all() as { name: string }[]
    )
      .map((r) => r.name)
      // The Merkle index's persisted state is written when the index syncs (lazily), not with each batch.
      .filter((t) => !(MERKLE_STATE_TABLES as readonly string[]).includes(t));
    const out = new Map<string, string[]>();
    for (const t of tables) {
      out.set(
        t,
        (db.prepare(`SELECT * FROM "${t}"`).all() as object[])
          .map((r) => JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))
          .sort(),
      );
    }
    return out;
  } finally {
    db.close();
  }
};

/**
 * Rebuilds the read models from the store file into a fresh file and compares every projected table, row by row,
 * with the service's read-model file. Returns the differences (empty when they converge) and the row counts.
 */
export const compareWithRebuild = async (
  storeFile: string,
  readModelFile: string,
): Promise<{ differences: string[]; rows: number }> => {
  const scratch = tempDir('rebuild');
  const fresh = path.join(scratch, 'read-models.sqlite');
  const store = SqliteEventStore.open(storeFile);
  try {
    const rm = ReadModels.open(store, fresh);
    rm.start();
    await rm.catchUp();
    await rm.close();
  } finally {
    await store.close();
  }
  try {
    const live = dumpTables(readModelFile);
    const rebuilt = dumpTables(fresh);
    const differences: string[] = [];
    let rows = 0;
    for (const table of live.keys())
      if (!rebuilt.has(table)) differences.push(`${table}: a table the rebuild does not have`);
    for (const [table, rebuiltRows] of rebuilt) {
      const liveRows = live.get(table) ?? [];
      rows += rebuiltRows.length;
      const liveSet = new Set(liveRows);
      const rebuiltSet = new Set(rebuiltRows);
      for (const r of rebuiltRows)
        if (!liveSet.has(r)) differences.push(`${table}: missing or different in the service: ${r.slice(0, 300)}`);
      for (const r of liveRows)
        if (!rebuiltSet.has(r)) differences.push(`${table}: only in the service: ${r.slice(0, 300)}`);
    }
    return { differences, rows };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
};

/** Resident set size of a process in MiB (Linux /proc), or NaN when it cannot be read. */
export const rssMiB = (pid: number): number => {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};

export const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** Prints the one-line summary each reliability spec ends with (visible in the jest output). */
/** A summary field: a plain value, or an object printed as JSON. */
type SummaryValue = string | number | boolean | null | undefined | object;

export const summary = (name: string, fields: Record<string, SummaryValue>): void => {
  const line = `[reliability] ${name}: ${Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ')}`;
  process.stdout.write(`${line}\n`);
};

export interface InProcessService {
  app: INestApplication;
  base: string;
  dir: string;
  core: LedgerCore;
  storeFile: string;
  close(): Promise<void>;
}

/** The service in this process on port 0 (127.0.0.1), no periodic deadlines or checkpoints, no rate limit. */
export const startInProcess = async (
  keys: KeySpec,
  opts: { clock?: Clock; env?: Record<string, string>; prefix?: string; dataDirIn?: string; keepDir?: boolean } = {},
): Promise<InProcessService> => {
  const dir = opts.dataDirIn ?? tempDir(opts.prefix ?? 'reliability');
  const config = loadConfig(
    {
      DATA_DIR: dir,
      LEDGER_API_KEYS: JSON.stringify(keys),
      SCHEDULER_INTERVAL_MS: '3600000',
      CHECKPOINT_INTERVAL_MS: '0',
      RATE_LIMIT_PER_MINUTE: '100000000',
      AUTH_FAILURES_PER_MINUTE: '100000000',
      LOG_LEVEL: 'silent',
      ...opts.env,
    },
    // Readable short keys (`Bearer k-auditor`) in the specs; the service itself refuses keys under 16 characters.
    { minKeyLength: 1 },
  );
  const app = await createApp(config, opts.clock ?? new ManualClock('2026-03-02T09:00:00Z'));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as net.AddressInfo).port}`;
  const core = app.get<LedgerCore>(LEDGER_CORE);
  return {
    app,
    base,
    dir,
    core,
    storeFile: path.join(dir, 'ledger.sqlite'),
    close: async () => {
      await app.close();
      if (!opts.dataDirIn && !opts.keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
};
