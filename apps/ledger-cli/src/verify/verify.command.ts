import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { PUBLIC_KEY_FILE } from '@app/ledger';
import {
  openStore,
  verifyLedgerIntegrity,
  readTrustedState,
  writeTrustedState,
  nextTrustedState,
  unpinnedKeyWarning,
  translate,
  type Lang,
  type TrustedState,
} from '@app/application';
import { readAppliedHeadFromFile } from '@app/read-models';
import { progressBar } from '../progress';
import { EXIT, dataDirOption, jsonOption, type CliContext } from '../cli-context';

/** The service's read-model file in DATA_DIR (see LedgerCore.open). */
const READ_MODELS_FILE = 'read-models.sqlite';

export interface VerifyCommandOptions {
  dataDir: string;
  eventstoreUrl?: string;
  /** A copy of the checkpoint key the auditor keeps; without it the data directory's key is trusted (and said so). */
  publicKey?: string;
  /** The auditor's trusted-state file (see libs/application/src/verification/trusted-state.ts). */
  trustedState?: string;
  /** `NAME=KEYFILE` (or `NAME=vkey`): witnesses whose cosignatures the latest checkpoint must carry. */
  witnesses?: string[];
  /** How many of them must have co-signed (default: all). */
  quorum?: string;
  json?: boolean;
  /** The language of the human output (codes, ids and the detail of a failure stay as they are). */
  lang?: Lang;
}

/** `--witness NAME=KEY…` and `--quorum N`, or an error message. */
export const witnessArgs = (
  specs: string[] | undefined,
  quorum: string | undefined,
): { witnesses?: { name: string; publicKey: string }[]; quorum?: number } | string => {
  if (!specs || specs.length === 0) return quorum === undefined ? {} : '--quorum needs --witness NAME=KEYFILE';
  const witnesses = [];
  for (const spec of specs) {
    const eq = spec?.indexOf('=') ?? -1;
    if (eq <= 0) return `--witness ${spec}: expected NAME=KEYFILE`;
    witnesses.push({ name: spec.slice(0, eq), publicKey: spec.slice(eq + 1) });
  }
  if (quorum === undefined) return { witnesses };
  if (!/^\d+$/.test(quorum) || Number(quorum) < 1 || Number(quorum) > witnesses.length)
    return `--quorum must be a whole number from 1 to ${witnesses.length} (the witnesses named)`;
  return { witnesses, quorum: Number(quorum) };
};

/**
 * `verify [--public-key FILE] [--trusted-state FILE]`: the full audit of the store. Exit 0 when everything verifies,
 * 1 naming what did not (a broken chain or tree, a bad signature, a rolled-back or forked ledger against the trusted
 * state), 2 for unusable arguments. The trusted-state file is written only when the run passes.
 */
export const verifyCommand = async (o: VerifyCommandOptions): Promise<number> => {
  let pinned: TrustedState | null = null;
  if (o.trustedState) {
    try {
      pinned = readTrustedState(o.trustedState);
    } catch (e) {
      console.error((e as Error).message);
      return EXIT.usage;
    }
  }
  const named = witnessArgs(o.witnesses, o.quorum);
  if (typeof named === 'string') {
    console.error(named);
    return 2;
  }
  if (o.publicKey && !fs.existsSync(o.publicKey)) {
    console.error(`--public-key ${o.publicKey}: no such file`);
    return EXIT.usage;
  }
  const keyFile = o.publicKey ?? path.join(o.dataDir, PUBLIC_KEY_FILE);
  const publicKeyPem = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8') : undefined;
  const keyTrust = {
    pinned: Boolean(o.publicKey),
    file: publicKeyPem ? keyFile : null,
    ...(o.publicKey ? {} : { warning: unpinnedKeyWarning(publicKeyPem ? keyFile : null) }),
  };
  // Said before the work starts (seen even when the run is long or interrupted), on stderr even with --json.
  if (keyTrust.warning) console.error(keyTrust.warning);

  const store = await openStore({ dataDir: o.dataDir, eventstoreUrl: o.eventstoreUrl });
  let result;
  try {
    const bar = o.json ? undefined : progressBar('verify', await store.headPosition());
    // The read models beside the store remember how far they applied it; read-only, so the audit changes nothing.
    const appliedHead = readAppliedHeadFromFile(path.join(o.dataDir, READ_MODELS_FILE));
    result = await verifyLedgerIntegrity(store, {
      publicKeyPem,
      ...(appliedHead ? { appliedHead } : {}),
      onProgress: (n) => bar?.update(n),
      ...(o.trustedState ? { trustedState: pinned } : {}),
      ...named,
    });
    bar?.done();
  } finally {
    await store.close();
  }

  const latest = result.checkpoints.latest;
  let recorded = false;
  if (o.trustedState && result.ok && latest) {
    writeTrustedState(o.trustedState, nextTrustedState(latest, 'store', new Date().toISOString()));
    recorded = true;
  }
  const trusted = result.trustedState ? { file: o.trustedState, ...result.trustedState, recorded } : undefined;

  if (o.json) {
    console.log(JSON.stringify({ ...result, keyTrust, ...(trusted ? { trustedState: trusted } : {}) }, null, 2));
  } else {
    const lang = o.lang ?? 'en';
    const say = (key: Parameters<typeof translate>[1], vars: Record<string, string | number> = {}) =>
      console.log(translate(lang, key, vars));
    if (result.firstFailure) say('cli.verify.failedAt', { failure: JSON.stringify(result.firstFailure) });
    if (result.storeRollback)
      say('cli.verify.rolledBack', { reason: result.storeRollback.reason, detail: result.storeRollback.detail });
    if (result.witnesses && !result.witnesses.ok)
      say('cli.verify.witnessesFailed', { detail: result.witnesses.detail });
    if (trusted && !trusted.ok)
      say('cli.verify.trustedFailed', { file: String(trusted.file), status: trusted.status, detail: trusted.detail });
    if (result.ok) {
      say('cli.verify.ok', { events: result.eventsChecked, streams: result.streams });
      if (trusted)
        say('cli.verify.trusted', { file: String(trusted.file), status: trusted.status, detail: trusted.detail });
      if (result.witnesses) say('cli.verify.witnesses', { detail: result.witnesses.detail });
    } else if (trusted) say('cli.verify.trustedKept', { file: String(trusted.file) });
    if (keyTrust.warning) console.log(keyTrust.warning);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
};

export const verifyDefinition = (program: Command, ctx: CliContext): void => {
  program
    .command('verify')
    .summary('check every chain, the Merkle tree and the signed checkpoints')
    .description(
      'check every hash chain, the Merkle tree against every signed checkpoint, signatures and consistency; ' +
        'exit 1 naming the first event that does not match; with --trusted-state, the latest checkpoint must extend ' +
        'the one pinned in the file (rolled-back or fork otherwise)',
    )
    .option(
      '--public-key <file>',
      "a copy of the checkpoint key you keep (without it the data directory's key is trusted, and said so)",
    )
    .option(
      '--trusted-state <file>',
      "the auditor's file: the first run pins the latest verified checkpoint; later runs fail with rolled-back or " +
        'fork unless the ledger extends it; it is advanced only when everything verifies',
    )
    .option(
      '--witness <name=keyfile>',
      'a witness whose cosignature the latest checkpoint must carry: its name and public key (vkey or SPKI PEM, ' +
        'in a file or inline); repeat per witness',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--quorum <n>', 'how many of the --witness must have co-signed the latest checkpoint (default: all)')
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run(
        (
          opts: {
            publicKey?: string;
            trustedState?: string;
            witness: string[];
            quorum?: string;
            json?: boolean;
            dataDir?: string;
          },
          command: Command,
        ) =>
          verifyCommand({
            lang: ctx.lang(command.optsWithGlobals()),
            dataDir: ctx.dataDir(opts),
            eventstoreUrl: ctx.config().eventstoreUrl,
            publicKey: opts.publicKey,
            trustedState: opts.trustedState,
            witnesses: opts.witness,
            quorum: opts.quorum,
            json: Boolean(opts.json),
          }),
      ),
    );
};
