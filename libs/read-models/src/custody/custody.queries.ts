import { dbVersion, statement } from '../db/statements';
import type { RecordedEvent } from '@app/ledger';
import {
  type InventoryScope,
  type ItemView,
  type PersonView,
  type PlaceView,
  admittedRanks,
  HELD_STATUSES,
  levelRank,
  mayRead,
  personStream,
} from '@app/custody';
import type { Db } from '../db/read-model-db';
import { itemsBehindGates, personGates } from './item-access';

interface Row {
  person_id: string;
}
interface PersonEventRow extends Row {
  position: number;
  revision: number;
  type: string;
  data: string;
  occurred_at: string;
  recorded_at: string;
}

/** A page of readers in id order; `nextCursor` (the last id on the page) is null on the last page. */
export interface ReadersPage<P extends { personId: string }> {
  readers: P[];
  nextCursor: string | null;
}

/**
 * Pages what a rule admits out of an index of candidates: takes candidates after `cursor` in key order
 * (`candidates(after, n)`), keeps those `decide` admits (it answers in key order), until one more than `limit` is
 * found or the candidates run out; `keyOf` is an answer's key (the next page's cursor). The cost follows the page,
 * not everything in the index; the rule itself stays in `decide`.
 */
export const pageAdmitted = <P>(
  cursor: string,
  limit: number,
  candidates: (after: string, n: number) => string[],
  decide: (ids: string[]) => P[],
  keyOf: (p: P) => string,
): { page: P[]; nextCursor: string | null } => {
  const found: P[] = [];
  let after = cursor;
  while (found.length <= limit) {
    const ids = candidates(after, Math.max(limit + 1 - found.length, 16));
    if (!ids.length) break;
    found.push(...decide(ids));
    after = ids[ids.length - 1];
  }
  const page = found.slice(0, limit);
  return { page, nextCursor: found.length > limit ? keyOf(page[page.length - 1]) : null };
};

/**
 * Pages readers out of reader candidates (person ids; `decide` is mayRead on some state), see {@link pageAdmitted}.
 */
export const pageReaders = <P extends { personId: string }>(
  cursor: string,
  limit: number,
  candidates: (after: string, n: number) => string[],
  decide: (ids: string[]) => P[],
): ReadersPage<P> => {
  const { page, nextCursor } = pageAdmitted(cursor, limit, candidates, decide, (p) => p.personId);
  return { readers: page, nextCursor };
};

/** A page of the items a person may read now, in id order; `nextCursor` (the last id) is null on the last page. */
export interface AccessPage {
  items: ItemView[];
  nextCursor: string | null;
}

/** Custody and reading-scope queries. "Who may read" always goes through the one rule in custody/rules. */
export class CustodyQueries {
  /** Readers pages now, by what the rule reads of the item and the page asked (see {@link readersOfItem}). */
  private readonly readerPages = new Map<string, { version: string; page: ReadersPage<PersonView> }>();

  constructor(private readonly db: Db) {}

  item(itemId: string): ItemView | null {
    const row = statement(this.db, `SELECT view FROM items WHERE item_id = ?`).get(itemId) as
      { view: string } | undefined;
    return row ? (JSON.parse(row.view) as ItemView) : null;
  }

  person(personId: string): PersonView | null {
    const row = statement(this.db, `SELECT view FROM persons WHERE person_id = ?`).get(personId) as
      { view: string } | undefined;
    return row ? (JSON.parse(row.view) as PersonView) : null;
  }

  place(placeId: string): PlaceView | null {
    const row = statement(this.db, `SELECT view FROM places WHERE place_id = ?`).get(placeId) as
      { view: string } | undefined;
    return row ? (JSON.parse(row.view) as PlaceView) : null;
  }

  persons(): PersonView[] {
    return (statement(this.db, `SELECT view FROM persons ORDER BY person_id`).all() as { view: string }[]).map(
      (r) => JSON.parse(r.view) as PersonView,
    );
  }

  /**
   * Persons who might read an item in this state at some instant: a superset from the person index (some rank the
   * scope admits or named in it, and a clearance ever high enough; everyone once declassified; nobody once
   * destroyed), sorted by id. The reading-scope rule still decides on each one's state (see person-index.projection).
   * Every one of them: a page of them is {@link readerCandidatesPage}.
   */
  readerCandidates(item: ItemView): string[] {
    const out: string[] = [];
    for (let page = this.readerCandidatesPage(item, '', 1000); page.length;) {
      out.push(...page);
      page = this.readerCandidatesPage(item, page[page.length - 1], 1000);
    }
    return out;
  }

  /**
   * At most `limit` reader candidates (see {@link readerCandidates}) with ids after `after`, in id order. Each rank
   * the scope admits is its own range of the `person_ranks` key and the named persons one more arm; SQLite merges the
   * arms in id order and stops at the limit (checked in test/read-models/read-side-scale.spec.ts: no sort of every
   * candidate), so a page reads about `limit` index entries however many persons are in scope.
   */
  readerCandidatesPage(item: ItemView, after: string, limit: number): string[] {
    if (item.status === 'destroyed') return [];
    if (item.status === 'declassified')
      return (
        statement(this.db, `SELECT person_id FROM person_levels WHERE person_id > ? ORDER BY person_id LIMIT ?`).all(
          after,
          limit,
        ) as Row[]
      ).map((r) => r.person_id);
    const named = [...item.scope.persons, ...item.extendedTo];
    const level = levelRank(item.level);
    const ranks = admittedRanks(item);
    const arms = ranks.map(
      () =>
        `SELECT r.person_id FROM person_ranks r JOIN person_levels l ON l.person_id = r.person_id
         WHERE r.rank = ? AND r.person_id > ? AND l.max_level >= ?`,
    );
    const args: unknown[] = ranks.flatMap((rank) => [rank, after, level]);
    if (named.length) {
      arms.push(
        `SELECT person_id FROM person_levels WHERE person_id IN (SELECT value FROM json_each(?)) AND person_id > ? AND max_level >= ?`,
      );
      args.push(JSON.stringify(named), after, level);
    }
    if (!arms.length) return [];
    return (statement(this.db, `${arms.join(' UNION ')} ORDER BY 1 LIMIT ?`).all(...args, limit) as Row[]).map(
      (r) => r.person_id,
    );
  }

  /**
   * The person streams of these persons as the read model copied them (position order): enough of each event to
   * fold and window it (`type`, `data`, `occurredAt`, `recordedAt`, position and revision). Absent persons are absent.
   */
  personEvents(personIds: string[]): Map<string, RecordedEvent[]> {
    const out = new Map<string, RecordedEvent[]>();
    const rows = statement(
      this.db,
      `SELECT person_id, position, revision, type, data, occurred_at, recorded_at FROM person_events
       WHERE person_id IN (SELECT value FROM json_each(?)) ORDER BY person_id, position`,
    ).all(JSON.stringify(personIds)) as PersonEventRow[];
    for (const r of rows) {
      let list = out.get(r.person_id);
      if (!list) out.set(r.person_id, (list = []));
      list.push({
        eventId: '',
        type: r.type,
        streamId: personStream(r.person_id),
        revision: r.revision,
        position: r.position,
        data: JSON.parse(r.data),
        metadata: { occurredAt: r.occurred_at, recordedAt: r.recorded_at } as RecordedEvent['metadata'],
      });
    }
    return out;
  }

  /** Registered persons who may read the item now, sorted by id: every page of {@link readersPage}. */
  readers(itemId: string): PersonView[] | null {
    const item = this.item(itemId);
    if (!item) return null;
    const out: PersonView[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = this.readersOfItem(item, cursor, 1000);
      out.push(...page.readers);
      cursor = page.nextCursor;
    }
    return out;
  }

  /**
   * A page of the persons who may read the item now (id order), after `cursor` (the previous page's `nextCursor`, a
   * person id). Null when there is no such item. No total: counting means deciding on every person in scope, the cost
   * this page exists to avoid (at 1M events 3,333 persons may read every SECRET item; docs/decisions.md).
   */
  readersPage(itemId: string, cursor = '', limit = 100): ReadersPage<PersonView> | null {
    const item = this.item(itemId);
    return item ? this.readersOfItem(item, cursor, limit) : null;
  }

  /**
   * A page of the persons who may read an item in this state now (see {@link readersPage}). The page depends on the
   * item only through what the reading-scope rule reads of it (status, level, scope, extensions) and on the persons,
   * so it is kept per database version ({@link dbVersion}) under those fields: items received with the same scope —
   * most of an office's — share their readers, and any write to the read models starts afresh.
   */
  readersOfItem(item: ItemView, cursor = '', limit = 100): ReadersPage<PersonView> {
    const key = JSON.stringify([item.status, item.level, item.scope, item.extendedTo, cursor, limit]);
    const version = dbVersion(this.db);
    const known = this.readerPages.get(key);
    if (known?.version === version) return known.page;
    const page = this.computeReadersOf(item, cursor, limit);
    Object.freeze(page.readers);
    // A few scopes in practice; a flood of distinct ones (or of cursors) only costs computing again.
    if (this.readerPages.size >= 64) this.readerPages.clear();
    this.readerPages.set(key, { version, page });
    return page;
  }

  private computeReadersOf(item: ItemView, cursor: string, limit: number): ReadersPage<PersonView> {
    return pageReaders(
      cursor,
      limit,
      (after, n) => this.readerCandidatesPage(item, after, n),
      (ids) => this.viewsOf<PersonView>('persons', ids).filter((p) => mayRead(p, item)),
    );
  }

  /** The views of these persons or items that exist, in id order (the order the pagers answer in). */
  private viewsOf<V>(table: 'persons' | 'items', ids: string[]): V[] {
    const key = table === 'persons' ? 'person_id' : 'item_id';
    return (
      statement(
        this.db,
        `SELECT view FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?)) ORDER BY ${key}`,
      ).all(JSON.stringify(ids)) as { view: string }[]
    ).map((r) => JSON.parse(r.view) as V);
  }

  /** Items the person holds now (a muster). */
  heldBy(personId: string): ItemView[] {
    return (
      statement(
        this.db,
        `SELECT view FROM items WHERE custodian = ? AND status IN (${HELD_STATUSES.map(() => '?').join(',')}) ORDER BY item_id`,
      ).all(personId, ...HELD_STATUSES) as { view: string }[]
    ).map((r) => JSON.parse(r.view) as ItemView);
  }

  /** Every item the person has been custodian of record of, sorted by id (for a muster as of an instant). */
  everHeldBy(personId: string): string[] {
    return (
      statement(this.db, `SELECT item_id FROM custody_holders WHERE person_id = ? ORDER BY item_id`).all(personId) as {
        item_id: string;
      }[]
    ).map((r) => r.item_id);
  }

  /**
   * A page of the items the person may read now (id order), after `cursor` (the previous page's `nextCursor`, an
   * item id); null when there is no such person. The candidates come from the item_access index (the gates the
   * person may pass, see item-access.ts) and `mayRead` decides on each item's view, so a page reads about `limit`
   * items however many there are (it read and decided on every item before; issue 16). No total, as for readers.
   */
  access(personId: string, cursor = '', limit = 100): AccessPage | null {
    const person = this.person(personId);
    if (!person) return null;
    const gates = personGates(person);
    const { page, nextCursor } = pageAdmitted(
      cursor,
      limit,
      (after, n) => itemsBehindGates(this.db, gates, after, n),
      (ids) => this.viewsOf<ItemView>('items', ids).filter((i) => mayRead(person, i)),
      (i) => i.itemId,
    );
    return { items: page, nextCursor };
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
    return (statement(this.db, sql).all(...args, filter.limit ?? -1, filter.offset ?? 0) as { view: string }[]).map(
      (r) => JSON.parse(r.view) as ItemView,
    );
  }

  /** Direct copies of an item. */
  copiesOf(itemId: string): ItemView[] {
    return (
      statement(this.db, `SELECT view FROM items WHERE copy_of = ? ORDER BY item_id`).all(itemId) as { view: string }[]
    ).map((r) => JSON.parse(r.view) as ItemView);
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
        ? statement(this.db, `SELECT item_id FROM items WHERE ${held} AND custodian = ? ORDER BY item_id`).all(
            scope.custodian,
          )
        : 'placeId' in scope
          ? statement(this.db, `SELECT item_id FROM items WHERE ${held} AND place_id = ? ORDER BY item_id`).all(
              scope.placeId,
            )
          : statement(this.db, `SELECT item_id FROM items WHERE ${held} ORDER BY item_id`).all();
    return (rows as { item_id: string }[]).map((r) => r.item_id);
  }
}
