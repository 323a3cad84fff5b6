import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock } from '@app/ledger';
import { CheckpointService, FileKeyRing, LedgerCore } from '@app/application';
import { EXIT, dataDirOption, jsonOption, type CliContext } from '../cli-context';

export interface RotateKeyOptions {
  dataDir: string;
  eventstoreUrl?: string;
  signingKeyFile?: string;
  ledgerId?: string;
  newKey: string;
  json?: boolean;
}

/**
 * `rotate-key --new-key FILE` (contract §4.1): stages the new key beside the current one, signs a hand-over checkpoint
 * with both (its note names the new key in a `key` line), then makes the new key the only one: the old key is kept
 * aside as signing-key.retired-<keyId>.pem until the operator destroys it. A running service re-reads the key file
 * before each checkpoint, so it signs with the new key from then on.
 */
export const rotateKeyCommand = async (o: RotateKeyOptions): Promise<number> => {
  let nextPem: string;
  try {
    nextPem = fs.readFileSync(o.newKey, 'utf8');
  } catch (e) {
    console.error(`--new-key ${o.newKey}: ${(e as Error).message}`);
    return EXIT.usage;
  }
  const ring = FileKeyRing.forDataDir(o.dataDir, { signingKeyFile: o.signingKeyFile });
  const old = ring.current();
  let next;
  try {
    next = ring.stage(nextPem);
  } catch (e) {
    console.error(`--new-key ${o.newKey}: not an Ed25519 PKCS#8 PEM private key (${(e as Error).message})`);
    return EXIT.usage;
  }
  if (next.keyId === old.keyId) {
    console.error('--new-key is the key already in use');
    return EXIT.usage;
  }
  const core = await LedgerCore.open({ dataDir: o.dataDir, eventstoreUrl: o.eventstoreUrl, clock: new SystemClock() });
  let handover;
  try {
    const checkpoints = CheckpointService.forCore(core, { signingKeyFile: o.signingKeyFile, ledgerId: o.ledgerId });
    handover = await checkpoints.signNow({ force: true, actor: 'system:rotate-key' });
    // An empty ledger has nothing to hand over: the new key simply takes the old one's place.
    if (!handover.created) checkpoints.keyRing.promote(next);
  } finally {
    await core.close();
  }
  const out = {
    ok: true,
    oldKeyId: old.keyId,
    newKeyId: next.keyId,
    handoverTreeSize: handover.created ? (handover.checkpoint?.treeSize ?? null) : null,
    retiredKeyFile: `signing-key.retired-${old.keyId}.pem`,
  };
  console.log(
    o.json
      ? JSON.stringify(out)
      : `rotated: key ${out.oldKeyId} handed over to ${out.newKeyId}` +
          (out.handoverTreeSize !== null ? ` in the checkpoint of ${out.handoverTreeSize} events` : ' (empty ledger)') +
          `; the old key is kept as ${out.retiredKeyFile} until you destroy it`,
  );
  return EXIT.ok;
};

export const rotateKeyCommandDefinition = (program: Command, ctx: CliContext): void => {
  program
    .command('rotate-key')
    .summary('hand checkpoint signing over to a new key')
    .description(
      'sign a checkpoint with both the current and the new key (its note names the new key), then sign with the ' +
        'new key alone; verifiers pinned to the old key follow the hand-over (docs/integrity.md)',
    )
    .requiredOption('--new-key <file>', 'the new Ed25519 PKCS#8 PEM private key')
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action(
      ctx.run((opts: { newKey: string; json?: boolean; dataDir?: string }) =>
        rotateKeyCommand({
          dataDir: ctx.dataDir(opts),
          eventstoreUrl: ctx.config().eventstoreUrl,
          signingKeyFile: ctx.config().signingKeyFile,
          ledgerId: ctx.config().ledgerId,
          newKey: opts.newKey,
          json: Boolean(opts.json),
        }),
      ),
    );
};
