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

export class IncidentQueries {
  constructor(private readonly db: Db) {}

  private decorate(v: IncidentView, now: string): IncidentRow {
    return {
      ...v,
      overdue: isReportOverdue(v, now),
      reported: v.reportedAt !== null,
      concluded: v.concludedAt !== null,
      closed: v.closedAt !== null,
      reportTimeLeftMs: v.reportedAt === null ? new Date(v.reportDueAt).getTime() - new Date(now).getTime() : null,
    };
  }

  get(incidentId: string, now: string): IncidentRow | null {
    const r = this.db.prepare(`SELECT view FROM incidents WHERE incident_id = ?`).get(incidentId) as
      { view: string } | undefined;
    return r ? this.decorate(JSON.parse(r.view), now) : null;
  }

  list(now: string, filter: { open?: boolean; overdue?: boolean; itemId?: string } = {}): IncidentRow[] {
    const rows = (
      filter.itemId
        ? this.db
            .prepare(
              `SELECT i.view FROM incidents i JOIN incident_items x ON x.incident_id = i.incident_id WHERE x.item_id = ? ORDER BY i.opened_position`,
            )
            .all(filter.itemId)
        : this.db.prepare(`SELECT view FROM incidents ORDER BY opened_position`).all()
    ) as { view: string }[];
    return rows
      .map((r) => this.decorate(JSON.parse(r.view), now))
      .filter((i) => filter.open === undefined || (i.status !== 'closed') === filter.open)
      .filter((i) => filter.overdue === undefined || i.overdue === filter.overdue);
  }

  /** The item's open incident, if any (one event, one report: a new cause joins it). */
  openFor(itemId: string): { incidentId: string; kind: IncidentView['kind'] } | null {
    const r = this.db
      .prepare(
        `SELECT i.incident_id, i.kind FROM incidents i JOIN incident_items x ON x.incident_id = i.incident_id
      WHERE x.item_id = ? AND i.status != 'closed' ORDER BY i.opened_position DESC LIMIT 1`,
      )
      .get(itemId) as { incident_id: string; kind: IncidentView['kind'] } | undefined;
    return r ? { incidentId: r.incident_id, kind: r.kind } : null;
  }

  /** The item's open incident, else its latest (scenario placeholder `@incident:ITEM`). */
  openOrLatestFor(itemId: string): string | null {
    const open = this.openFor(itemId);
    if (open) return open.incidentId;
    const r = this.db
      .prepare(
        `SELECT i.incident_id FROM incidents i JOIN incident_items x ON x.incident_id = i.incident_id
      WHERE x.item_id = ? ORDER BY i.opened_position DESC LIMIT 1`,
      )
      .get(itemId) as { incident_id: string } | undefined;
    return r?.incident_id ?? null;
  }

  count(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM incidents`).get() as { n: number }).n;
  }
}
