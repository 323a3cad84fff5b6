import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Clock, EventStore, RecordedEvent, Subscription } from '@app/ledger';
import { formatInstant, formatList, labelOf, translate, type Lang } from '../i18n/i18n';
import { deliveryIdOf, notificationsFor, type KnownIncident, type PlannedNotification } from './notification-plan';
import { signBody } from './webhook-signature';
import type { NotificationKind, NotifierOptions, WebhookConfig } from './webhook-config';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface DeliveryRow {
  deliveryId: string;
  hook: string;
  kind: NotificationKind;
  incidentId: string | null;
  status: DeliveryStatus;
  attempts: number;
  notBefore: string;
  lastError: string | null;
  deliveredAt: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (incident_id TEXT PRIMARY KEY, known TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  delivery_id TEXT PRIMARY KEY, hook TEXT NOT NULL, kind TEXT NOT NULL, incident_id TEXT, event_id TEXT NOT NULL,
  not_before TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL, last_error TEXT, delivered_at TEXT);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS deliveries_incident ON deliveries (incident_id, kind, status);
`;

const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * Webhooks for responders who must not miss the 24 hours (contract §8.1). Two halves:
 *
 * - the outbox: a consumer of the store's subscription (never the in-memory bus) that turns events into deliveries
 *   — one per hook and kind, with an id derived from hook, event and kind — and commits them together with its
 *   checkpoint in its own SQLite file (`DATA_DIR/notifications.sqlite`, apart from the read models so a rebuild
 *   does not resend history). A crash before the commit replays the same events into the same ids: nothing lost,
 *   nothing planned twice.
 * - the dispatcher: POSTs each due delivery, signed, until a 2xx; exponential backoff with jitter between attempts;
 *   a delivery not acknowledged within 24 hours is recorded as failed (dashboard, /metrics). A delivery answered but
 *   not yet marked when the process dies is sent again: at least once, and the receiver deduplicates on the id.
 *
 * Written by hand: the outbox must commit with the store checkpoint of this process, which no webhook library does.
 */
export class WebhookNotifier {
  private readonly db: Database.Database;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private stopped = false;
  private readonly retryBaseMs: number;
  private readonly giveUpAfterMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    dataDir: string,
    private readonly options: NotifierOptions,
  ) {
    this.db = new Database(path.join(dataDir, 'notifications.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 24 * 3_600_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  get hooks(): readonly WebhookConfig[] {
    return this.options.hooks;
  }

  /** Subscribes from the outbox's checkpoint (from the store's head on the very first start) and starts sending. */
  async start(): Promise<void> {
    let after = this.checkpoint();
    if (after === undefined) {
      // First start with webhooks: responders are told of what happens from now on, not of years of history.
      after = (await this.store.headPosition()) ?? 0;
      this.setCheckpoint(after);
    }
    this.subscription = this.store.subscribeToAll((event) => this.plan(event), {
      after,
      filter: { excludeStreamPrefixes: ['ledger-checkpoints'] },
      onError: (e) =>
        console.error(JSON.stringify({ level: 'error', msg: 'notification outbox stopped', error: e.message })),
    });
    this.timer = setInterval(() => void this.sendDue(), Math.min(250, this.retryBaseMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.stop();
    await this.sending;
    this.db.close();
  }

  /** Deliveries, newest first (the dashboard's list of failed ones, an operator's look at pending ones). */
  deliveries(status?: DeliveryStatus, limit = 100): DeliveryRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM deliveries ${status ? 'WHERE status = ?' : ''} ORDER BY created_ms DESC, delivery_id LIMIT ?`,
      )
      .all(...(status ? [status, limit] : [limit])) as Record<string, unknown>[];
    return rows.map((r) => ({
      deliveryId: String(r.delivery_id),
      hook: String(r.hook),
      kind: r.kind as NotificationKind,
      incidentId: (r.incident_id as string | null) ?? null,
      status: r.status as DeliveryStatus,
      attempts: Number(r.attempts),
      notBefore: String(r.not_before),
      lastError: (r.last_error as string | null) ?? null,
      deliveredAt: (r.delivered_at as string | null) ?? null,
    }));
  }

  /** Deliveries by hook and status, for /metrics. */
  counts(): { hook: string; status: DeliveryStatus; count: number }[] {
    return this.db.prepare(`SELECT hook, status, COUNT(*) AS count FROM deliveries GROUP BY hook, status`).all() as {
      hook: string;
      status: DeliveryStatus;
      count: number;
    }[];
  }

  private checkpoint(): number | undefined {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'checkpoint'`).get() as
      { value: string } | undefined;
    return row ? Number(row.value) : undefined;
  }

  private setCheckpoint(position: number): void {
    this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('checkpoint', ?)`).run(String(position));
  }

  private incident(incidentId: string): KnownIncident | null {
    const row = this.db.prepare(`SELECT known FROM incidents WHERE incident_id = ?`).get(incidentId) as
      { known: string } | undefined;
    return row ? (JSON.parse(row.known) as KnownIncident) : null;
  }

  /** One event: remember incidents, cancel reminders that are moot, plan deliveries, advance — one transaction. */
  private plan(event: RecordedEvent): void {
    this.db.transaction(() => {
      this.remember(event);
      const planned = notificationsFor(event, (id) => this.incident(id));
      const insert = this.db.prepare(
        `INSERT OR IGNORE INTO deliveries (delivery_id, hook, kind, incident_id, event_id, not_before, body, status,
          attempts, created_ms, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, 0)`,
      );
      const now = this.clock.now().getTime();
      for (const p of planned)
        for (const hook of this.options.hooks.filter((h) => h.kinds.includes(p.kind))) {
          const id = deliveryIdOf(hook.name, event.eventId, p.kind);
          insert.run(id, hook.name, p.kind, p.incidentId, event.eventId, p.notBefore, this.body(id, p, event), now);
        }
      this.setCheckpoint(event.position);
    })();
  }

  private remember(event: RecordedEvent): void {
    const d = event.data as Record<string, unknown>;
    if (event.type === 'IncidentOpened') {
      const known: KnownIncident = {
        incidentId: String(d.incidentId),
        kind: String(d.kind),
        itemIds: (d.itemIds as string[]) ?? [],
        discoveredAt: String(d.discoveredAt),
        reportDueAt: new Date(new Date(String(d.discoveredAt)).getTime() + 24 * 3_600_000).toISOString(),
      };
      this.db
        .prepare(`INSERT OR REPLACE INTO incidents (incident_id, known) VALUES (?, ?)`)
        .run(known.incidentId, JSON.stringify(known));
    } else if (event.type === 'IncidentCauseAdded') {
      const known = this.incident(String(d.incidentId));
      if (known) {
        known.kind = String(d.kind);
        if (typeof d.itemId === 'string' && !known.itemIds.includes(d.itemId)) known.itemIds.push(d.itemId);
        this.db
          .prepare(`UPDATE incidents SET known = ? WHERE incident_id = ?`)
          .run(JSON.stringify(known), known.incidentId);
      }
    } else if (event.type === 'IncidentReported' || event.type === 'IncidentMerged') {
      // Reported, or merged into another (its own deadlines end): its reminder has nothing left to remind of.
      this.db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled' WHERE incident_id = ? AND kind = 'report-due-soon' AND status = 'pending'`,
        )
        .run(String(d.incidentId));
    }
  }

  private body(deliveryId: string, p: PlannedNotification, event: RecordedEvent): string {
    const incidentId = p.incidentId;
    const facts = p.facts as { itemIds?: string[]; itemId?: string | null; reportDueAt?: string; code?: string };
    const itemIds = facts.itemIds ?? (facts.itemId ? [facts.itemId] : []);
    const base = this.options.publicUrl.replace(/\/+$/, '');
    return JSON.stringify({
      id: deliveryId,
      kind: p.kind,
      createdAt: String(event.metadata.recordedAt),
      incidentId,
      items: itemIds,
      deadline: facts.reportDueAt ?? null,
      link: incidentId ? `${base}/#/incidents/${encodeURIComponent(incidentId)}` : `${base}/`,
      summary: { 'zh-CN': this.summary('zh-CN', p, itemIds), en: this.summary('en', p, itemIds) },
      facts: p.facts,
      ledger: { eventId: event.eventId, streamId: event.streamId, position: event.position },
    });
  }

  private summary(lang: Lang, p: PlannedNotification, itemIds: string[]): string {
    const f = p.facts as { incidentKind?: string; reportDueAt?: string; code?: string };
    return translate(lang, `notifications.${p.kind}`, {
      incident: p.incidentId ?? 'none',
      kind: labelOf(lang, 'incidentKinds', f.incidentKind ?? null),
      items: formatList(lang, itemIds),
      deadline: f.reportDueAt ? formatInstant(lang, f.reportDueAt) : '',
      violation: labelOf(lang, 'violations', f.code ?? null),
    });
  }

  /** One pass over what is due; passes do not overlap. */
  async sendDue(): Promise<void> {
    if (this.sending || this.stopped) return;
    this.sending = (async () => {
      const now = this.clock.now();
      const due = this.db
        .prepare(
          `SELECT delivery_id, hook, body, attempts, created_ms FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= ?
           AND not_before <= ? ORDER BY next_attempt_ms, delivery_id LIMIT 50`,
        )
        .all(now.getTime(), now.toISOString()) as {
        delivery_id: string;
        hook: string;
        body: string;
        attempts: number;
        created_ms: number;
      }[];
      await Promise.all(due.map((d) => this.attempt(d)));
    })().finally(() => (this.sending = undefined));
    await this.sending;
  }

  private async attempt(d: { delivery_id: string; hook: string; body: string; attempts: number; created_ms: number }) {
    const hook = this.options.hooks.find((h) => h.name === d.hook);
    if (!hook) return; // a hook removed from the configuration: its deliveries wait in case it comes back
    let error: string | null = null;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-ledger-delivery': d.delivery_id,
          'x-ledger-timestamp': String(Math.floor(this.clock.now().getTime() / 1000)),
          'x-ledger-signature': signBody(hook.secret, d.body),
        },
        body: d.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    }
    if (this.stopped) return;
    const now = this.clock.now();
    const attempts = d.attempts + 1;
    if (error === null) {
      this.db
        .prepare(
          `UPDATE deliveries SET status = 'delivered', attempts = ?, delivered_at = ?, last_error = NULL WHERE delivery_id = ?`,
        )
        .run(attempts, now.toISOString(), d.delivery_id);
      return;
    }
    const giveUp = now.getTime() - d.created_ms >= this.giveUpAfterMs;
    // Exponential backoff with full jitter (half fixed, half random), capped: receivers that come back are not
    // stampeded by every delivery at the same instant.
    const backoff = Math.min(MAX_BACKOFF_MS, this.retryBaseMs * 2 ** Math.min(attempts - 1, 20));
    const next = now.getTime() + backoff / 2 + Math.random() * (backoff / 2);
    this.db
      .prepare(
        `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_ms = ?, last_error = ? WHERE delivery_id = ?`,
      )
      .run(giveUp ? 'failed' : 'pending', attempts, next, error.slice(0, 300), d.delivery_id);
    if (giveUp)
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'webhook delivery failed for 24 hours',
          hook: d.hook,
          delivery: d.delivery_id,
        }),
      );
  }
}
