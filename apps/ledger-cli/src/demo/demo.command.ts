import { progressBar } from '../progress';
import { runDemo, StoreNotEmpty } from './demo';

export const DEMO_USAGE = `usage: npm run cli -- demo [--data-dir DIR] [--force] [--items N] [--days N] [--json]

Loads a realistic data set into DATA_DIR (default ./data) through the same command path the API uses, with a
manual clock moving forward over weeks: ~45 people, 16 places, N received items (default 300) and their copies,
loans, readings in and out of scope, carry-outs, an archive inventory that misses an item, destructions, and
incidents — some reported in time, some overdue. Refuses a store that is not empty unless --force (which removes
the embedded store's files first). Deterministic: the same options give the same ledger.`;

/** `demo`: returns the exit code. */
export const demoCommand = async (
  flags: Record<string, string | boolean>,
  dataDir: string,
  eventstoreUrl?: string,
): Promise<number> => {
  if (eventstoreUrl) {
    console.error('demo loads the embedded store only; unset EVENTSTORE_URL');
    return 2;
  }
  const items = flags.items === undefined ? undefined : Number(flags.items);
  const days = flags.days === undefined ? undefined : Number(flags.days);
  if (
    (items !== undefined && !(Number.isInteger(items) && items > 0 && items <= 100_000)) ||
    (days !== undefined && !(Number.isInteger(days) && days > 0 && days <= 3650))
  ) {
    console.error(DEMO_USAGE);
    return 2;
  }
  const bar = flags.json ? undefined : progressBar('demo', undefined);
  let barTotal: number | undefined;
  let progress: ReturnType<typeof progressBar> | undefined = bar;
  try {
    const summary = await runDemo({
      dataDir,
      force: Boolean(flags.force),
      items,
      days,
      onProgress: (done, total) => {
        if (flags.json) return;
        if (barTotal !== total) {
          barTotal = total;
          progress = progressBar('demo', total);
        }
        progress?.update(done);
      },
    });
    progress?.done();
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`loaded ${summary.events} events from ${summary.commands} commands into ${summary.dataDir}`);
      console.log(
        `  ${summary.persons} people, ${summary.places} places, ${summary.items} items (${summary.copies} copies)`,
      );
      console.log(
        `  ${summary.violations} violations (open: ${Object.entries(summary.violationsBySeverity)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      );
      console.log(
        `  ${summary.incidents} incidents: ${summary.incidentsReported} reported, ${summary.incidentsOverdue} overdue`,
      );
      console.log(`  ledger clock now ${summary.clock}; verify ${summary.verified ? 'ok' : 'FAILED'}`);
    }
    return summary.verified ? 0 : 1;
  } catch (e) {
    progress?.done();
    if (e instanceof StoreNotEmpty) {
      if (flags.json) console.log(JSON.stringify({ ok: false, error: e.message }));
      else console.error(e.message);
      return 1;
    }
    throw e;
  }
};
