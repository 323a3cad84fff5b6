/** Starts `witness serve` (the CLI) as a real child process, for the witness and catch-up tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
const CLI = path.join(ROOT, 'apps', 'ledger-cli', 'src', 'main.ts');

export interface WitnessProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  name: string;
  /** The witness's cosignature vkey, as it printed it. */
  vkey: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export const startWitness = (opts: {
  key: string;
  state: string;
  logs: string[];
  name: string;
  port?: number;
}): Promise<WitnessProcess> => {
  const args = ['-r', REGISTER, CLI, 'witness', 'serve', '--key', opts.key, '--state', opts.state];
  args.push('--port', String(opts.port ?? 0), '--name', opts.name);
  for (const l of opts.logs) args.push('--log', l);
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`witness did not start:\n${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"listening"'));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { port: number; name: string; vkey: string };
      resolve({
        proc,
        port: ready.port,
        url: `http://127.0.0.1:${ready.port}`,
        name: ready.name,
        vkey: ready.vkey,
        output: () => out,
        kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          await exited;
        },
      });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`witness exited before it listened:\n${out}`));
    });
  });
};
