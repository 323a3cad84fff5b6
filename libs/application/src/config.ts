/**
 * The one place the environment is read (issue 14): every variable of the README's configuration table is declared
 * in CONFIG_VARIABLES with its default and what it accepts, parsed with zod, and a bad value stops the start with one
 * line naming the variable — the service, the CLI and the schedulers all take their settings from `loadConfig`.
 *
 * To add a variable: a line in CONFIG_VARIABLES, a field in ServiceConfig filled in `loadConfig`, a row in the
 * README table and a line in .env.example (config.spec.ts checks that the three lists agree).
 */
import { NOTIFICATION_KINDS, type WebhookConfig } from './notifications/webhook-config';
import { accessSync, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ROLES, type Principal } from './principal';
import { SAFE_ID, SAFE_ID_REASON } from './commands/dto/validators';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from './checkpoints/checkpoints';
import { witnessVerifier } from './witnesses/witness-keys';

export interface ServiceConfig {
  port: number;
  dataDir: string;
  eventstoreUrl?: string;
  /** API key → principal. */
  apiKeys: Map<string, Principal>;
  /** True when no keys were configured and a development key was made up at start. */
  devKey?: string;
  /** How often the deadline scheduler looks for due deadlines (ms; 0: only on demand). */
  schedulerIntervalMs: number;
  /** How often the Merkle root is signed into `ledger-checkpoints` (ms; 0: on demand only). */
  checkpointIntervalMs: number;
  /** Ed25519 PKCS#8 PEM to sign checkpoints with; unset: DATA_DIR/signing-key.pem. */
  signingKeyFile?: string;
  /** The ledger id of the checkpoint origin `custody-ledger/<ledgerId>`; unset: the `ledger-id` file beside the key. */
  ledgerId?: string;
  /** Witnesses every new checkpoint is sent to (contract §4.1); empty: none. */
  witnesses: WitnessConfig[];
  /** Requests per minute per API key (per address without a key); /health is exempt. */
  rateLimitPerMinute: number;
  /** Readiness fails (503) when the read models lag the store by more than this many positions. */
  readyMaxLag: number;
  /** Milliseconds between SSE heartbeats on /api/feed. */
  feedHeartbeatMs: number;
  /** Failed authentications per minute per client address before 429 (issue 11: keys are not guessed at speed). */
  authFailuresPerMinute: number;
  /** Open /api/feed streams per API key, and in total (429 TOO_MANY_STREAMS beyond). */
  feedMaxStreamsPerKey: number;
  feedMaxStreams: number;
  /** Webhooks told of incidents and deadlines (LEDGER_WEBHOOKS), the dashboard URL their links use, the first retry. */
  webhooks: WebhookConfig[];
  publicUrl: string;
  webhookRetryMs: number;
  /** pino level for the structured logs (LOG_LEVEL). */
  logLevel: LogLevel;
  /**
   * How far V8 lets the old generation grow past what its last full collection kept, in percent (HEAP_GROWTH_PERCENT;
   * 0: V8's own heuristics). Applied by the service's main only, never to a process that merely loads the config.
   */
  heapGrowthPercent: number;
  /** Retry timing of the witness publisher; not an environment variable (tests shorten it). */
  witnessRetry?: { retryMinMs?: number; retryMaxMs?: number; timeoutMs?: number };
  /** Where the JSON log lines go (tests capture them); default stdout. */
  logDestination?: { write(line: string): unknown };
}

/** One witness of LEDGER_WITNESSES: its key name, its add-checkpoint URL prefix and its cosignature public key. */
export interface WitnessConfig {
  name: string;
  /** The submission prefix: `<url>/add-checkpoint` is posted to. */
  url: string;
  /** A cosignature vkey (`name+keyid+base64(0x04 ‖ key)`, as `witness serve` prints it) or an SPKI PEM. */
  publicKey: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys shorter than this are guessable; the service refuses to start with one (issue 11). */
export const MIN_API_KEY_LENGTH = 16;

/** A whole number in [min, max], written in decimal digits only (no sign, exponent or unit: "-5", "1e3", "10s" fail). */
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));

/**
 * The service's default heap growth (issue 16, docs/benchmarks.md "RSS under the 1M dashboard load"): a dashboard
 * request allocates ~100 KB, and at 32 connections the requests in flight at each scavenge are promoted to the old
 * generation (~30 MB/s at 1,800 requests/s) although they die a few milliseconds later; the live heap is ~26 MB, but
 * V8's own factor (up to 4×) let the garbage pile up to 115–145 MB before a full collection, most of the RSS peak.
 * 100 % bounds that pile at the live heap's size (plus V8's minimum step): 206 MiB peak against 256; 30 % kept it
 * lower (185) but its extra full collections cost the command path 7–17 % of its rate, where 100 % measured even.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

const ESDB_PROTOCOLS = new Set(['esdb:', 'esdb+discover:']);
const esdbUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return ESDB_PROTOCOLS.has(u.protocol) && u.host !== '';
  } catch {
    return false;
  }
});

const readableFile = z.string().refine((f) => {
  try {
    accessSync(f, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
});

interface Variable {
  /** The value used when the variable is unset or empty; undefined: the setting stays off. */
  default?: string;
  /** What the variable accepts, as the start-up error says it: "PORT must be <accepts>". */
  accepts: string;
  schema: z.ZodType<unknown, z.ZodTypeDef, string>;
  /** Never echo the value (it may hold keys or credentials). */
  secret?: boolean;
}

/** Every environment variable the service and the CLI read. LEDGER_API_KEYS has its own parser below. */
export const CONFIG_VARIABLES = {
  PORT: { default: '3000', accepts: 'a TCP port: a whole number from 0 to 65535', schema: wholeNumber(0, 65535) },
  DATA_DIR: { default: './data', accepts: 'a directory path', schema: z.string().min(1) },
  EVENTSTORE_URL: {
    accepts: 'an EventStoreDB connection string such as esdb://host:2113?tls=false (or esdb+discover://…)',
    schema: esdbUrl,
    secret: true,
  },
  LEDGER_API_KEYS: {
    accepts: 'a JSON object {"<key>": {"personId"?: "<id>", "roles": ["<role>", …], "name"?: "<text>"}}',
    schema: z.string(),
    secret: true,
  },
  SCHEDULER_INTERVAL_MS: {
    default: '1000',
    accepts: 'a whole number of milliseconds >= 0 (0: deadlines fire on demand only)',
    schema: wholeNumber(0),
  },
  CHECKPOINT_INTERVAL_MS: {
    default: String(DEFAULT_CHECKPOINT_INTERVAL_MS),
    accepts: 'a whole number of milliseconds >= 0 (0: checkpoints are signed on demand only)',
    schema: wholeNumber(0),
  },
  LEDGER_SIGNING_KEY_FILE: { accepts: 'the path of a readable Ed25519 PKCS#8 PEM file', schema: readableFile },
  LEDGER_ID: {
    accepts: '1 to 64 characters of A-Z a-z 0-9 . _ - (the checkpoint origin is custody-ledger/<LEDGER_ID>)',
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  },
  LEDGER_WITNESSES: {
    accepts: 'a JSON array [{"name": "<witness key name>", "url": "http(s)://…", "publicKey": "<vkey or PEM>"}, …]',
    schema: z.string(),
  },
  RATE_LIMIT_PER_MINUTE: { default: '600', accepts: 'a whole number of requests >= 1', schema: wholeNumber(1) },
  READY_MAX_LAG: { default: '1000', accepts: 'a whole number of store positions >= 0', schema: wholeNumber(0) },
  FEED_HEARTBEAT_MS: { default: '15000', accepts: 'a whole number of milliseconds >= 1', schema: wholeNumber(1) },
  AUTH_FAILURES_PER_MINUTE: {
    default: '10',
    accepts: 'a whole number of failed authentications >= 1',
    schema: wholeNumber(1),
  },
  FEED_MAX_STREAMS_PER_KEY: { default: '5', accepts: 'a whole number of streams >= 1', schema: wholeNumber(1) },
  FEED_MAX_STREAMS: { default: '200', accepts: 'a whole number of streams >= 1', schema: wholeNumber(1) },
  LEDGER_WEBHOOKS: {
    accepts:
      'a JSON list [{"url": "https://…", "secret": "<16+ characters>", "name"?: "<text>", "kinds"?: ["incident-opened" | "report-due-soon" | "report-overdue" | "violation-critical", …]}]',
    schema: z.string(),
    secret: true,
  },
  LEDGER_PUBLIC_URL: {
    default: 'http://localhost:3000',
    accepts: 'the http(s) URL responders open the dashboard at (links in notifications)',
    schema: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u)),
  },
  LEDGER_WEBHOOK_RETRY_MS: {
    default: '1000',
    accepts: 'a whole number of milliseconds >= 1 (the first retry; doubled each time up to 15 minutes)',
    schema: wholeNumber(1),
  },
  LOG_LEVEL: { default: 'info', accepts: `one of ${LOG_LEVELS.join(', ')}`, schema: z.enum(LOG_LEVELS) },
  HEAP_GROWTH_PERCENT: {
    default: String(DEFAULT_HEAP_GROWTH_PERCENT),
    accepts: "a whole number of percent from 0 to 1000 (0: V8's own heap growing heuristics)",
    schema: wholeNumber(0, 1000),
  },
} satisfies Record<string, Variable>;

export type ConfigVariable = keyof typeof CONFIG_VARIABLES;

/** A configuration the service must not start with: one line per problem, each naming its variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'ConfigError';
  }
}

const KEY_ENTRY = z
  .object({
    personId: z.string().regex(SAFE_ID).optional(),
    roles: z.array(z.enum(ROLES)).min(1),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

const ROLE_LIST = ROLES.join(', ');

/** What is wrong with one entry, in words that never repeat the key. */
const entryProblem = (issue: z.ZodIssue): string => {
  const [field, index] = issue.path;
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.join(', ')} (fields: personId, roles, name)`;
  if (field === 'roles') {
    if (index !== undefined) return `roles[${String(index)}] is not a role (roles: ${ROLE_LIST})`;
    if (issue.code === 'too_small') return 'roles is empty: give at least one role';
    return `roles must be an array of role names (${ROLE_LIST})`;
  }
  if (field === 'personId') return `personId ${SAFE_ID_REASON}`;
  if (field === 'name') return 'name must be a non-blank string of at most 200 characters';
  return 'must be an object {"personId"?, "roles": [...], "name"?}';
};

/** Printable ASCII without spaces: what an HTTP client can send as `Authorization: Bearer <key>`. */
const KEY_CHARS = /^[\x21-\x7e]+$/;

/**
 * LEDGER_API_KEYS, validated whole (issue 11): a string where an array belongs (`"roles": "readonly-no-admin"`),
 * an unknown role, a key with no roles, a short key — each stops the start naming the key's position (1-based, in
 * the order written) and the problem. Never the key itself: the message goes to logs.
 */
const parseApiKeys = (raw: string, minKeyLength: number): Map<string, Principal> | string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // JSON.parse's own message quotes the text around the error, which may be part of a key.
    return 'LEDGER_API_KEYS is not valid JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return `LEDGER_API_KEYS must be ${CONFIG_VARIABLES.LEDGER_API_KEYS.accepts}`;
  const entries = Object.entries(parsed);
  if (entries.length === 0) return 'LEDGER_API_KEYS holds no keys: give at least one (or leave it unset for a dev key)';
  const keys = new Map<string, Principal>();
  const problems: string[] = [];
  entries.forEach(([key, value], i) => {
    const at = `LEDGER_API_KEYS key #${i + 1}`;
    if (key.length < minKeyLength) problems.push(`${at} is shorter than ${minKeyLength} characters`);
    else if (!KEY_CHARS.test(key)) problems.push(`${at} must be printable ASCII without spaces`);
    const entry = KEY_ENTRY.safeParse(value);
    if (!entry.success) {
      problems.push(`${at}: ${entryProblem(entry.error.issues[0])}`);
      return;
    }
    const { personId, roles, name } = entry.data;
    keys.set(key, {
      personId,
      roles: [...new Set(roles)],
      name: name ?? personId ?? `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`,
    });
  });
  return problems.length > 0 ? problems.join('; ') : keys;
};

const WITNESS_ENTRY = z
  .object({
    name: z.string().regex(/^[^\s+]+$/, 'a key name without spaces or +'),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(new URL(u).protocol), 'an http(s) URL'),
    publicKey: z.string().min(1),
  })
  .strict();

/** LEDGER_WITNESSES, validated whole: names unique, each entry {name, url, publicKey}. */
const parseWitnesses = (raw: string): WitnessConfig[] | string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'LEDGER_WITNESSES is not valid JSON';
  }
  if (!Array.isArray(parsed)) return `LEDGER_WITNESSES must be ${CONFIG_VARIABLES.LEDGER_WITNESSES.accepts}`;
  const out: WitnessConfig[] = [];
  for (const [i, entry] of parsed.entries()) {
    const r = WITNESS_ENTRY.safeParse(entry);
    if (!r.success) {
      const issue = r.error.issues[0];
      return `LEDGER_WITNESSES[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`;
    }
    if (out.some((w) => w.name === r.data.name)) return `LEDGER_WITNESSES[${i}].name: ${r.data.name} is listed twice`;
    try {
      witnessVerifier(r.data.name, r.data.publicKey);
    } catch (e) {
      return `LEDGER_WITNESSES[${i}].publicKey: ${(e as Error).message}`;
    }
    out.push({ ...r.data, url: r.data.url.replace(/\/+$/, '') });
  }
  return out;
};

export interface LoadConfigOptions {
  /** Makes the development key used when LEDGER_API_KEYS is unset (default: 24 random bytes, base64url). */
  makeDevKey?: () => string;
  /**
   * Shortest key accepted (default MIN_API_KEY_LENGTH). Only the in-process test harnesses lower it, so their specs
   * can say `Bearer k-auditor`; the service's and the CLI's start never pass it.
   */
  minKeyLength?: number;
}

/** Every role: the development key's principal. */
const DEV_ROLES = [...ROLES];

/**
 * Reads and validates the configuration (contract §8). Unset and empty variables take their defaults. Throws a
 * ConfigError naming every bad variable and what it accepts; values of secret variables are never echoed.
 */
const webhookSchema = z
  .array(
    z
      .object({
        url: z
          .string()
          .url()
          .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
        secret: z.string().min(16, 'must be at least 16 characters'),
        name: z.string().trim().min(1).max(100).optional(),
        kinds: z.array(z.enum(NOTIFICATION_KINDS)).min(1).optional(),
      })
      .strict(),
  )
  .min(1);

/** LEDGER_WEBHOOKS, validated whole; a problem names the hook's position and field, never its secret. */
const parseWebhooks = (raw: string): WebhookConfig[] | string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'LEDGER_WEBHOOKS is not valid JSON';
  }
  const result = webhookSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const [index, field] = issue.path;
    const where =
      typeof index === 'number'
        ? `LEDGER_WEBHOOKS hook #${index + 1}${field ? ` ${String(field)}` : ''}`
        : 'LEDGER_WEBHOOKS';
    return `${where}: ${issue.message} (expected ${CONFIG_VARIABLES.LEDGER_WEBHOOKS.accepts})`;
  }
  const names = new Set<string>();
  const hooks: WebhookConfig[] = [];
  for (const [i, h] of result.data.entries()) {
    const name = h.name ?? new URL(h.url).host;
    if (names.has(name))
      return `LEDGER_WEBHOOKS hook #${i + 1}: another hook is named ${JSON.stringify(name)}; give each a name`;
    names.add(name);
    hooks.push({ name, url: h.url, secret: h.secret, kinds: h.kinds ?? [...NOTIFICATION_KINDS] });
  }
  return hooks;
};

export const loadConfig = (
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): ServiceConfig => {
  const problems: { variable: string; message: string }[] = [];
  const values: { [K in ConfigVariable]?: z.output<(typeof CONFIG_VARIABLES)[K]['schema']> } = {};
  for (const [name, v] of Object.entries(CONFIG_VARIABLES) as [ConfigVariable, Variable][]) {
    const given = env[name];
    const raw = given === undefined || given.trim() === '' ? v.default : given.trim();
    if (raw === undefined) continue;
    const result = v.schema.safeParse(raw);
    if (result.success) (values as Record<string, unknown>)[name] = result.data;
    else {
      const got = v.secret ? '' : ` (got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)})`;
      problems.push({ variable: name, message: `${name} must be ${v.accepts}${got}` });
    }
  }

  let apiKeys = new Map<string, Principal>();
  let devKey: string | undefined;
  if (values.LEDGER_API_KEYS !== undefined) {
    const keys = parseApiKeys(values.LEDGER_API_KEYS, options.minKeyLength ?? MIN_API_KEY_LENGTH);
    if (typeof keys === 'string') problems.push({ variable: 'LEDGER_API_KEYS', message: keys });
    else apiKeys = keys;
  } else {
    devKey = (options.makeDevKey ?? (() => randomBytes(24).toString('base64url')))();
    apiKeys.set(devKey, { name: 'dev-admin', roles: DEV_ROLES });
  }
  let witnesses: WitnessConfig[] = [];
  if (values.LEDGER_WITNESSES !== undefined) {
    const parsed = parseWitnesses(values.LEDGER_WITNESSES);
    if (typeof parsed === 'string') problems.push({ variable: 'LEDGER_WITNESSES', message: parsed });
    else witnesses = parsed;
  }
  let webhooks: WebhookConfig[] = [];
  if (values.LEDGER_WEBHOOKS !== undefined) {
    const hooks = parseWebhooks(values.LEDGER_WEBHOOKS);
    if (typeof hooks === 'string') problems.push({ variable: 'LEDGER_WEBHOOKS', message: hooks });
    else webhooks = hooks;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const given = (name: ConfigVariable) => env[name] !== undefined && env[name].trim() !== '';
  // Variables with a default are set once no problem was found.
  return {
    port: values.PORT!,
    dataDir: path.resolve(values.DATA_DIR!),
    eventstoreUrl: values.EVENTSTORE_URL,
    apiKeys,
    devKey,
    schedulerIntervalMs: values.SCHEDULER_INTERVAL_MS!,
    checkpointIntervalMs: values.CHECKPOINT_INTERVAL_MS!,
    signingKeyFile: values.LEDGER_SIGNING_KEY_FILE,
    ledgerId: values.LEDGER_ID,
    witnesses,
    rateLimitPerMinute: values.RATE_LIMIT_PER_MINUTE!,
    readyMaxLag: values.READY_MAX_LAG!,
    feedHeartbeatMs: values.FEED_HEARTBEAT_MS!,
    authFailuresPerMinute: values.AUTH_FAILURES_PER_MINUTE!,
    feedMaxStreamsPerKey: values.FEED_MAX_STREAMS_PER_KEY!,
    feedMaxStreams: values.FEED_MAX_STREAMS!,
    webhooks,
    publicUrl: values.LEDGER_PUBLIC_URL!,
    webhookRetryMs: values.LEDGER_WEBHOOK_RETRY_MS!,
    // Under jest the request lines would drown the test report; tests that read logs set their own level.
    logLevel: !given('LOG_LEVEL') && process.env.JEST_WORKER_ID !== undefined ? 'silent' : values.LOG_LEVEL!,
    heapGrowthPercent: values.HEAP_GROWTH_PERCENT!,
  };
};
