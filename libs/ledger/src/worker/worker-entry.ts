import * as path from 'node:path';

/** The repository's TypeScript register hook (test/support/ts-register.js), for workers run from source. */
const TS_REGISTER = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'support', 'ts-register.js');

/**
 * Where a worker thread's script is, and the `execArgv` to start it with, for a worker that sits beside the module
 * starting it (`from`: that module's `__filename`; `name`: the worker's file name without its extension). Compiled,
 * it is the JavaScript beside `from`; in a source checkout (ts-jest, the repository's ts-register) the TypeScript
 * itself, loaded through that register hook. For JavaScript, `inheritExecArgv` leaves `execArgv` unset, so the worker
 * gets this process's options (the `-r` that resolves the `@app/*` aliases, for a worker that imports them); else it
 * starts with none.
 *
 * @internal Shared by the ledger's and the read models' workers.
 */
export const workerEntry = (
  from: string,
  name: string,
  inheritExecArgv = false,
): { file: string; execArgv?: string[] } => {
  const ext = path.extname(from);
  const file = path.join(path.dirname(from), `${name}${ext}`);
  if (ext === '.ts') return { file, execArgv: ['--require', TS_REGISTER] };
  return inheritExecArgv ? { file } : { file, execArgv: [] };
};
