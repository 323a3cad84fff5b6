import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock, type EventStore } from '@app/ledger';
import { DomainError } from '@app/custody';
import { LedgerCore, ROLES, verifyLedgerIntegrity } from '@app/application';
import { RequestValidationError } from '@app/application';

/** The acceptance format of contract §7. */
export interface Scenario {
  name: string;
  source?: string;
  steps: ScenarioStep[];
}

export interface ScenarioStep {
  at: string;
  /** (v2, contract §7) When the command is entered, ≥ at: a paper record typed in afterwards. */
  recordedAt?: string;
  actor?: string;
  command?: string;
  data?: Record<string, unknown>;
  expectError?: string;
  expect?: Expectations;
}

export interface Expectations {
  custodian?: Record<string, string | null>;
  status?: Record<string, string>;
  readers?: Record<string, string[]>;
  violations?: Record<string, unknown>[];
  violationCount?: number;
  incidentCount?: number;
  incidents?: Record<string, unknown>[];
  verify?: boolean;
}

export interface StepReport {
  index: number;
  at: string;
  label: string;
  ok: boolean;
  problems: string[];
}

export interface ScenarioReport {
  name: string;
  file?: string;
  ok: boolean;
  steps: StepReport[];
}

const VIOLATION_KEYS = ['code', 'itemId', 'personId', 'severity', 'status'];
const INCIDENT_KEYS = ['itemId', 'kind', 'reported', 'overdue', 'concluded', 'closed'];
const EXPECT_KEYS = [
  'custodian',
  'status',
  'readers',
  'violations',
  'violationCount',
  'incidentCount',
  'incidents',
  'verify',
];

const show = (v: unknown): string => JSON.stringify(v);

/**
 * A malformed command, whether the request validation (`VALIDATION_FAILED`) or the decider (`INVALID_COMMAND`) finds
 * it: both are the API's 400, so an author may name either.
 */
const INPUT_ERRORS: readonly (string | undefined)[] = ['VALIDATION_FAILED', 'INVALID_COMMAND'];
const isInputError = (code: string | undefined): boolean => INPUT_ERRORS.includes(code);

/** Does each matcher find a distinct candidate? (Small sets: backtracking is exact and cheap.) */
export const matchDistinct = <T>(
  matchers: Record<string, unknown>[],
  candidates: T[],
  matches: (m: Record<string, unknown>, c: T) => boolean,
): number[] | null => {
  const used = new Set<number>();
  const chosen: number[] = [];
  const go = (i: number): boolean => {
    if (i === matchers.length) return true;
    for (let c = 0; c < candidates.length; c++) {
      if (used.has(c) || !matches(matchers[i], candidates[c])) continue;
      used.add(c);
      chosen[i] = c;
      if (go(i + 1)) return true;
      used.delete(c);
    }
    return false;
  };
  return go(0) ? chosen : null;
};

/**
 * Runs a scenario on a fresh embedded store (or the fresh store given) with a manual clock, through the same
 * LedgerCore.execute path and the same queries the API uses. Before each step the clock moves to the step's `at`
 * (or its `recordedAt`, when a command is entered late with occurredAt = `at`) and every deadline due fires.
 */
export const runScenario = async (
  scenario: Scenario,
  options: { dataDir?: string; file?: string; store?: EventStore } = {},
): Promise<ScenarioReport> => {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'custody-scenario-'));
  const clock = new ManualClock(inUtc(scenario.steps[0]?.at) ?? '2026-01-01T00:00:00Z');
  const core = await LedgerCore.open({ dataDir, clock, store: options.store });
  const steps: StepReport[] = [];
  try {
    for (const [index, given] of scenario.steps.entries()) {
      const step: ScenarioStep = { ...given, at: inUtc(given.at), recordedAt: inUtc(given.recordedAt) };
      if (step.recordedAt === undefined) delete step.recordedAt;
      const problems: string[] = [];
      const late = lateEntry(step);
      if ('problem' in late) {
        steps.push({ index, at: step.at, label: step.command ?? 'expect', ok: false, problems: [late.problem] });
        continue;
      }
      // The clock moves to when the step is entered: its recordedAt (a late entry) or its at. A clock never runs
      // back: a step dated before an earlier late entry is itself entered late, at the clock's time.
      if (new Date(late.enteredAt).getTime() > clock.now().getTime()) clock.set(late.enteredAt);
      await core.fireDueDeadlines();
      let label = 'expect';
      if (step.command) {
        label = `${step.command}${step.expectError ? ` (expect ${step.expectError})` : ''}`;
        const data = resolvePlaceholders(step.data ?? {}, core, problems);
        const principal = { personId: step.actor, name: step.actor ?? 'scenario', roles: [...ROLES] };
        const headBefore = await core.store.headPosition();
        try {
          const result = await core.execute(step.command, { data, occurredAt: step.at }, principal);
          // A fact is never refused (contract §2.1): an author who puts a rule's code in `expectError` on a fact
          // means "recorded and flagged with it", which is what happened when the command's violations name it.
          const flagged = result.violations.some((v) => v.code === step.expectError);
          if (step.expectError && !flagged)
            problems.push(
              `expected refusal ${step.expectError}, but the command was accepted (${result.events.map((e) => e.type).join(', ') || 'no events'}; violations: ${result.violations.map((v) => v.code).join(', ') || 'none'})`,
            );
        } catch (e: unknown) {
          const code =
            e instanceof DomainError ? e.code : e instanceof RequestValidationError ? 'VALIDATION_FAILED' : undefined;
          const detail = e instanceof RequestValidationError ? `${e.message}: ${show(e.errors)}` : (e as Error).message;
          if (!step.expectError) problems.push(`command failed: ${code ?? 'ERROR'}: ${detail}`);
          else if (code !== step.expectError && !(isInputError(code) && isInputError(step.expectError)))
            problems.push(`expected refusal ${step.expectError}, got ${code ?? 'ERROR'}: ${detail}`);
          // A refusal leaves the ledger as it was (contract §2.1: never a half-written change).
          const headAfter = await core.store.headPosition();
          if (headAfter !== headBefore)
            problems.push(
              `the command was refused (${code ?? 'ERROR'}) but the store moved from position ${show(headBefore ?? null)} to ${show(headAfter ?? null)}`,
            );
        }
      }
      if (step.expect) problems.push(...(await checkExpectations(step.expect, core)));
      if (step.recordedAt !== undefined) label += ` (entered ${step.recordedAt})`;
      steps.push({ index, at: step.at, label, ok: problems.length === 0, problems });
    }
  } finally {
    await core.close();
    if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { name: scenario.name, file: options.file, ok: steps.every((s) => s.ok), steps };
};

/**
 * A step's `at` or `recordedAt` written without a zone (`2026-03-02T09:00:00`) is read as UTC, as the format's
 * examples are, rather than in whatever zone the machine running the file is set to.
 */
const inUtc = <T>(v: T): T =>
  (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v) as T;

const isInstant = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(new Date(v).getTime());

/** When a step is entered: its `recordedAt` (≥ at, command steps only) or its `at`; or what is wrong with them. */
const lateEntry = (step: ScenarioStep): { enteredAt: string } | { problem: string } => {
  if (!isInstant(step.at)) return { problem: `at ${show(step.at)} is not an ISO-8601 instant` };
  if (step.recordedAt === undefined) return { enteredAt: step.at };
  if (!step.command)
    return { problem: 'recordedAt is given on a step without a command (only commands are entered late)' };
  if (!isInstant(step.recordedAt)) return { problem: `recordedAt ${show(step.recordedAt)} is not an ISO-8601 instant` };
  if (new Date(step.recordedAt).getTime() < new Date(step.at).getTime())
    return {
      problem: `recordedAt ${step.recordedAt} is before at ${step.at}: a fact cannot be entered before it happened`,
    };
  return { enteredAt: step.recordedAt };
};

const resolvePlaceholders = (value: unknown, core: LedgerCore, problems: string[]): never => {
  if (typeof value === 'string') {
    const incident = /^@incident:(.+)$/.exec(value);
    if (incident) {
      const id = core.readModels.incidents.openOrLatestFor(incident[1]);
      if (!id) problems.push(`placeholder ${value}: item ${incident[1]} has no incident`);
      return (id ?? value) as never;
    }
    const violation = /^@violation:(.+):([A-Z0-9_]+)$/.exec(value);
    if (violation) {
      const v = core.readModels.violations.latestFor(violation[1], violation[2]);
      if (!v) problems.push(`placeholder ${value}: item ${violation[1]} has no ${violation[2]} violation`);
      return (v?.violationId ?? value) as never;
    }
    return value as never;
  }
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, core, problems)) as never;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, core, problems)]),
    ) as never;
  }
  return value as never;
};

const checkExpectations = async (expect: Expectations, core: LedgerCore): Promise<string[]> => {
  const problems: string[] = [];
  await core.readModels.catchUp();
  const rm = core.readModels;
  const now = core.clock.now().toISOString();
  for (const key of Object.keys(expect)) if (!EXPECT_KEYS.includes(key)) problems.push(`unknown expectation "${key}"`);
  for (const [itemId, want] of Object.entries(expect.custodian ?? {})) {
    const item = rm.custody.item(itemId);
    if (!item) problems.push(`custodian of ${itemId}: no such item`);
    else if (item.custodian !== want)
      problems.push(`custodian of ${itemId}: expected ${show(want)}, got ${show(item.custodian)}`);
  }
  for (const [itemId, want] of Object.entries(expect.status ?? {})) {
    const item = rm.custody.item(itemId);
    if (!item) problems.push(`status of ${itemId}: no such item`);
    else if (item.status !== want)
      problems.push(`status of ${itemId}: expected ${show(want)}, got ${show(item.status)}`);
  }
  for (const [itemId, want] of Object.entries(expect.readers ?? {})) {
    const readers = rm.custody.readers(itemId);
    const got = readers?.map((p) => p.personId).sort() ?? null;
    const wanted = [...want].sort();
    if (!got) problems.push(`readers of ${itemId}: no such item`);
    else if (show(got) !== show(wanted))
      problems.push(`readers of ${itemId}: expected ${show(wanted)}, got ${show(got)}`);
  }
  const violations = rm.violations.list({ limit: 1000 }).items;
  const vTotal = rm.violations.count();
  if (expect.violationCount !== undefined && vTotal !== expect.violationCount) {
    problems.push(
      `violationCount: expected ${expect.violationCount}, got ${vTotal} (${violations.map((v) => `${v.code}@${v.itemId ?? v.personId}`).join(', ') || 'none'})`,
    );
  }
  if (expect.violations) {
    for (const m of expect.violations)
      for (const k of Object.keys(m))
        if (!VIOLATION_KEYS.includes(k))
          problems.push(`violation matcher key "${k}" is not one of ${VIOLATION_KEYS.join(', ')}`);
    const hit = matchDistinct(expect.violations, violations, (m, v) =>
      Object.entries(m).every(([k, want]) => (v as unknown as Record<string, unknown>)[k] === want),
    );
    if (!hit) {
      const missing = expect.violations.filter(
        (m) =>
          !violations.some((v) =>
            Object.entries(m).every(([k, want]) => (v as unknown as Record<string, unknown>)[k] === want),
          ),
      );
      problems.push(
        `violations: no distinct match for ${show(missing.length ? missing : expect.violations)}; recorded: ${show(violations.map((v) => ({ code: v.code, itemId: v.itemId, personId: v.personId, severity: v.severity, status: v.status })))}`,
      );
    }
  }
  const incidents = rm.incidents.list(now);
  if (expect.incidentCount !== undefined && incidents.length !== expect.incidentCount) {
    problems.push(
      `incidentCount: expected ${expect.incidentCount}, got ${incidents.length} (${incidents.map((i) => `${i.kind}@${i.itemIds.join('+')}`).join(', ') || 'none'})`,
    );
  }
  if (expect.incidents) {
    for (const m of expect.incidents)
      for (const k of Object.keys(m))
        if (!INCIDENT_KEYS.includes(k))
          problems.push(`incident matcher key "${k}" is not one of ${INCIDENT_KEYS.join(', ')}`);
    const matches = (m: Record<string, unknown>, i: (typeof incidents)[number]) =>
      Object.entries(m).every(([k, want]) =>
        k === 'itemId' ? i.itemIds.includes(String(want)) : (i as unknown as Record<string, unknown>)[k] === want,
      );
    if (!matchDistinct(expect.incidents, incidents, matches)) {
      problems.push(
        `incidents: no distinct match for ${show(expect.incidents)}; recorded: ${show(incidents.map((i) => ({ itemIds: i.itemIds, kind: i.kind, reported: i.reported, overdue: i.overdue, concluded: i.concluded, closed: i.closed })))}`,
      );
    }
  }
  if (expect.verify !== undefined) {
    const result = await verifyLedgerIntegrity(core.store);
    if (result.ok !== expect.verify)
      problems.push(
        `verify: expected ${expect.verify}, got ${result.ok}${result.firstFailure ? ` (${show(result.firstFailure)})` : ''}`,
      );
  }
  return problems;
};

export const formatReport = (r: ScenarioReport): string => {
  const lines = [`${r.ok ? 'PASS' : 'FAIL'} ${r.name}${r.file ? ` (${r.file})` : ''}`];
  for (const s of r.steps) {
    if (s.ok) continue;
    lines.push(`  step ${s.index + 1} at ${s.at} ${s.label}:`);
    for (const p of s.problems) lines.push(`    - ${p}`);
  }
  const failed = r.steps.filter((s) => !s.ok).length;
  lines.push(`  ${r.steps.length - failed}/${r.steps.length} steps ok`);
  return lines.join('\n');
};
