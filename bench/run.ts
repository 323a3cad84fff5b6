/**
 * `npm run bench`: runs every benchmark on this machine, prints a table (median of several runs each) and writes
 * bench/results.json. Numbers belong here, never in timed tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStoreBench } from './store.bench';
import { runIntegrityBench } from './integrity.bench';
import { runProofBench, runVerifyWalkBench } from './ledger-proofs.bench';
import { runInvestigationBench } from './investigation.bench';
import { runHttpBench } from './http.bench';
import { runProjectionsBench } from './projections.bench';
import { runLateEntryBench } from './late-entry.bench';
import { runTrustedStateBench } from './trusted-state.bench';
import { runTrustBench } from './trust.bench';
import { runScaleBench } from './scale.bench';
import { runDiskBench } from './disk.bench';
import type { BenchResult } from './bench-kit';

const main = async (): Promise<void> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-'));
  const only = process.argv.slice(2);
  const suites: [string, () => Promise<BenchResult[]>][] = [
    ['store', () => runStoreBench(dir)],
    ['integrity', () => runIntegrityBench()],
    ['ledger-proofs', () => runProofBench(dir)],
    ['verify', () => runVerifyWalkBench(dir)],
    ['investigation', () => runInvestigationBench(dir)],
    ['projections', () => runProjectionsBench(dir)],
    ['http', () => runHttpBench(dir)],
    ['late-entry', () => runLateEntryBench(dir)],
    ['trusted-state', () => runTrustedStateBench(dir)],
    ['trust', () => runTrustBench()],
    // Bytes per event of each table and index (dbstat) of BENCH_DISK_DIRS, by default the 100k scale data set.
    ['disk', () => runDiskBench()],
    // Not in a plain `npm run bench`: it builds (once) a 1M-event data set; `npm run bench -- scale` runs it.
    ['scale', () => runScaleBench(dir)],
  ];
  const results: Record<string, BenchResult[]> = {};
  try {
    for (const [name, run] of suites) {
      if ((only.length && !only.includes(name)) || (!only.length && name === 'scale')) continue;
      process.stderr.write(`running ${name}…\n`);
      results[name] = await run();
      for (const r of results[name]) {
        console.log(
          `${name.padEnd(10)} ${r.name.padEnd(58)} ${fmt(r.value).padStart(12)} ${r.unit}   (runs: ${r.runs.map(fmt).join(', ')})`,
        );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const file = path.join(__dirname, '..', '..', 'bench', 'results.json');
  const target = fs.existsSync(path.dirname(file)) ? file : path.join(process.cwd(), 'bench', 'results.json');
  // A run of some suites keeps the figures of the others from the last run that had them.
  const earlier = fs.existsSync(target)
    ? (JSON.parse(fs.readFileSync(target, 'utf8')) as { results?: Record<string, BenchResult[]> }).results
    : undefined;
  const out = {
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    at: new Date().toISOString(),
    results: { ...earlier, ...results },
  };
  fs.writeFileSync(target, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwritten to bench/results.json`);
};

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 3));

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
