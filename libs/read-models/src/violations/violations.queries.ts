import { dbVersion, statement } from '../db/statements';
import type { Db } from '../db/read-model-db';

export interface ViolationRow {
  violationId: string;
  code: string;
  severity: string;
  itemId: string | null;
  personId: string | null;
  at: string;
  recordedAt: string;
  status: 'open' | 'resolved';
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  incidentId: string | null;
  streamId: string;
  position: number;
  source: string | null;
  detail: string | null;
}

export interface ViolationFilter {
  status?: 'open' | 'resolved';
  code?: string;
  severity?: string;
  itemId?: string;
  personId?: string;
  /** Only violations that happened at or after this instant. */
  since?: string;
  /** Opaque cursor from the previous page (the last position seen). */
  cursor?: string;
  limit?: number;
  /** `desc`: newest first (the dashboard's latest open violations); default `asc`, in recorded order. */
  order?: 'asc' | 'desc';
}

const toRow = (r: Record<string, unknown>): ViolationRow => {
  const data = JSON.parse(String(r.data)) as { source?: string; detail?: string };
  return {
    violationId: String(r.violation_id),
    code: String(r.code),
    severity: String(r.severity),
    itemId: (r.item_id as string | null) ?? null,
    personId: (r.person_id as string | null) ?? null,
    at: String(r.at),
    recordedAt: String(r.recorded_at),
    status: r.status as 'open' | 'resolved',
    resolvedAt: (r.resolved_at as string | null) ?? null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    resolutionNote: (r.resolution_note as string | null) ?? null,
    incidentId: (r.incident_id as string | null) ?? null,
    streamId: String(r.stream_id),
    position: Number(r.position),
    source: data.source ?? null,
    detail: data.detail ?? null,
  };
};

export class ViolationQueries {
  /** First-page totals by filter, each with the database version it was counted at. */
  private readonly totals = new Map<string, { version: string; n: number }>();

  constructor(private readonly db: Db) {}

  /**
   * The count of the filter's matches, kept per database version ({@link dbVersion}): two tiny statements instead of
   * a `COUNT(*)` over every matching violation (87k open ones at 1M events; the dashboard asks on every refresh).
   */
  private countAt(where: string[], args: unknown[]): number {
    const key = JSON.stringify([where, args]);
    const version = dbVersion(this.db);
    const known = this.totals.get(key);
    if (known?.version === version) return known.n;
    const n = (
      statement(
        this.db,
        `SELECT COUNT(*) AS n FROM violations ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`,
      ).get(...args) as { n: number }
    ).n;
    // Filters are few in practice (status × severity × code); a flood of distinct ones only costs recounting.
    if (this.totals.size >= 256) this.totals.clear();
    this.totals.set(key, { version, n });
    return n;
  }

  /**
   * A page of violations in recorded order (or newest first), with the cursor of the next page (null at the end). Each violation is
   * one `ViolationDetected` event, so its position is unique and is the cursor. Every filter has an index that leads
   * with it and then `position`, so a page is an index range read, never a sort of every matching row. `total` (the
   * count of every match) is given on the first page only: counting again on every page made paging quadratic.
   */
  list(filter: ViolationFilter = {}): { items: ViolationRow[]; nextCursor: string | null; total?: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    if (filter.code) {
      where.push('code = ?');
      args.push(filter.code);
    }
    if (filter.severity) {
      where.push('severity = ?');
      args.push(filter.severity);
    }
    if (filter.itemId) {
      where.push('item_id = ?');
      args.push(filter.itemId);
    }
    if (filter.personId) {
      where.push('person_id = ?');
      args.push(filter.personId);
    }
    if (filter.since) {
      where.push('at >= ?');
      args.push(new Date(filter.since).toISOString());
    }
    const total = filter.cursor === undefined ? this.countAt(where, args) : undefined;
    const desc = filter.order === 'desc';
    if (filter.cursor !== undefined) {
      where.push(desc ? 'position < ?' : 'position > ?');
      args.push(Number(filter.cursor));
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    // Newest first reads the same indexes backwards.
    const rows = statement(
      this.db,
      `SELECT * FROM violations ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY position ${desc ? 'DESC' : ''} LIMIT ?`,
    ).all(...args, limit + 1) as Record<string, unknown>[];
    const page = rows.slice(0, limit).map(toRow);
    const nextCursor = rows.length > limit ? String(page[page.length - 1].position) : null;
    return total === undefined ? { items: page, nextCursor } : { items: page, nextCursor, total };
  }

  get(violationId: string): ViolationRow | null {
    const r = statement(this.db, `SELECT * FROM violations WHERE violation_id = ?`).get(violationId) as
      Record<string, unknown> | undefined;
    return r ? toRow(r) : null;
  }

  /** Open violations per severity (dashboard, metrics). */
  openBySeverity(): Record<string, number> {
    const rows = statement(
      this.db,
      `SELECT severity, COUNT(*) AS n FROM violations WHERE status = 'open' GROUP BY severity`,
    ).all() as { severity: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.severity, r.n]));
  }

  count(): number {
    return (statement(this.db, `SELECT COUNT(*) AS n FROM violations`).get() as { n: number }).n;
  }

  /** The latest violation with this code on this item (scenario placeholders `@violation:ITEM:CODE`). */
  latestFor(itemId: string, code: string): ViolationRow | null {
    const r = statement(
      this.db,
      `SELECT * FROM violations WHERE item_id = ? AND code = ? ORDER BY position DESC LIMIT 1`,
    ).get(itemId, code) as Record<string, unknown> | undefined;
    return r ? toRow(r) : null;
  }
}
