import type { ItemView, PersonView } from '../shared/views';
import type { Clearance, Level, Rank } from '../shared/vocabulary';
import { admittedRanks, mayRead, readingCheck } from './reading-scope';

const person = (personId: string, rank: Rank, clearance: Clearance, over: Partial<PersonView> = {}): PersonView => ({
  personId,
  name: personId,
  rank,
  clearance,
  unit: 'hq',
  probationUntil: null,
  departed: false,
  departedAt: null,
  decontaminationUntil: null,
  ...over,
});
const item = (level: Level, over: Partial<ItemView> = {}): ItemView => ({
  itemId: 'doc-1',
  title: 'doc',
  level,
  status: 'active',
  custodian: 'p-zhang',
  placeId: null,
  carrier: 'paper',
  basis: 'b',
  scope: { persons: [] },
  extendedTo: [],
  issuedAt: null,
  declassifyOn: null,
  copyOf: null,
  copyNo: null,
  copies: [],
  proposedBy: null,
  approvedBy: null,
  lastSightedAt: null,
  ...over,
});

const gm = person('p-gm', 'executive', 'TOP_SECRET');
const dir = person('p-dir', 'director', 'SECRET');
const mgr = person('p-mgr', 'manager', 'SECRET');
const zhang = person('p-zhang', 'staff', 'SECRET');

describe('the default scope of each level (002_c292fe519fc09962.txt 第9条)', () => {
  // 第9条 1: 绝密 board, GM, deputies, supervisors.
  it('admits only executives to TOP_SECRET', () => expect(admittedRanks(item('TOP_SECRET'))).toEqual(['executive']));
  // 第9条 2: 机密 总监 and above.
  it('admits directors and above to SECRET', () =>
    expect(admittedRanks(item('SECRET'))).toEqual(['director', 'executive']));
  // 第9条 3: 秘密 department managers and above.
  it('admits managers and above to CONFIDENTIAL', () =>
    expect(admittedRanks(item('CONFIDENTIAL'))).toEqual(['manager', 'director', 'executive']));

  // contract §5: a person of an admitted rank with the clearance may read; the custodian is not automatically a reader.
  it('lets the director read a SECRET item and not the secretary who holds it', () => {
    expect(mayRead(dir, item('SECRET'))).toBe(true);
    expect(readingCheck(zhang, item('SECRET'))).toEqual({ allowed: false, reason: 'not-in-scope' });
  });
});

describe('a scope that names persons or ranks', () => {
  // contract §5: clearance ≥ level is required even of a named person (classification-and-copies scenario).
  it('refuses a named SECRET-cleared director on a TOP_SECRET item for clearance', () =>
    expect(readingCheck(dir, item('TOP_SECRET', { scope: { persons: ['p-dir'] } }))).toEqual({
      allowed: false,
      reason: 'clearance',
    }));

  // 002 第9条: "及与内容有直接关系的工作人员" — named persons with the clearance read.
  it('lets a named staff member with the clearance read', () =>
    expect(mayRead(zhang, item('SECRET', { scope: { persons: ['p-zhang'] } }))).toBe(true));

  // contract §5: the scope may narrow the default ranks.
  it('narrows the ranks when the scope lists them', () => {
    const narrowed = item('CONFIDENTIAL', { scope: { persons: [], ranks: ['executive'] } });
    expect(mayRead(mgr, narrowed)).toBe(false);
    expect(mayRead(gm, narrowed)).toBe(true);
  });

  // 001 (二)阅文保密 2: 未经领导同意不得扩大阅读范围 — an approved extension admits.
  it('admits a person named in an approved extension', () =>
    expect(mayRead(zhang, item('SECRET', { extendedTo: ['p-zhang'] }))).toBe(true));
});

describe('departed persons, destroyed and declassified items', () => {
  const gone = person('p-gm', 'executive', 'TOP_SECRET', { departed: true, departedAt: '2026-01-01T00:00:00.000Z' });

  // 004_d1fc20a45ee67265.txt 脱密期: a departed person is no longer entitled.
  it('refuses a departed person', () =>
    expect(readingCheck(gone, item('SECRET'))).toEqual({ allowed: false, reason: 'departed' }));

  // contract §5: nobody reads a destroyed item.
  it('refuses everyone on a destroyed item', () =>
    expect(readingCheck(gm, item('SECRET', { status: 'destroyed' }))).toEqual({ allowed: false, reason: 'destroyed' }));

  // 保密法 第24条 / contract §5: after declassification everyone may read.
  it('lets everyone read a declassified item, even without clearance or after departure', () => {
    expect(mayRead(person('p-driver', 'staff', 'NONE'), item('TOP_SECRET', { status: 'declassified' }))).toBe(true);
    expect(mayRead(gone, item('TOP_SECRET', { status: 'declassified' }))).toBe(true);
  });
});
