import { admittedRanks, levelRank, type ItemView, type PersonView } from '@app/custody';
import type { Db } from '../db/read-model-db';
import { statement } from '../db/statements';

/**
 * The item-by-person index behind `GET /api/persons/{id}/access` (issue 16: it read and decided on every item). An
 * item has one row per way in — a gate — the reading-scope rule (custody rules/reading-scope.ts) lets a person
 * through:
 * - `*` once declassified (保密法 第24条: everyone may read);
 * - `r:<rank>:<level>` for each rank its scope admits (002_c292fe519fc09962.txt 第9条; the item's own list when
 *   given), with the item's level as a number (levelRank);
 * - `p:<personId>:<level>` for each person named in its scope or added by an approved extension;
 * - none once destroyed (contract §5: nobody may read it).
 * A person's gates are `*` and, unless departed (004_d1fc20a45ee67265.txt), `r:<their rank>:<l>` and
 * `p:<their id>:<l>` for every level l their clearance reaches. So the index yields exactly the items the rule
 * admits, and the page still runs `mayRead` on each item's view: the rule decides, the index only finds candidates.
 */
export const ITEM_ACCESS_TABLE = `
CREATE TABLE IF NOT EXISTS item_access (gate TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (gate, item_id)) WITHOUT ROWID;
`;

/** An item's gates (see {@link ITEM_ACCESS_TABLE}), sorted; none for no view. */
export const itemGates = (item: ItemView | null): string[] => {
  if (!item || item.status === 'destroyed') return [];
  if (item.status === 'declassified') return ['*'];
  const level = levelRank(item.level);
  const gates = new Set<string>();
  for (const rank of admittedRanks(item)) gates.add(`r:${rank}:${level}`);
  for (const p of item.scope.persons) gates.add(`p:${p}:${level}`);
  for (const p of item.extendedTo) gates.add(`p:${p}:${level}`);
  return [...gates].sort();
};

/** The gates a person may pass now (see {@link ITEM_ACCESS_TABLE}). */
export const personGates = (person: PersonView): string[] => {
  const gates = ['*'];
  if (person.departed) return gates;
  for (let l = 1; l <= levelRank(person.clearance); l++)
    gates.push(`r:${person.rank}:${l}`, `p:${person.personId}:${l}`);
  return gates;
};

/**
 * Brings an item's rows to its new view: writes nothing when its gates did not change (most facts: readings,
 * passages, sightings), else removes the old gates' rows and adds the new ones. `was` is the view its rows were last
 * written from (null: none yet).
 */
export const writeItemAccess = (db: Db, itemId: string, was: ItemView | null, now: ItemView | null): void => {
  const before = itemGates(was);
  const after = itemGates(now);
  if (before.length === after.length && before.every((g, i) => g === after[i])) return;
  const gone = before.filter((g) => !after.includes(g));
  const added = after.filter((g) => !before.includes(g));
  for (const g of gone) statement(db, `DELETE FROM item_access WHERE gate = ? AND item_id = ?`).run(g, itemId);
  for (const g of added)
    statement(db, `INSERT OR IGNORE INTO item_access (gate, item_id) VALUES (?, ?)`).run(g, itemId);
};

/**
 * At most `limit` ids of items behind any of these gates, after `after`, in id order. Each gate is one range of the
 * primary key and SQLite merges the arms in id order and stops at the limit (no sort of every match; checked in
 * test/read-models/read-side-scale.spec.ts), so a page reads about `limit` entries however many items there are.
 */
export const itemsBehindGates = (db: Db, gates: string[], after: string, limit: number): string[] => {
  if (!gates.length) return [];
  const arms = gates.map(() => `SELECT item_id FROM item_access WHERE gate = ? AND item_id > ?`);
  return (
    statement(db, `${arms.join(' UNION ')} ORDER BY 1 LIMIT ?`).all(...gates.flatMap((g) => [g, after]), limit) as {
      item_id: string;
    }[]
  ).map((r) => r.item_id);
};
