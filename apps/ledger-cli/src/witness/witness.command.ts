import { hostname } from 'node:os';
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cli-context';
import { FileWitnessState, Witness, type NoteVerifier } from '@app/ledger';
import { loadOrCreateWitnessKey, logVerifierFromFile, serveWitness, witnessVkey } from './witness-server';

export const WITNESS_USAGE = `usage: npm run cli -- witness serve --key FILE --state FILE --port N --log ORIGIN=PUBLIC_KEY_FILE… [--name NAME] [--host ADDR]

A C2SP tlog-witness: co-signs (cosignature/v1) only checkpoints consistent with the last one it co-signed per log.
  --key FILE     the witness's Ed25519 PKCS#8 PEM key (created, mode 0600, when missing)
  --state FILE   its state file (only the witness writes it: temp file, fsync, rename, fsync of the directory)
  --port N       TCP port (0: any free port; the one chosen is printed)
  --log O=F      a log it witnesses: origin O (custody-ledger/<ledgerId>, the first line of GET /api/ledger/checkpoint)
                 and the log's public key F (SPKI PEM such as signing-key.pub.pem, or a vkey); repeat per log or key
  --name NAME    the witness's key name in its cosignatures (default witness/<hostname>)
  --host ADDR    address to listen on (default 127.0.0.1)
Prints one JSON line {"listening", "port", "name", "vkey"} when it is ready.`;

export interface WitnessServeOptions {
  key?: string;
  state?: string;
  port?: string;
  logs: string[];
  name?: string;
  host?: string;
}

/** `witness serve`: runs until SIGINT/SIGTERM. Exit 2 on unusable arguments. */
export const witnessServeCommand = async (o: WitnessServeOptions): Promise<number> => {
  if (!o.key || !o.state || o.port === undefined || o.logs.length === 0) {
    console.error(WITNESS_USAGE);
    return EXIT.usage;
  }
  const port = Number(o.port);
  if (!/^\d{1,5}$/.test(o.port) || port > 65535) {
    console.error('--port must be a TCP port from 0 to 65535');
    return EXIT.usage;
  }
  const logs = new Map<string, NoteVerifier[]>();
  for (const spec of o.logs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) {
      console.error(`--log ${spec}: expected ORIGIN=PUBLIC_KEY_FILE`);
      return EXIT.usage;
    }
    const origin = spec.slice(0, eq);
    try {
      const v = logVerifierFromFile(origin, spec.slice(eq + 1));
      logs.set(origin, [...(logs.get(origin) ?? []), v]);
    } catch (e) {
      console.error(`--log ${spec}: ${(e as Error).message}`);
      return EXIT.usage;
    }
  }
  const name = o.name ?? `witness/${hostname()}`;
  const key = loadOrCreateWitnessKey(o.key);
  const witness = new Witness({ name, privateKey: key, logs, state: new FileWitnessState(o.state) });
  const running = await serveWitness(witness, port, o.host ?? '127.0.0.1');
  console.log(JSON.stringify({ listening: true, port: running.port, name, vkey: witnessVkey(name, key) }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return EXIT.ok;
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `witness serve`: the options of WITNESS_USAGE, as one commander definition. */
export const witnessDefinition = (program: Command, ctx: CliContext): void => {
  const witness = program
    .command('witness')
    .summary('run a C2SP tlog-witness (witness serve)')
    .description('a C2SP tlog-witness that co-signs (cosignature/v1) only checkpoints consistent with the last one');
  witness
    .command('serve')
    .description(
      'co-sign only checkpoints consistent with the last one co-signed per log; runs until SIGINT/SIGTERM and prints ' +
        'one JSON line {"listening", "port", "name", "vkey"} when ready',
    )
    .requiredOption('--key <file>', "the witness's Ed25519 PKCS#8 PEM key (created, mode 0600, when missing)")
    .requiredOption('--state <file>', 'its state file (only the witness writes it: temp file, fsync, rename)')
    .requiredOption('--port <n>', 'TCP port (0: any free port; the one chosen is printed)')
    .requiredOption(
      '--log <origin=file>',
      'a log it witnesses: origin (custody-ledger/<ledgerId>) and the log public key file (SPKI PEM or vkey); ' +
        'repeat per log or key',
      collect,
      [],
    )
    .option('--name <name>', "the witness's key name in its cosignatures (default witness/<hostname>)")
    .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
    .action(
      ctx.run((opts: { key: string; state: string; port: string; log: string[]; name?: string; host?: string }) =>
        witnessServeCommand({ ...opts, logs: opts.log }),
      ),
    );
};
