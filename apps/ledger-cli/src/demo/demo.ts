/**
 * `npm run cli -- demo`: a realistic data set loaded through LedgerCore.execute (the API's own path) with a manual
 * clock moving forward over some weeks — people, places, hundreds of items, copies, loans, readings in and out of
 * scope, carry-outs, an inventory that misses an item, destructions, incidents (some reported in time, some
 * overdue). Deterministic: the same options give the same ledger.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { DomainError } from '@app/custody';
import { LedgerCore, openStore, ROLES, type Principal, verifyLedgerIntegrity } from '@app/application';
import { RequestValidationError } from '@app/application';

export interface DemoOptions {
  dataDir: string;
  /** Load even when the store is not empty: the embedded store's files are removed first. */
  force?: boolean;
  /** How many received items (default 300); copies come on top. */
  items?: number;
  /** Days the clock moves over (default 42). */
  days?: number;
  start?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSummary {
  dataDir: string;
  commands: number;
  events: number;
  persons: number;
  places: number;
  items: number;
  copies: number;
  violations: number;
  violationsBySeverity: Record<string, number>;
  incidents: number;
  incidentsOpen: number;
  incidentsOverdue: number;
  incidentsReported: number;
  /** Requests the domain refused on purpose (an approver below the needed rank…) or by surprise, by code. */
  refused: Record<string, number>;
  verified: boolean;
  clock: string;
}

export class StoreNotEmpty extends Error {}

/** A small seeded generator (mulberry32): the demo is the same on every run. */
const rng = (seed: number) => () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const SUBJECTS = [
  'budget plan',
  'merger negotiation notes',
  'tender evaluation',
  'personnel file',
  'audit findings',
  'directive',
  'site survey',
  'supplier contract',
  'board minutes',
  'R&D test report',
  'security assessment',
  'network diagram',
  'pricing strategy',
  'legal opinion',
];
const UNITS = ['hq', 'finance', 'legal', 'r-and-d', 'office'];

export const runDemo = async (options: DemoOptions): Promise<DemoSummary> => {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const probe = await openStore({ dataDir });
  const head = await probe.headPosition();
  await probe.close();
  if (head !== undefined) {
    if (!options.force)
      throw new StoreNotEmpty(`the store in ${dataDir} is not empty (head ${head}); use --force to replace it`);
    for (const f of fs.readdirSync(dataDir))
      if (/^(ledger|read-models)\.sqlite(-wal|-shm|-journal)?$/.test(f)) fs.rmSync(path.join(dataDir, f));
  }

  const random = rng(20260302);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const chance = (p: number) => random() < p;
  const clock = new ManualClock(options.start ?? '2026-01-05T00:30:00Z');
  const core = await LedgerCore.open({ dataDir, clock });
  const refused: Record<string, number> = {};
  let commands = 0;
  const as = (personId: string): Principal => ({ personId, name: personId, roles: [...ROLES] });
  const run = async (actor: string, name: string, data: Record<string, unknown>): Promise<boolean> => {
    commands++;
    try {
      await core.execute(name, { data }, as(actor));
      return true;
    } catch (e) {
      if (e instanceof DomainError || e instanceof RequestValidationError) {
        refused[e.code] = (refused[e.code] ?? 0) + 1;
        return false;
      }
      throw e;
    }
  };
  const advance = async (ms: number) => {
    clock.advance(ms);
    await core.fireDueDeadlines();
  };

  try {
    // ---- people -----------------------------------------------------------------------------------------------
    const persons: { id: string; rank: string; clearance: string; unit: string }[] = [];
    const person = async (
      id: string,
      name: string,
      rank: string,
      clearance: string,
      unit: string,
      probationUntil?: string,
    ) => {
      persons.push({ id, rank, clearance, unit });
      await run('p-registrar', 'RegisterPerson', {
        personId: id,
        name,
        rank,
        clearance,
        unit,
        ...(probationUntil ? { probationUntil } : {}),
      });
    };
    await person('p-registrar', 'Registry desk', 'staff', 'SECRET', 'office');
    await person('p-gm', 'Wang (general manager)', 'executive', 'TOP_SECRET', 'hq');
    await person('p-dgm', 'Li (deputy general manager)', 'executive', 'TOP_SECRET', 'hq');
    await person('p-sup', 'Zhou (supervisor)', 'executive', 'TOP_SECRET', 'hq');
    await person('p-keeper', 'Sun (archive keeper)', 'staff', 'TOP_SECRET', 'office');
    await person('p-so', 'Qian (secrecy officer)', 'manager', 'TOP_SECRET', 'office');
    for (const [i, unit] of UNITS.entries())
      await person(`p-dir-${unit}`, `Director ${i + 1} (${unit})`, 'director', 'TOP_SECRET', unit);
    for (let i = 0; i < 10; i++)
      await person(
        `p-mgr-${i}`,
        `Manager ${i}`,
        'manager',
        i % 3 === 0 ? 'TOP_SECRET' : 'SECRET',
        UNITS[i % UNITS.length],
      );
    for (let i = 0; i < 24; i++) {
      const trial = i >= 22;
      await person(
        `p-staff-${i}`,
        `Staff ${i}`,
        'staff',
        i % 6 === 5 ? 'NONE' : i % 2 ? 'CONFIDENTIAL' : 'SECRET',
        UNITS[i % UNITS.length],
        trial ? '2026-09-01T00:00:00Z' : undefined,
      );
    }
    const custodians = persons
      .filter((p) => p.rank !== 'executive' && p.clearance !== 'NONE' && !p.id.startsWith('p-staff-2'))
      .map((p) => p.id);
    const outsiders = persons.filter((p) => p.clearance === 'NONE').map((p) => p.id);
    const directorOf = (unit: string) => `p-dir-${unit}`;
    const unitOf = (id: string) => persons.find((p) => p.id === id)?.unit ?? 'hq';

    // ---- places -----------------------------------------------------------------------------------------------
    const places: [string, string, string][] = [
      ['room-1', 'reading room, 3rd floor', 'reading-room'],
      ['room-2', 'reading room, R&D', 'reading-room'],
      ['room-3', 'reading room, legal', 'reading-room'],
      ...UNITS.map((u): [string, string, string] => [`office-${u}`, `${u} office`, 'office']),
      ['vault-1', 'main vault', 'vault'],
      ['vault-2', 'R&D vault', 'vault'],
      ['archive-1', 'central archive', 'archive'],
      ['site-1', 'destruction room', 'destruction-site'],
      ['branch-sh', 'Shanghai branch office', 'external'],
      ['restaurant', 'restaurant near the office', 'public'],
      ['home-7', "a staff member's home", 'home'],
      ['canteen', 'canteen', 'public'],
    ];
    for (const [placeId, name, kind] of places) await run('p-registrar', 'RegisterPlace', { placeId, name, kind });
    const readingPlaces = ['room-1', 'room-2', 'room-3', ...UNITS.map((u) => `office-${u}`)];

    // ---- items: receipts spread over the first days, some classified in-house ----------------------------------
    const total = options.items ?? 300;
    const days = options.days ?? 42;
    const items: { id: string; level: string; custodian: string; scope: string[]; copyAllowed: boolean }[] = [];
    const work = total + days;
    let done = 0;
    const tick = () => options.onProgress?.(++done, work);
    for (let i = 0; i < total; i++) {
      if (i % 25 === 0) await advance(2 * HOUR);
      const id = `doc-${String(i + 1).padStart(4, '0')}`;
      const level = chance(0.08) ? 'TOP_SECRET' : chance(0.45) ? 'SECRET' : 'CONFIDENTIAL';
      const custodian = pick(
        custodians.filter((c) => level !== 'TOP_SECRET' || persons.find((p) => p.id === c)!.clearance === 'TOP_SECRET'),
      );
      const scope = [custodian, ...(chance(0.5) ? [pick(custodians)] : [])];
      const title = `${pick(SUBJECTS)} ${2026}-${String(i + 1).padStart(3, '0')}`;
      const periodYears = level === 'TOP_SECRET' ? 30 : level === 'SECRET' ? 20 : 10;
      const copyAllowed = i % 10 === 9 || chance(0.6);
      if (i % 10 === 9) {
        // Classified in-house: proposed by the future custodian, reviewed by someone else, approved by rank.
        await run(custodian, 'ProposeClassification', {
          itemId: id,
          title,
          level,
          periodYears,
          basis: 'company catalogue 4.2',
          carrier: pick(['paper', 'electronic', 'optical']),
          scope: { persons: scope },
          copies: 2,
          copyAllowed: true,
        });
        await run(custodian === 'p-so' ? 'p-sup' : 'p-so', 'ReviewClassification', {
          itemId: id,
          decision: 'endorse',
          note: 'basis checked',
        });
        await run(level === 'CONFIDENTIAL' ? directorOf(unitOf(custodian)) : 'p-gm', 'ApproveClassification', {
          itemId: id,
        });
      } else {
        await run('p-registrar', 'RegisterReceivedItem', {
          itemId: id,
          title,
          level,
          periodYears,
          basis: 'sender marking',
          carrier: pick(['paper', 'paper', 'magnetic', 'optical', 'electronic']),
          sender: pick(['municipal bureau', 'ministry office', 'partner company', 'provincial office']),
          receivedBy: custodian,
          scope: { persons: scope },
          copyAllowed,
        });
      }
      items.push({ id, level, custodian, scope, copyAllowed });
      tick();
    }

    // ---- weeks of daily work ----------------------------------------------------------------------------------
    let copyNo = 0;
    let loanNo = 0;
    let carryNo = 0;
    let incidentNo = 0;
    const lost = new Set<string>();
    const destroyed = new Set<string>();
    const active = () => items.filter((i) => !lost.has(i.id) && !destroyed.has(i.id));
    for (let day = 0; day < days; day++) {
      await advance(DAY);
      // Readings: mostly by people in scope in a reading room; now and then someone who should not have.
      for (let r = 0; r < 12; r++) {
        const item = pick(active());
        const outOfScope = chance(0.04);
        const reader = outOfScope ? pick(outsiders) : pick(item.scope);
        await run(item.custodian, 'RecordReading', {
          itemId: item.id,
          reader,
          placeId: outOfScope && chance(0.5) ? 'canteen' : pick(readingPlaces),
        });
      }
      // Copies: approved by the general manager (S2 第21条), now and then made without an approval.
      if (day % 2 === 0) {
        const item = pick(active().filter((i) => i.level !== 'TOP_SECRET' && i.copyAllowed && !i.id.includes('-c')));
        const requestId = `copy-req-${++copyNo}`;
        const copyId = `${item.id}-c${copyNo}`;
        if (chance(0.85)) {
          await run(item.custodian, 'RequestCopy', { itemId: item.id, requestId, copies: 1 });
          await run('p-gm', 'ApproveCopy', { itemId: item.id, requestId });
          if (await run(item.custodian, 'RecordCopy', { itemId: item.id, copyItemId: copyId, requestId }))
            items.push({ ...item, id: copyId });
        } else if (await run(item.custodian, 'RecordCopy', { itemId: item.id, copyItemId: copyId }))
          items.push({ ...item, id: copyId });
      }
      // Loans within a unit, approved by its manager or director; some come back late or never.
      if (day % 3 === 1) {
        const item = pick(active().filter((i) => i.level === 'CONFIDENTIAL'));
        const borrower = pick(item.scope.concat(custodians.filter((c) => unitOf(c) === unitOf(item.custodian))));
        const loanId = `loan-${++loanNo}`;
        const dueAt = new Date(clock.now().getTime() + 5 * DAY).toISOString();
        await run(directorOf(unitOf(item.custodian)), 'ApproveLoan', { itemId: item.id, loanId, borrower, dueAt });
        if (unitOf(borrower) !== unitOf(item.custodian))
          await run(directorOf(unitOf(borrower)), 'ApproveLoan', { itemId: item.id, loanId, borrower, dueAt });
        await run(item.custodian, 'RecordLoan', { itemId: item.id, loanId, borrower, dueAt });
        if (chance(0.7)) {
          await advance(2 * HOUR);
          await run(borrower, 'RecordReturn', { itemId: item.id, loanId });
        }
      }
      // Carry-outs: approved trips to the branch office; twice a document goes to a restaurant without approval.
      if (day % 4 === 2) {
        const item = pick(active().filter((i) => i.level !== 'TOP_SECRET'));
        const unapproved = carryNo === 3 || carryNo === 7;
        carryNo++;
        if (!unapproved) {
          await run(directorOf(unitOf(item.custodian)), 'ApproveCarryOut', {
            itemId: item.id,
            person: item.custodian,
            destination: 'branch-sh',
            until: new Date(clock.now().getTime() + 2 * DAY).toISOString(),
          });
          await run(item.custodian, 'RecordCarryOut', {
            itemId: item.id,
            person: item.custodian,
            destination: 'branch-sh',
          });
          await advance(6 * HOUR);
          await run(item.custodian, 'RecordBringBack', {
            itemId: item.id,
            person: item.custodian,
            placeId: `office-${unitOf(item.custodian)}`,
          });
        } else {
          await run(item.custodian, 'RecordCarryOut', {
            itemId: item.id,
            person: item.custodian,
            destination: 'restaurant',
          });
          await advance(3 * HOUR);
          await run(item.custodian, 'RecordBringBack', {
            itemId: item.id,
            person: item.custodian,
            placeId: `office-${unitOf(item.custodian)}`,
          });
        }
      }
      // A loss now and then, found and reported by the holder.
      if (day === 9 || day === days - 2) {
        const item = pick(active());
        lost.add(item.id);
        await run(item.custodian, 'RecordLoss', {
          itemId: item.id,
          discoveredBy: item.custodian,
          circumstances: 'not found in the office safe at the morning check',
        });
      }
      // A responder's own incident: a suspected leak seen on a chat group.
      if (day === 20) {
        const item = pick(active());
        await run('p-so', 'OpenIncident', {
          incidentId: `inc-manual-${++incidentNo}`,
          kind: 'suspected-leak',
          itemIds: [item.id],
          discoveredAt: clock.now().toISOString(),
          discoveredBy: 'p-so',
          description: 'a photo of a page circulated in a chat group',
        });
      }
      // Responders report most incidents in time (一事一报); the rest run past their 24 hours.
      if (day % 2 === 1) await reportSome(core, run, random, clock.now().toISOString());
      tick();
    }

    // ---- archive, then an inventory of the archive that misses one item ---------------------------------------
    const toArchive = active()
      .filter((i) => !i.id.includes('-c'))
      .slice(0, 20);
    for (const item of toArchive)
      if (await run('p-keeper', 'ArchiveItem', { itemId: item.id, placeId: 'archive-1' })) item.custodian = 'p-keeper';
    await advance(DAY);
    await run('p-so', 'OpenInventory', { inventoryId: 'inv-2026-q1', scope: { custodian: 'p-keeper' } });
    const sighted = core.readModels.custody.itemsInScope({ custodian: 'p-keeper' });
    for (const itemId of sighted.slice(0, -1))
      await run('p-so', 'RecordSighting', { inventoryId: 'inv-2026-q1', itemId, placeId: 'archive-1' });
    await advance(4 * HOUR);
    await run('p-so', 'CloseInventory', { inventoryId: 'inv-2026-q1' });

    // ---- destructions: approved with two witnesses; one without approval, one with a single witness -----------
    const toDestroy = toArchive.slice(0, 6);
    for (const [i, item] of toDestroy.entries()) {
      if (i !== 4)
        await run(item.level === 'TOP_SECRET' ? 'p-gm' : 'p-dir-office', 'ApproveDestruction', { itemId: item.id });
      if (
        await run('p-keeper', 'RecordDestruction', {
          itemId: item.id,
          method: 'shredding',
          placeId: 'site-1',
          witnesses: i === 5 ? ['p-so'] : ['p-so', 'p-mgr-0'],
        })
      )
        destroyed.add(item.id);
    }
    // The last incidents are left unreported: 30 hours on, they are overdue.
    await advance(30 * HOUR);
    await reportSome(core, run, random, clock.now().toISOString(), 0);
  } finally {
    await core.readModels.catchUp();
  }

  const now = clock.now().toISOString();
  const incidents = core.readModels.incidents.list(now);
  const summary: DemoSummary = {
    dataDir,
    commands,
    events: (await core.store.headPosition()) ?? 0,
    persons: core.readModels.custody.persons().length,
    places: (core.readModels.db.prepare('SELECT COUNT(*) AS n FROM places').get() as { n: number }).n,
    items: core.readModels.custody.items({}).length,
    copies: core.readModels.custody.items({}).filter((i) => i.copyOf).length,
    violations: core.readModels.violations.count(),
    violationsBySeverity: core.readModels.violations.openBySeverity(),
    incidents: incidents.length,
    incidentsOpen: incidents.filter((i) => i.status !== 'closed').length,
    incidentsOverdue: incidents.filter((i) => i.overdue).length,
    incidentsReported: incidents.filter((i) => i.reported).length,
    refused,
    verified: (await verifyLedgerIntegrity(core.store)).ok,
    clock: now,
  };
  await core.close();
  return summary;
};

/** Reports unreported incidents with the seven fields, in time for most (probability `share`). */
const reportSome = async (
  core: LedgerCore,
  run: (actor: string, name: string, data: Record<string, unknown>) => Promise<boolean>,
  random: () => number,
  now: string,
  share = 0.7,
): Promise<void> => {
  await core.readModels.catchUp();
  for (const incident of core.readModels.incidents.list(now, { open: true })) {
    if (incident.reported || random() >= share) continue;
    await run('p-so', 'SubmitIncidentReport', {
      incidentId: incident.incidentId,
      to: 'municipal secrecy bureau',
      content: `${incident.itemIds.length} item(s), see the ledger export`,
      discovery: `recorded by the ledger (${incident.causes.map((c) => c.code).join(', ') || incident.kind})`,
      responsible: 'the custodian at the time',
      course: 'see the attached timeline',
      harm: 'exposure set attached',
      investigation: 'opened by the secrecy office',
      remedialMeasures: 'items recovered where possible; scope reviewed',
    });
  }
};
