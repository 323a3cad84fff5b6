/** What a hook is told of (contract §8.1; issue 15): kinds a receiver subscribes to. */
export const NOTIFICATION_KINDS = [
  /** A new incident: the 24 hours to report it start now. */
  'incident-opened',
  /** 4 hours before an incident's report deadline, while it is not reported. */
  'report-due-soon',
  /** The report was not in by the deadline (LEAK_REPORT_LATE). */
  'report-overdue',
  /** Any critical violation (insecure channel, missing item, late leak report, TOP_SECRET copy unapproved). */
  'violation-critical',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface WebhookConfig {
  /** Names the hook in logs, metrics and the dashboard (default: the URL's host). */
  name: string;
  url: string;
  /** HMAC-SHA256 key of the X-Ledger-Signature header. */
  secret: string;
  /** The kinds it receives (default: all). */
  kinds: NotificationKind[];
}

export interface NotifierOptions {
  hooks: WebhookConfig[];
  /** The dashboard's base URL, for the link in each notification (LEDGER_PUBLIC_URL). */
  publicUrl: string;
  /** First retry after this many ms; doubled each attempt, jittered, capped at 15 minutes (default 1000). */
  retryBaseMs?: number;
  /** A delivery that is not acknowledged within this long is recorded as failed (default 24 hours). */
  giveUpAfterMs?: number;
  /** A POST that has not answered after this long is a failed attempt (default 10 s). */
  timeoutMs?: number;
}
