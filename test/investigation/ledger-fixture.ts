import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '@app/ledger';
import { LedgerCore, type CommandResponse, ROLES } from '@app/application';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

/** A ledger on a fresh embedded store in a temp dir, with a clock the test moves: `record` = when the ledger stores it. */
export interface TestLedger {
  core: LedgerCore;
  clock: ManualClock;
  dir: string;
  /** Gives a command on `actor`'s authority that occurred at `at`, recorded when the clock says (`recordedAt`, default `at`). */
  run(
    actor: string,
    command: string,
    data: Record<string, unknown>,
    at: string,
    recordedAt?: string,
  ): Promise<CommandResponse>;
  close(): Promise<void>;
}

export const openTestLedger = async (start = '2026-03-02T00:00:00Z'): Promise<TestLedger> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-investigation-'));
  const clock = new ManualClock(start);
  const core = await LedgerCore.open({ dataDir: dir, clock });
  return {
    core,
    clock,
    dir,
    async run(actor, command, data, at, recordedAt) {
      clock.set(recordedAt ?? at);
      return core.execute(command, { data, occurredAt: at }, { personId: actor, name: actor, roles: [...ROLES] });
    },
    async close() {
      await core.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
};

export const person = (personId: string, rank: string, clearance: string, unit = 'office') => ({
  personId,
  name: personId.replace('p-', ''),
  rank,
  clearance,
  unit,
});

/** People every investigation test uses: a GM, a director, two staff with SECRET clearance, a driver without any. */
export const registerCast = async (l: TestLedger, at: string): Promise<void> => {
  for (const p of [
    person('p-gm', 'executive', 'TOP_SECRET', 'leadership'),
    person('p-dir', 'director', 'SECRET'),
    person('p-zhang', 'staff', 'SECRET'),
    person('p-li', 'staff', 'SECRET'),
    person('p-driver', 'staff', 'NONE', 'motor-pool'),
  ])
    await l.run('p-registrar', 'RegisterPerson', p, at);
  await l.run('p-registrar', 'RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' }, at);
  await l.run('p-registrar', 'RegisterPlace', { placeId: 'vault-1', name: 'archive vault', kind: 'archive' }, at);
};

export const receiveSecret = (l: TestLedger, itemId: string, receivedBy: string, at: string) =>
  l.run(
    receivedBy,
    'RegisterReceivedItem',
    {
      itemId,
      title: `directive ${itemId}`,
      level: 'SECRET',
      periodYears: 10,
      basis: 'catalogue 2.1',
      carrier: 'paper',
      sender: 'bureau',
      receivedBy,
      scope: { persons: [] },
    },
    at,
  );

/** Runs (part of) a scenario into a kept data dir, then opens the ledger on it with a manual clock at `now`. */
export const ledgerAfter = async (
  scenario: Scenario,
  now: string,
): Promise<{ core: LedgerCore; clock: ManualClock; dir: string }> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-draft-'));
  const report = await runScenario(scenario, { dataDir: dir });
  expect(report.steps.filter((s) => !s.ok)).toEqual([]);
  const clock = new ManualClock(now);
  return { core: await LedgerCore.open({ dataDir: dir, clock }), clock, dir };
};
