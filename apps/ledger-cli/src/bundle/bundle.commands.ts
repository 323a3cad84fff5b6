import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock } from '@app/ledger';
import {
  LedgerCore,
  CheckpointService,
  WitnessPublisher,
  WitnessQuorumNotReached,
  describeFailure,
  verifyBundle,
  exportBundle,
  witnessedCheckpoint,
  type ServiceConfig,
  type WitnessedCheckpoint,
} from '@app/application';
import { progressBar } from '../progress';
import { witnessArgs } from '../verify/verify.command';
import { checkBundleTrustedState, loadPinned } from './bundle-trusted-state';
import { EXIT, dataDirOption, jsonOption, parseWhole, type CliContext } from '../cli-context';

interface Args {
  positional: string[];
  flags: Record<string, string | boolean>;
  /** `--witness NAME=KEY`, repeated. */
  witnesses?: string[];
}

/** How long `export` waits for the witnesses' quorum by default (`--witness-timeout`). */
export const DEFAULT_WITNESS_TIMEOUT_S = 30;

/**
 * `export ITEM --out FILE [--quorum N] [--witness-timeout S]`: writes the item's bundle. Without LEDGER_WITNESSES it
 * proves against the latest checkpoint (signing one when it does not cover the item). With witnesses it proves
 * against the latest checkpoint that covers the item and carries the quorum (default: every witness) of stored
 * cosignatures; when none does it signs one if needed, sends it to the witnesses and waits up to the timeout, and
 * past that writes nothing and exits 1 naming the missing witnesses (`--quorum 0` exports without them).
 */
export const exportCommand = async (
  a: Args,
  dataDir: string,
  config: Pick<ServiceConfig, 'eventstoreUrl' | 'signingKeyFile'> &
    Partial<Pick<ServiceConfig, 'witnesses' | 'witnessRetry'>> = {},
): Promise<number> => {
  const itemId = a.positional[0];
  const out = a.flags.out;
  if (!itemId || typeof out !== 'string') {
    console.error('usage: custody-ledger export ITEM --out FILE [--quorum N] [--witness-timeout SECONDS] [--json]');
    return EXIT.usage;
  }
  const witnesses = config.witnesses ?? [];
  const quorumFlag = typeof a.flags.quorum === 'string' ? a.flags.quorum : undefined;
  if (quorumFlag !== undefined && witnesses.length === 0) {
    console.error('--quorum needs witnesses: LEDGER_WITNESSES is not set');
    return EXIT.usage;
  }
  const quorum = quorumFlag === undefined ? witnesses.length : Number(quorumFlag);
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length) {
    console.error(`--quorum must be a whole number from 0 to ${witnesses.length} (the witnesses of LEDGER_WITNESSES)`);
    return EXIT.usage;
  }
  const timeoutFlag = a.flags['witness-timeout'];
  const timeoutS = typeof timeoutFlag === 'string' ? Number(timeoutFlag) : DEFAULT_WITNESS_TIMEOUT_S;
  if (!Number.isSafeInteger(timeoutS) || timeoutS < 0) {
    console.error('--witness-timeout must be a whole number of seconds');
    return EXIT.usage;
  }
  const core = await LedgerCore.open({ dataDir, eventstoreUrl: config.eventstoreUrl, clock: new SystemClock() });
  try {
    let bar: ReturnType<typeof progressBar> | undefined;
    const proveFrom = typeof a.flags['prove-from'] === 'string' ? [Number(a.flags['prove-from'])] : [];
    const checkpoints = CheckpointService.forCore(core, { signingKeyFile: config.signingKeyFile });
    // With witnesses, the publisher supplies the stored cosignatures (and sends checkpoints when export must wait).
    const publisher =
      witnesses.length > 0
        ? new WitnessPublisher(core.store, core.readModels, checkpoints, witnesses, config.witnessRetry)
        : null;
    let witnessed: WitnessedCheckpoint | undefined;
    let bundle;
    try {
      bundle = await exportBundle(
        core,
        checkpoints,
        itemId,
        (n, total) => {
          if (!a.flags.json) (bar ??= progressBar('proofs', total)).update(n);
        },
        {
          proveFrom,
          ...(publisher && quorum > 0
            ? {
                checkpointFor: async (minTreeSize: number) => {
                  witnessed = await witnessedCheckpoint(publisher, checkpoints, minTreeSize, {
                    quorum,
                    timeoutMs: timeoutS * 1000,
                  });
                  return witnessed.checkpoint;
                },
              }
            : {}),
        },
      );
    } catch (e) {
      if (!(e instanceof WitnessQuorumNotReached)) throw e;
      console.error(
        `export refused: ${e.message}. Nothing was written; rerun when the witnesses are back, or pass --quorum 0 ` +
          'to export without their cosignatures.',
      );
      if (a.flags.json)
        console.log(
          JSON.stringify({
            ok: false,
            code: e.code,
            quorum: e.quorum,
            cosignedBy: e.cosignedBy,
            missing: e.missing,
            waitedMs: e.waitedMs,
          }),
        );
      return EXIT.failed;
    } finally {
      publisher?.stop();
    }
    bar?.done();
    fs.writeFileSync(out, JSON.stringify(bundle, null, 2) + '\n');
    const events = bundle.streams.reduce((n, s) => n + s.events.length, 0);
    const cosignedBy = publisher ? publisher.cosignersOf(bundle.checkpoint, await publisher.stored()) : [];
    const summary = {
      ok: true,
      out,
      itemId,
      items: bundle.items,
      events,
      treeSize: bundle.checkpoint.treeSize,
      rootHash: bundle.checkpoint.rootHash,
      keyId: bundle.keyId,
      ...(publisher
        ? {
            witnesses: {
              quorum,
              cosignedBy,
              // stored: a checkpoint already co-signed; waited: sent to the witnesses and co-signed meanwhile;
              // not-required: --quorum 0, whatever cosignatures are stored.
              checkpoint: witnessed?.how ?? 'not-required',
              waitedMs: witnessed?.waitedMs ?? 0,
            },
          }
        : {}),
    };
    const witnessLine = !publisher
      ? ''
      : witnessed?.how === 'waited'
        ? `, co-signed by ${cosignedBy.join(', ')} (quorum ${quorum}; waited ${(witnessed.waitedMs / 1000).toFixed(1)} s for the witnesses)`
        : witnessed
          ? `, co-signed by ${cosignedBy.join(', ')} (quorum ${quorum}; the latest checkpoint so co-signed)`
          : `, co-signed by ${cosignedBy.length ? cosignedBy.join(', ') : 'no witness'} (quorum 0: not waited for)`;
    console.log(
      a.flags.json
        ? JSON.stringify(summary)
        : `exported ${events} events of ${bundle.items.join(', ')} to ${out}, proven against checkpoint ${bundle.checkpoint.treeSize} (key ${bundle.keyId})${witnessLine}`,
    );
    return 0;
  } finally {
    await core.close();
  }
};

/** `verify-bundle FILE --public-key FILE`: offline; exit 0 when everything checks, 1 naming each failure. */
export const verifyBundleCommand = (a: Args): number => {
  const file = a.positional[0];
  const keyFile = a.flags['public-key'];
  if (!file || typeof keyFile !== 'string') {
    console.error('usage: custody-ledger verify-bundle FILE --public-key FILE [--json]');
    return EXIT.usage;
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`cannot read ${file} as JSON: ${(e as Error).message}`);
    return 1;
  }
  const stateFile = typeof a.flags['trusted-state'] === 'string' ? a.flags['trusted-state'] : undefined;
  const loaded = stateFile ? loadPinned(stateFile) : undefined;
  if (loaded && 'error' in loaded) {
    console.error(loaded.error);
    return EXIT.usage;
  }
  const named = witnessArgs(a.witnesses, typeof a.flags.quorum === 'string' ? a.flags.quorum : undefined);
  if (typeof named === 'string') {
    console.error(named);
    return EXIT.usage;
  }
  let bar: ReturnType<typeof progressBar> | undefined;
  const result = verifyBundle(
    bundle,
    fs.readFileSync(keyFile, 'utf8'),
    (n, total) => {
      if (!a.flags.json) (bar ??= progressBar('verify', total)).update(n);
    },
    named,
  );
  bar?.done();
  const trusted =
    stateFile && loaded
      ? checkBundleTrustedState({
          file: stateFile,
          pinned: loaded.pinned,
          bundle,
          result,
          consistencyProofFile:
            typeof a.flags['consistency-proof'] === 'string' ? a.flags['consistency-proof'] : undefined,
        })
      : undefined;
  const trustedOk = !trusted || (trusted.finding?.ok ?? false);
  if (trusted?.finding && !trusted.finding.ok)
    console.error(`FAILED trusted state ${trusted.file}: ${trusted.finding.status}: ${trusted.finding.detail}`);
  if (a.flags.json)
    console.log(
      JSON.stringify(
        {
          ...result,
          ok: result.ok && trustedOk,
          ...(trusted ? { trustedState: { file: trusted.file, recorded: trusted.recorded, ...trusted.finding } } : {}),
        },
        null,
        2,
      ),
    );
  else if (result.ok && trusted?.finding)
    console.log(`trusted state ${trusted.file}: ${trusted.finding.status}: ${trusted.finding.detail}`);
  if (a.flags.json) return result.ok && trustedOk ? EXIT.ok : EXIT.failed;
  if (result.ok)
    console.log(
      `ok: ${result.events} events in ${result.streams} streams of ${result.itemId} are intact and included in the checkpoint of ${result.treeSize} events signed by key ${result.keyId}`,
    );
  else {
    console.log(`FAILED: ${result.failures.length} check(s) failed`);
    for (const f of result.failures) console.log(`  ${describeFailure(f)}`);
  }
  return result.ok && trustedOk ? EXIT.ok : EXIT.failed;
};

/** The definitions of `export` and `verify-bundle` (their handlers above are also called by test/integrity). */
export const bundleCommands = (program: Command, ctx: CliContext): void => {
  program
    .command('export')
    .summary("write an item's events with inclusion proofs and a signed checkpoint")
    .description(
      "write the item's (and its copies') events with chain links and inclusion proofs against one signed " +
        'checkpoint (signing one if the latest does not cover them)',
    )
    .argument('<item>', 'the item id')
    .requiredOption('--out <file>', 'where to write the bundle (JSON)')
    .option(
      '--prove-from <size>',
      "add the consistency proof from this tree size (an auditor's pinned treeSize) to the bundle's checkpoint",
      parseWhole(0, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--quorum <n>',
      'with LEDGER_WITNESSES: prove against a checkpoint co-signed by this many of them (default all; 0: do not wait)',
      parseWhole(0, 64),
    )
    .option(
      '--witness-timeout <seconds>',
      `how long to wait for the quorum when no checkpoint covering the item has it yet (default ${DEFAULT_WITNESS_TIMEOUT_S})`,
      parseWhole(0, 3600),
    )
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run(
        (
          itemId: string,
          opts: {
            out: string;
            json?: boolean;
            dataDir?: string;
            proveFrom?: number;
            quorum?: number;
            witnessTimeout?: number;
          },
        ) =>
          exportCommand(
            {
              positional: [itemId],
              flags: {
                out: opts.out,
                json: Boolean(opts.json),
                ...(opts.proveFrom !== undefined ? { 'prove-from': String(opts.proveFrom) } : {}),
                ...(opts.quorum !== undefined ? { quorum: String(opts.quorum) } : {}),
                ...(opts.witnessTimeout !== undefined ? { 'witness-timeout': String(opts.witnessTimeout) } : {}),
              },
            },
            ctx.dataDir(opts),
            ctx.config(),
          ),
      ),
    );
  program
    .command('verify-bundle')
    .summary('check an exported bundle offline')
    .description('check a bundle offline (no store, no network): hashes, links, proofs, signature; exit 1 on a failure')
    .argument('<file>', 'the bundle (JSON)')
    .requiredOption('--public-key <file>', "the checkpoint key's public PEM")
    .option(
      '--trusted-state <file>',
      "the auditor's file: the bundle's checkpoint must extend the pinned one (rolled-back or fork otherwise); " +
        'advanced only when everything verifies',
    )
    .option(
      '--consistency-proof <file>',
      "a consistency proof from the pinned size to the bundle's (the JSON of GET /api/ledger/consistency?from=…&to=…)",
    )
    .option(
      '--witness <name=keyfile>',
      "a witness whose cosignature the bundle's checkpoint must carry (vkey or SPKI PEM, in a file or inline); repeat",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--quorum <n>', 'how many of the --witness must have co-signed (default: all)')
    .addOption(jsonOption())
    .action(
      ctx.run(
        (
          file: string,
          opts: {
            publicKey: string;
            json?: boolean;
            trustedState?: string;
            consistencyProof?: string;
            witness: string[];
            quorum?: string;
          },
        ) =>
          verifyBundleCommand({
            positional: [file],
            witnesses: opts.witness,
            flags: {
              'public-key': opts.publicKey,
              json: Boolean(opts.json),
              ...(opts.trustedState ? { 'trusted-state': opts.trustedState } : {}),
              ...(opts.consistencyProof ? { 'consistency-proof': opts.consistencyProof } : {}),
              ...(opts.quorum ? { quorum: opts.quorum } : {}),
            },
          }),
      ),
    );
};
