/**
 * Who may read an item (contract §5 "Reading scope"): the one copy of the rule. Deciders flag readings and loans with
 * it; the read models compute "who may read now" and the exposure set with it.
 */
import type { ItemView, PersonView } from '../shared/views';
import { atLeastRank, levelRank, RANKS, type Level, type Rank } from '../shared/vocabulary';

export type ReadingRefusal = 'not-in-scope' | 'clearance' | 'departed' | 'destroyed';

// 002_c292fe519fc09962.txt 第9条: 绝密 board/GM/deputies/supervisors; 机密 directors (总监) and above; 秘密 department managers and above.
const DEFAULT_MIN_RANK: Record<Level, Rank> = { TOP_SECRET: 'executive', SECRET: 'director', CONFIDENTIAL: 'manager' };

/** The ranks an item's scope admits: its own list when given (it may narrow or widen), else the level's default. */
export const admittedRanks = (item: Pick<ItemView, 'level' | 'scope'>): Rank[] =>
  item.scope.ranks ?? RANKS.filter((r) => atLeastRank(r, DEFAULT_MIN_RANK[item.level]));

/** Whether, and if not why not, a person may read an item now. */
export const readingCheck = (person: PersonView, item: ItemView): { allowed: boolean; reason?: ReadingRefusal } => {
  // contract §5: nobody may read a destroyed item, not even after declassification.
  if (item.status === 'destroyed') return { allowed: false, reason: 'destroyed' };
  // 保密法 第24条 / contract §5: after declassification everyone may read.
  if (item.status === 'declassified') return { allowed: true };
  // 004_d1fc20a45ee67265.txt: a departed person (脱密期) is no longer entitled.
  if (person.departed) return { allowed: false, reason: 'departed' };
  const inScope =
    item.scope.persons.includes(person.personId) ||
    admittedRanks(item).includes(person.rank) ||
    item.extendedTo.includes(person.personId);
  if (!inScope) return { allowed: false, reason: 'not-in-scope' };
  // Clearance must reach the level, whatever the scope says (a SECRET-cleared director named on a TOP_SECRET item may not read).
  if (levelRank(person.clearance) < levelRank(item.level)) return { allowed: false, reason: 'clearance' };
  return { allowed: true };
};

export const mayRead = (person: PersonView, item: ItemView): boolean => readingCheck(person, item).allowed;
