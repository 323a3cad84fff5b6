import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DomainError, SEVERITIES } from '@app/custody';
import { Ledger, type LedgerCore, isPublicCommandName } from '@app/application';
import { LEDGER_CORE } from '../tokens';
import { RequestValidationError } from '@app/application';

/** How a command ended, as a metric label: bounded values only (stable codes, never ids or titles). */
export type CommandOutcome = 'ok' | 'invalid' | 'forbidden' | 'refused' | 'error';

const STABLE_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** Classifies a command's result for the `outcome` and `code` labels. */
export const outcomeOf = (error: unknown): { outcome: CommandOutcome; code: string } => {
  if (error === undefined) return { outcome: 'ok', code: '' };
  if (error instanceof RequestValidationError) return { outcome: 'invalid', code: error.code };
  if (error instanceof DomainError) {
    const code = typeof error.code === 'string' && STABLE_CODE.test(error.code) ? error.code : 'UNKNOWN';
    if (code === 'FORBIDDEN') return { outcome: 'forbidden', code };
    // Unknown references and malformed input are the caller's mistakes, not refusals of a request.
    if (error.status === 400 || error.status === 404) return { outcome: 'invalid', code };
    if (error.status >= 500) return { outcome: 'error', code };
    return { outcome: 'refused', code };
  }
  const code =
    typeof (error as { code?: unknown })?.code === 'string' && STABLE_CODE.test((error as { code: string }).code)
      ? (error as { code: string }).code
      : 'INTERNAL';
  return { outcome: 'error', code };
};

/**
 * Prometheus metrics of one service instance, on its own registry (several apps can live in one test process).
 * Label values are command names, event types, stable codes and severities: never an id or a title.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly commands: Counter<'command' | 'outcome' | 'code'>;
  private readonly latency: Histogram<'command'>;
  private readonly appended: Counter<'type'>;
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(LEDGER_CORE) private readonly core: LedgerCore,
    ledger: Ledger,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ledger_process_' });
    this.commands = new Counter({
      name: 'ledger_commands_total',
      help: 'Commands handled, by name and outcome (ok, invalid, forbidden, refused with its code, error)',
      labelNames: ['command', 'outcome', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'ledger_command_duration_seconds',
      help: 'Time to handle a command, read-your-writes included',
      labelNames: ['command'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.appended = new Counter({
      name: 'ledger_events_appended_total',
      help: 'Events appended to the store since this instance started, by type (as its read models saw them)',
      labelNames: ['type'],
      registers,
    });
    // prom-client calls collect() with the gauge as `this`; these arrows carry the service into it.
    const lag = () => this.lag();
    const openIncidents = () => this.openIncidents();
    new Gauge({
      name: 'ledger_store_head_position',
      help: 'Global position of the last stored event',
      registers,
      async collect() {
        this.set((await core.store.headPosition()) ?? 0);
      },
    });
    new Gauge({
      name: 'ledger_projection_lag',
      help: "Store head minus the read models' checkpoint (events not yet projected)",
      registers,
      async collect() {
        this.set(await lag());
      },
    });
    new Gauge({
      name: 'ledger_violations_open',
      help: 'Open violations by severity',
      labelNames: ['severity'],
      registers,
      collect() {
        const open = core.readModels.violations.openBySeverity();
        for (const s of SEVERITIES) this.set({ severity: s }, open[s] ?? 0);
      },
    });
    new Gauge({
      name: 'ledger_incidents_open',
      help: 'Incidents not closed',
      registers,
      collect() {
        this.set(openIncidents().length);
      },
    });
    new Gauge({
      name: 'ledger_incidents_report_overdue',
      help: 'Open incidents whose report was not in by the 24-hour deadline',
      registers,
      collect() {
        this.set(openIncidents().filter((i) => i.overdue).length);
      },
    });
    new Gauge({
      name: 'ledger_incident_report_seconds_left_min',
      help: 'Smallest time left (s) until a report is due among open unreported incidents; negative when overdue, +Inf when none',
      registers,
      collect() {
        const left = openIncidents()
          .filter((i) => !i.reported && i.reportTimeLeftMs !== null)
          .map((i) => i.reportTimeLeftMs! / 1000);
        this.set(left.length ? Math.min(...left) : Number.POSITIVE_INFINITY);
      },
    });
    new Gauge({
      name: 'ledger_webhook_deliveries',
      help: 'Webhook deliveries by hook and status (pending, delivered, failed: not acknowledged within 24 hours, cancelled)',
      labelNames: ['hook', 'status'],
      registers,
      collect() {
        this.reset();
        for (const c of ledger.notifier?.counts() ?? []) this.set({ hook: c.hook, status: c.status }, c.count);
      },
    });
    this.unsubscribe = core.readModels.runner.onCommitted((events) => {
      for (const e of events) this.appended.inc({ type: e.type });
    });
  }

  /** Records one command's outcome and duration; unknown names are counted as `unknown` (no arbitrary labels). */
  observeCommand(name: string, seconds: number, error?: unknown): void {
    const command = isPublicCommandName(name) ? name : 'unknown';
    const { outcome, code } = outcomeOf(error);
    this.commands.inc({ command, outcome, code });
    this.latency.observe({ command }, seconds);
  }

  async lag(): Promise<number> {
    const head = await this.core.store.headPosition();
    if (head === undefined) return 0;
    const checkpoint = this.core.readModels.runner.checkpoint;
    return checkpoint === undefined ? head : Math.max(0, head - checkpoint);
  }

  private openIncidents() {
    return this.core.readModels.incidents.list(this.core.clock.now().toISOString(), { open: true });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }
}
