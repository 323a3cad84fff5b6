// Where a command's CPU goes, from a .cpuprofile (scripts/cpu-profile.js; `BENCH_CPU_PROF=FILE npm run bench -- http`):
//
//   node scripts/profile-stages.js FILE [LAST_SECONDS] [CPU_US_PER_COMMAND]
//
// Each sample is given to the innermost stage on its stack (the first frame, from the leaf up, that a rule below
// names); idle samples are left out. LAST_SECONDS keeps only the end of the profile (the load, not the set-up);
// CPU_US_PER_COMMAND (the bench's "service CPU µs per command") apportions µs by the shares. A tool for
// docs/benchmarks.md's per-stage table, written here because DevTools shows functions, not stages.
const fs = require('node:fs');

const [file, lastArg, usArg] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));

/** The store's read methods (the rest of sqlite.event-store is the group commit). */
const READS = new Set([
  'readPage',
  'headPositionSync',
  'headPosition',
  'toRecorded',
  'readStream',
  'findCommand',
  'toStoredCommand',
  'streamRevision',
  'readAll',
  'promised',
]);

/** [stage, test on a frame]; the first that matches a frame names it. Order matters only within one frame. */
const RULES = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['program (V8/native, unattributed)', (f) => f.functionName === '(program)'],
  [
    'store reads (readStream, findCommand, head, subscription pages)',
    (f) =>
      /store\/sqlite\.subscription/.test(f.url) ||
      (/store\/sqlite\.event-store/.test(f.url) && READS.has(f.functionName)),
  ],
  [
    'group commit (queue, transaction or writer thread messages)',
    (f) => /store\/sqlite(\.event-store|-writer\.)/.test(f.url),
  ],
  ['projections', (f) => /libs\/read-models\//.test(f.url)],
  ['sealing (RFC 8785 + SHA-256)', (f) => /canonical-json|hash-chain|event-hash|canonicalize/.test(f.url)],
  ['runner (load, fold, seal, advance)', (f) => /decider\/decider-runner/.test(f.url)],
  ['domain: plan, fulfil, decide', (f) => /libs\/custody\/|custody-program/.test(f.url)],
  [
    'validation (DTO rules, envelope)',
    (f) => /libs\/application\/src\/commands\/|class-validator|class-transformer/.test(f.url),
  ],
  ['ledger core (pre-checks, answer)', (f) => /libs\/application\/src\/ledger-core/.test(f.url)],
  ['key guard, query guard, rate limiter', (f) => /apps\/ledger-api\/src\/auth\/|@nestjs\/throttler/.test(f.url)],
  ['metrics', (f) => /apps\/ledger-api\/src\/metrics\/|prom-client/.test(f.url)],
  ['request log', (f) => /logging\/|pino/.test(f.url)],
  ['commands route: body, answer', (f) => /apps\/ledger-api\/src\/commands\//.test(f.url)],
  ['Nest pipeline, CQRS bus, controller', (f) => /@nestjs\/|apps\/ledger-api\/src\/|rxjs/.test(f.url)],
  ['libs/application, other', (f) => /libs\/application\//.test(f.url)],
  ['libs/ledger, other', (f) => /libs\/ledger\//.test(f.url)],
  [
    'Node http (parser, sockets)',
    (f) =>
      /node:(_http|http|net|internal\/(http|stream|streams|net))|^node:stream/.test(f.url) ||
      f.functionName === 'HTTPParser',
  ],
  [
    'promise plumbing (microtasks, ticks)',
    (f) =>
      /processTicksAndRejections|runMicrotasks|^node:internal\/process\/task_queues/.test(f.functionName + ' ' + f.url),
  ],
  ['JSON (parse, stringify)', (f) => /^(parse|stringify)$/.test(f.functionName) && f.url === ''],
];

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const stageOf = new Map();
const stage = (id) => {
  if (stageOf.has(id)) return stageOf.get(id);
  const f = nodes.get(id).callFrame;
  let s;
  if (f.functionName === '(idle)') s = null;
  else {
    const rule = RULES.find(([, test]) => test(f));
    s = rule ? rule[0] : parent.has(id) ? stage(parent.get(id)) : 'other';
  }
  stageOf.set(id, s);
  return s;
};

// Sample times: startTime + running sum of timeDeltas (µs).
const times = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) times.push((t += d));
const from = lastArg ? profile.endTime - Number(lastArg) * 1e6 : -Infinity;
const counts = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  if (times[i] < from) return;
  const s = stage(id);
  if (s === null) return;
  counts.set(s, (counts.get(s) ?? 0) + 1);
  total += 1;
});
const us = usArg ? Number(usArg) : undefined;
console.log(`${total} busy samples${lastArg ? ` in the last ${lastArg} s` : ''}`);
for (const [s, c] of [...counts].sort((a, b) => b[1] - a[1]))
  console.log(
    `| ${s.padEnd(52)} | ${((100 * c) / total).toFixed(1).padStart(5)} % |${us ? ` ${String(Math.round((us * c) / total)).padStart(4)} |` : ''}`,
  );
