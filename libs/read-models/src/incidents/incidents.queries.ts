import { statement } from '../db/statements';
import { type IncidentView, isReportOverdue } from '@app/custody';
import type { Db } from '../db/read-model-db';

export interface IncidentRow extends IncidentView {
  /** The report was not in by the deadline (stays true after a late report). */
  overdue: boolean;
  reported: boolean;
  concluded: boolean;
  closed: boolean;
  /** Milliseconds until the report is due (negative once past); null once reported. */
  reportTimeLeftMs: number | null;
}

export interface IncidentFilter {
  /** Not closed (true) or closed (false). */
  open?: boolean;
  /** The report was (or is now) past its deadline. */
  overdue?: boolean;
  kind?: IncidentView['kind'];
  itemId?: string;
  /** Opaque cursor from the previous page. */
  cursor?: string;
  /** 1..1000, default 100. */
  limit?: number;
}

export class IncidentQueries {
  constructor(private readonly db: Db) {}

  /**
   * The view with what follows from the instant asked about. Written onto the freshly parsed view rather than spread
   * into a new object: `{ ...view, more }` made each row about 40 µs (V8 leaves the copy in a slow shape), most of
   * a page of incidents at 1M events (issue 16). Same members in the same order either way.
   */
  private decorate(v: IncidentView, now: string, nowMs = Date.parse(now)): IncidentRow {
    const row = v as IncidentRow;
    row.overdue = isReportOverdue(v, now);
    row.reported = v.reportedAt !== null;
    row.concluded = v.concludedAt !== null;
    row.closed = v.closedAt !== null;
    row.reportTimeLeftMs = v.reportedAt === null ? Date.parse(v.reportDueAt) - nowMs : null;
    return row;
  }

  get(incidentId: string, now: string): IncidentRow | null {
    const r = statement(this.db, `SELECT view FROM incidents WHERE incident_id = ?`).get(incidentId) as
      { view: string } | undefined;
    return r ? this.decorate(JSON.parse(r.view) as IncidentView, now) : null;
  }

  /** Every incident matching the filter, oldest first (callers that need them all: metrics, scenarios, the demo). */
  list(now: string, filter: Omit<IncidentFilter, 'cursor' | 'limit'> = {}): IncidentRow[] {
    const out: IncidentRow[] = [];
    let cursor: string | undefined;
    do {
      const p = this.page(now, { ...filter, cursor, limit: 1000 });
      out.push(...p.items);
      cursor = p.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /**
   * A page of incidents in the order they were opened, with the cursor of the next page (null at the end). The
   * filters are SQL over indexed columns (`open`: not closed; `overdue`: isReportOverdue on the stored instants as
   * milliseconds; `kind`; `itemId`), so a page costs the same however many incidents there are.
   */
  page(now: string, filter: IncidentFilter = {}): { items: IncidentRow[]; nextCursor: string | null } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.itemId) {
      where.push('i.incident_id IN (SELECT incident_id FROM incident_items WHERE item_id = ?)');
      args.push(filter.itemId);
    }
    // A merged incident lives on in the one it joined: it is not open on its own (contract §5.1 3).
    if (filter.open !== undefined)
      where.push(filter.open ? `i.status NOT IN ('closed', 'merged')` : `i.status IN ('closed', 'merged')`);
    if (filter.kind) {
      where.push('i.kind = ?');
      args.push(filter.kind);
    }
    if (filter.overdue !== undefined) {
      // isReportOverdue: unreported and now past the deadline, or reported after the deadline.
      const overdue = `((i.reported_ms IS NULL AND ? > i.report_due_ms) OR (i.reported_ms > i.report_due_ms))`;
      where.push(filter.overdue ? overdue : `NOT ${overdue}`);
      args.push(Date.parse(now));
    }
    if (filter.cursor !== undefined) {
      where.push('i.opened_position > ?');
      args.push(Number(filter.cursor));
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const rows = statement(
      this.db,
      `SELECT i.view, i.opened_position FROM incidents i ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY i.opened_position LIMIT ?`,
    ).all(...args, limit + 1) as { view: string; opened_position: number }[];
    const page = rows.slice(0, limit);
    const nowMs = Date.parse(now);
    return {
      items: page.map((r) => this.decorate(JSON.parse(r.view) as IncidentView, now, nowMs)),
      nextCursor: rows.length > limit ? String(page[page.length - 1].opened_position) : null,
    };
  }

  /**
   * The item's incident a new cause joins, if any: 004_d1fc20a45ee67265.txt 一事一报 — one that has not been reported
   * (nor merged into another); after the report a new cause opens a new incident (contract §5.1 3).
   */
  joinableFor(itemId: string): { incidentId: string; kind: IncidentView['kind'] } | null {
    const r = statement(
      this.db,
      `SELECT i.incident_id, i.kind FROM incidents i JOIN incident_items x ON x.incident_id = i.incident_id
      WHERE x.item_id = ? AND i.reported_at IS NULL AND i.status NOT IN ('closed', 'merged')
      ORDER BY i.opened_position DESC LIMIT 1`,
    ).get(itemId) as { incident_id: string; kind: IncidentView['kind'] } | undefined;
    return r ? { incidentId: r.incident_id, kind: r.kind } : null;
  }

  /** The item's latest incident still open (reported or not, but neither closed nor merged into another), if any. */
  openFor(itemId: string): { incidentId: string; kind: IncidentView['kind'] } | null {
    const r = statement(
      this.db,
      `SELECT i.incident_id, i.kind FROM incidents i JOIN incident_items x ON x.incident_id = i.incident_id
      WHERE x.item_id = ? AND i.status NOT IN ('closed', 'merged') ORDER BY i.opened_position DESC LIMIT 1`,
    ).get(itemId) as { incident_id: string; kind: IncidentView['kind'] } | undefined;
    return r ? { incidentId: r.incident_id, kind: r.kind } : null;
  }

  /** The item's open incident, else its latest (scenario placeholder `@incident:ITEM`). */
  openOrLatestFor(itemId: string): string | null {
    const open = this.openFor(itemId);
    if (open) return open.incidentId;
    const r = statement(
      this.db,
      `SELECT i.incident_id FROM incidents i JOIN incident_items x ON x.incident_id = i.incident_id
      WHERE x.item_id = ? ORDER BY i.opened_position DESC LIMIT 1`,
    ).get(itemId) as { incident_id: string } | undefined;
    return r?.incident_id ?? null;
  }

  count(): number {
    return (statement(this.db, `SELECT COUNT(*) AS n FROM incidents`).get() as { n: number }).n;
  }
}
