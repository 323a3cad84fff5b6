import { SystemClock, type Clock, type EventStore } from '@app/ledger';
import type { ItemView } from '@app/custody';
import { LedgerCore, type CommandResponse } from './ledger-core';
import type { Principal } from './principal';
import { CheckpointService, DEFAULT_CHECKPOINT_INTERVAL_MS } from './checkpoints/checkpoints';
import { DeadlineScheduler } from './scheduling/deadline-scheduler';
import { CheckpointScheduler } from './scheduling/checkpoint-scheduler';
import { WitnessPublisher, type WitnessPublisherOptions } from './witnesses/witness-publisher';
import type { WitnessConfig } from './config';
import { readHistory, type HistoryOptions, type ItemHistory } from './investigation/history';
import { exposureOf, type ExposureSet } from './investigation/exposure';
import { buildReportDraft, type ReportDraft } from './investigation/report-draft';
import { WebhookNotifier } from './notifications/webhook-notifier';
import type { NotifierOptions } from './notifications/webhook-config';
import { verifyLedgerIntegrity, type LedgerVerifyOptions, type LedgerVerifyResult } from './verification/verify-ledger';

/** How to open a ledger: the embedded store in `dataDir`, or EventStoreDB at `eventstoreUrl` (read models in `dataDir`). */
export interface LedgerOpenOptions {
  dataDir: string;
  eventstoreUrl?: string;
  /** Injectable time (tests move it); the system clock by default. */
  clock?: Clock;
  /** A store already opened; it is closed with the ledger. */
  store?: EventStore;
  /** Milliseconds between deadline passes (default 1000; 0 turns the timer off: call `fireDueDeadlines`). */
  schedulerIntervalMs?: number;
  /** Milliseconds between checkpoint signings (default 60000; 0: sign on demand only). */
  checkpointIntervalMs?: number;
  /** The Ed25519 PKCS#8 PEM to sign checkpoints with (LEDGER_SIGNING_KEY_FILE); default DATA_DIR/signing-key.pem. */
  signingKeyFile?: string;
  /** The ledger id of the checkpoint origin (LEDGER_ID); default: the `ledger-id` file beside the key. */
  ledgerId?: string;
  /** Witnesses each new checkpoint is sent to (LEDGER_WITNESSES). */
  witnesses?: WitnessConfig[];
  /** Retry timing of the witness publisher (tests shorten it). */
  witnessRetry?: WitnessPublisherOptions;
  /** Webhooks told of new incidents, reports due in 4 hours, overdue reports and critical violations (LEDGER_WEBHOOKS). */
  webhooks?: NotifierOptions;
}

/** What `verify` checks against: a pinned public key (PEM); by default the key of this ledger. */
export type LedgerVerifyRequest = Omit<LedgerVerifyOptions, 'merkle'>;

/**
 * The ledger as a library user meets it: one object that runs commands for a principal and answers the questions
 * investigators and responders ask. `start()` runs the deadline and checkpoint schedulers; `close()` stops them and
 * closes the store and read models. `LedgerModule` does both with the Nest lifecycle.
 */
export class Ledger {
  private readonly deadlines: DeadlineScheduler;
  private readonly signer: CheckpointScheduler;
  /** Sends checkpoints to the witnesses and stores their cosignatures; null without LEDGER_WITNESSES. */
  readonly witnesses: WitnessPublisher | null;
  /** The webhook notifier, when hooks are configured. */
  readonly notifier: WebhookNotifier | null;

  private constructor(
    readonly core: LedgerCore,
    readonly checkpoints: CheckpointService,
    options: LedgerOpenOptions,
  ) {
    this.deadlines = new DeadlineScheduler(core, options.schedulerIntervalMs ?? 1000);
    this.signer = new CheckpointScheduler(checkpoints, options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
    this.witnesses =
      options.witnesses && options.witnesses.length > 0
        ? new WitnessPublisher(core.store, core.readModels, checkpoints, options.witnesses, options.witnessRetry)
        : null;
    this.notifier = options.webhooks?.hooks.length
      ? new WebhookNotifier(core.store, core.clock, options.dataDir, options.webhooks)
      : null;
  }

  static async open(options: LedgerOpenOptions): Promise<Ledger> {
    const core = await LedgerCore.open({
      dataDir: options.dataDir,
      eventstoreUrl: options.eventstoreUrl,
      clock: options.clock ?? new SystemClock(),
      store: options.store,
    });
    return new Ledger(
      core,
      CheckpointService.forCore(core, { signingKeyFile: options.signingKeyFile, ledgerId: options.ledgerId }),
      options,
    );
  }

  /** Starts the schedulers: fires what fell due while closed and signs what was not yet signed, then on the timers. */
  async start(): Promise<void> {
    await this.deadlines.start();
    // Before the first signing: the publisher learns what each witness co-signed, so it sends the right old size.
    await this.witnesses?.start();
    await this.signer.start();
    await this.notifier?.start();
  }

  /**
   * Runs one command for a principal. `body` is `{ data, occurredAt?, commandId? }`, as the HTTP API takes it.
   * Throws RequestValidationError, UnknownCommand, ForbiddenCommand or a DomainError refusal (each with a `code`).
   */
  execute(name: string, body: unknown, principal: Principal): Promise<CommandResponse> {
    return this.core.execute(name, body, principal);
  }

  /** The current state of an item, or null when the ledger has none by that id. */
  async item(itemId: string): Promise<ItemView | null> {
    await this.core.readModels.catchUp();
    return this.core.readModels.custody.item(itemId);
  }

  /** An item's full history (with its copies when `copies`), as of either time, each event verified. */
  history(itemId: string, options: HistoryOptions = {}): Promise<ItemHistory | null> {
    return this.core.readModels.catchUp().then(() => readHistory(this.core, itemId, options));
  }

  /** Everyone who held or read the item or any copy, each contact judged as things stood then. */
  exposure(itemId: string): Promise<ExposureSet | null> {
    return this.core.readModels.catchUp().then(() => exposureOf(this.core, [itemId]));
  }

  /** The incident report's seven fields, filled from the ledger. */
  reportDraft(incidentId: string, options: { to?: string } = {}): Promise<ReportDraft | null> {
    return this.core.readModels.catchUp().then(() => buildReportDraft(this.core, incidentId, options));
  }

  /** Recomputes every chain and the tree and checks every checkpoint; names the first divergence. */
  async verify(options: LedgerVerifyRequest = {}): Promise<LedgerVerifyResult> {
    await this.core.readModels.catchUp();
    return verifyLedgerIntegrity(this.core.store, {
      publicKeyPem: this.checkpoints.publicKeyPem,
      ...options,
      merkle: this.core.readModels.merkle,
    });
  }

  /** Fires every deadline due by the clock's now (what the scheduler does on its timer). */
  fireDueDeadlines(): Promise<number> {
    return this.core.fireDueDeadlines();
  }

  /** Stops the schedulers, then closes the read models and the store. */
  async close(): Promise<void> {
    await this.deadlines.stop();
    this.witnesses?.stop();
    await this.signer.stop();
    await this.notifier?.stop();
    await this.core.close();
  }
}
