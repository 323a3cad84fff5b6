import { type InventoryScope, type ItemView, type PersonView, type PlaceView, mayRead } from '@app/custody';
import type { Db } from '../db/read-model-db';

/** Statuses in which somebody still holds the item (a muster counts these). */
const HELD = ['active', 'in-transit', 'on-loan', 'carried-out', 'archived'];

/** Custody and reading-scope queries. "Who may read" always goes through the one rule in custody/rules. */
export class CustodyQueries {
  constructor(private readonly db: Db) {}

  item(itemId: string): ItemView | null {
    const row = this.db.prepare(`SELECT view FROM items WHERE item_id = ?`).get(itemId) as { view: string } | undefined;
    return row ? (JSON.parse(row.view) as ItemView) : null;
  }

  person(personId: string): PersonView | null {
    const row = this.db.prepare(`SELECT view FROM persons WHERE person_id = ?`).get(personId) as
      { view: string } | undefined;
    return row ? (JSON.parse(row.view) as PersonView) : null;
  }

  place(placeId: string): PlaceView | null {
    const row = this.db.prepare(`SELECT view FROM places WHERE place_id = ?`).get(placeId) as
      { view: string } | undefined;
    return row ? (JSON.parse(row.view) as PlaceView) : null;
  }

  persons(): PersonView[] {
    return (this.db.prepare(`SELECT view FROM persons ORDER BY person_id`).all() as { view: string }[]).map((r) =>
      JSON.parse(r.view),
    );
  }

  /** Registered persons who may read the item now, sorted by id. */
  readers(itemId: string): PersonView[] | null {
    const item = this.item(itemId);
    if (!item) return null;
    return this.persons().filter((p) => mayRead(p, item));
  }

  /** Items the person holds now (a muster). */
  heldBy(personId: string): ItemView[] {
    return (
      this.db
        .prepare(
          `SELECT view FROM items WHERE custodian = ? AND status IN (${HELD.map(() => '?').join(',')}) ORDER BY item_id`,
        )
        .all(personId, ...HELD) as { view: string }[]
    ).map((r) => JSON.parse(r.view));
  }

  /** Items the person may read now. */
  access(personId: string): ItemView[] | null {
    const person = this.person(personId);
    if (!person) return null;
    return this.items({}).filter((i) => mayRead(person, i));
  }

  items(filter: {
    status?: string;
    custodian?: string;
    placeId?: string;
    level?: string;
    q?: string;
    limit?: number;
    offset?: number;
  }): ItemView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    if (filter.custodian) {
      where.push('custodian = ?');
      args.push(filter.custodian);
    }
    if (filter.placeId) {
      where.push('place_id = ?');
      args.push(filter.placeId);
    }
    if (filter.level) {
      where.push('level = ?');
      args.push(filter.level);
    }
    if (filter.q) {
      where.push('(item_id LIKE ? OR title LIKE ?)');
      args.push(`%${filter.q}%`, `%${filter.q}%`);
    }
    const sql = `SELECT view FROM items ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY item_id LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? -1, filter.offset ?? 0) as { view: string }[]).map((r) =>
      JSON.parse(r.view),
    );
  }

  /** Direct copies of an item. */
  copiesOf(itemId: string): ItemView[] {
    return (
      this.db.prepare(`SELECT view FROM items WHERE copy_of = ? ORDER BY item_id`).all(itemId) as { view: string }[]
    ).map((r) => JSON.parse(r.view));
  }

  /** The item and all its copies, their copies and so on (breadth first). */
  copyTree(itemId: string): string[] {
    const out = [itemId];
    for (let i = 0; i < out.length; i++)
      for (const c of this.copiesOf(out[i])) if (!out.includes(c.itemId)) out.push(c.itemId);
    return out;
  }

  /** Items held (active or archived) within an inventory scope now: what an inventory expects to sight. */
  itemsInScope(scope: InventoryScope): string[] {
    const held = `status IN ('active', 'archived')`;
    const rows =
      'custodian' in scope
        ? this.db
            .prepare(`SELECT item_id FROM items WHERE ${held} AND custodian = ? ORDER BY item_id`)
            .all(scope.custodian)
        : 'placeId' in scope
          ? this.db
              .prepare(`SELECT item_id FROM items WHERE ${held} AND place_id = ? ORDER BY item_id`)
              .all(scope.placeId)
          : this.db.prepare(`SELECT item_id FROM items WHERE ${held} ORDER BY item_id`).all();
    return (rows as { item_id: string }[]).map((r) => r.item_id);
  }
}
