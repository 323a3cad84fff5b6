import { formatReport, matchDistinct, runScenario, type Scenario } from './scenario-runner';

const people: Scenario['steps'] = [
  {
    at: '2026-03-02T01:00:00Z',
    actor: 'p-registrar',
    command: 'RegisterPerson',
    data: { personId: 'p-gm', name: 'gm', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' },
  },
  {
    at: '2026-03-02T01:00:00Z',
    actor: 'p-registrar',
    command: 'RegisterPerson',
    data: { personId: 'p-zhang', name: 'zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' },
  },
  {
    at: '2026-03-02T01:00:00Z',
    actor: 'p-registrar',
    command: 'RegisterPlace',
    data: { placeId: 'room-1', name: 'room', kind: 'reading-room' },
  },
  {
    at: '2026-03-02T02:00:00Z',
    actor: 'p-zhang',
    command: 'RegisterReceivedItem',
    data: {
      itemId: 'doc-1',
      title: 't',
      level: 'SECRET',
      periodYears: 10,
      basis: 'b',
      carrier: 'paper',
      sender: 's',
      receivedBy: 'p-zhang',
      scope: { persons: [] },
    },
  },
];

describe('the scenario runner', () => {
  it('passes a scenario whose expectations hold', async () => {
    const report = await runScenario({
      name: 'ok',
      steps: [
        ...people,
        {
          at: '2026-03-02T02:01:00Z',
          expect: {
            custodian: { 'doc-1': 'p-zhang' },
            readers: { 'doc-1': ['p-gm'] },
            violationCount: 0,
            verify: true,
          },
        },
      ],
    });
    expect(report.ok).toBe(true);
  });

  it('names the expectation that fails, with what was expected and what was recorded', async () => {
    const report = await runScenario({
      name: 'wrong',
      steps: [
        ...people,
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' },
        },
        {
          at: '2026-03-02T03:01:00Z',
          expect: {
            custodian: { 'doc-1': 'p-gm' },
            status: { 'doc-1': 'archived' },
            readers: { 'doc-1': ['p-zhang'] },
            violations: [{ code: 'INSECURE_CHANNEL', itemId: 'doc-1' }],
            violationCount: 0,
            incidentCount: 0,
            incidents: [{ itemId: 'doc-1', kind: 'loss' }],
          },
        },
      ],
    });
    expect(report.ok).toBe(false);
    const failing = report.steps.filter((s) => !s.ok);
    expect(failing.map((s) => s.index)).toEqual([5]);
    const text = formatReport(report);
    expect(text).toContain('custodian of doc-1: expected "p-gm", got "p-zhang"');
    expect(text).toContain('status of doc-1: expected "archived", got "active"');
    expect(text).toContain('readers of doc-1: expected ["p-zhang"], got ["p-gm"]');
    expect(text).toContain('violations: no distinct match for [{"code":"INSECURE_CHANNEL","itemId":"doc-1"}]');
    expect(text).toContain('OUT_OF_SCOPE_ACCESS');
    expect(text).toContain('violationCount: expected 0, got 1');
    expect(text).toContain('incidentCount: expected 0, got 1');
    expect(text).toContain('incidents: no distinct match');
  });

  it('reports a refusal that did not come, and one that came unexpected', async () => {
    const report = await runScenario({
      name: 'refusals',
      steps: [
        ...people,
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-registrar',
          command: 'RegisterPlace',
          data: { placeId: 'room-2', name: 'r', kind: 'office' },
          expectError: 'PLACE_EXISTS',
        },
        { at: '2026-03-02T03:00:00Z', actor: 'p-zhang', command: 'ApproveDestruction', data: { itemId: 'doc-1' } },
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-nobody', placeId: 'room-1' },
          expectError: 'UNKNOWN_PLACE',
        },
      ],
    });
    const problems = report.steps.filter((s) => !s.ok).map((s) => s.problems.join(' '));
    expect(problems[0]).toContain('expected refusal PLACE_EXISTS, but the command was accepted');
    expect(problems[1]).toContain('command failed: APPROVER_NOT_AUTHORIZED');
    expect(problems[2]).toContain('expected refusal UNKNOWN_PLACE, got UNKNOWN_PERSON');
  });

  it('takes either name of a malformed command (VALIDATION_FAILED or INVALID_COMMAND), and nothing else for one', async () => {
    const bad = { itemId: 'doc-1', reader: 'p-zhang', outsider: { name: 'a waiter' }, placeId: 'room-1' };
    const report = await runScenario({
      name: 'input-errors',
      steps: [
        ...people,
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: bad,
          expectError: 'INVALID_COMMAND',
        },
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: bad,
          expectError: 'VALIDATION_FAILED',
        },
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: bad,
          expectError: 'UNKNOWN_PLACE',
        },
      ],
    });
    expect(report.steps.filter((s) => !s.ok).map((s) => s.index)).toEqual([6]);
  });

  // contract §2.1: a fact is recorded and flagged, never refused; `expectError` naming the flag on a fact holds.
  it("takes a fact's flag for its expectError, and names what the fact was flagged with otherwise", async () => {
    const report = await runScenario({
      name: 'fact-flags',
      steps: [
        ...people,
        {
          at: '2026-03-02T03:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' },
          expectError: 'OUT_OF_SCOPE_ACCESS',
        },
        {
          at: '2026-03-02T03:10:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' },
          expectError: 'INSECURE_CHANNEL',
        },
        { at: '2026-03-02T03:11:00Z', expect: { violationCount: 2 } },
      ],
    });
    expect(report.steps.filter((s) => !s.ok).map((s) => [s.index, s.problems])).toEqual([
      [
        5,
        [
          'expected refusal INSECURE_CHANNEL, but the command was accepted (ItemRead, ViolationDetected, IncidentCauseAdded; violations: OUT_OF_SCOPE_ACCESS)',
        ],
      ],
    ]);
  });

  it('reads a step time written without a zone as UTC', async () => {
    const report = await runScenario({
      name: 'no-zone',
      steps: [
        ...people.map((p) => ({ ...p, at: p.at.replace('Z', '') })),
        {
          at: '2026-03-02T03:00:00',
          recordedAt: '2026-03-02T04:00:00',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' },
        },
        // due 24 hours after 04:00 UTC, whatever zone the machine is in
        { at: '2026-03-03T04:00:01', expect: { incidents: [{ itemId: 'doc-1', overdue: true }] } },
      ],
    });
    expect(formatReport(report)).toContain('PASS');
  });

  // contract §7 (v2): a command step may give recordedAt — a paper record typed in afterwards.
  it('enters a command late: the clock moves to recordedAt, the command keeps at as its occurredAt', async () => {
    const report = await runScenario({
      name: 'late',
      steps: [
        ...people,
        {
          at: '2026-03-02T03:00:00Z',
          recordedAt: '2026-03-05T09:00:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' },
        },
        // 24 hours after the entry, not after the reading: not overdue on arrival, overdue a day later.
        { at: '2026-03-05T09:01:00Z', expect: { incidents: [{ itemId: 'doc-1', kind: 'leak', overdue: false }] } },
        { at: '2026-03-06T09:01:00Z', expect: { incidents: [{ itemId: 'doc-1', overdue: true }] } },
      ],
    });
    expect(formatReport(report)).toContain('PASS');
    expect(report.ok).toBe(true);
  });

  it('rejects a recordedAt before at with a clear per-step error, and goes on', async () => {
    const report = await runScenario({
      name: 'backwards',
      steps: [
        ...people,
        {
          at: '2026-03-02T03:00:00Z',
          recordedAt: '2026-03-02T02:59:00Z',
          actor: 'p-zhang',
          command: 'RecordReading',
          data: { itemId: 'doc-1', reader: 'p-gm', placeId: 'room-1' },
        },
        { at: '2026-03-02T04:00:00Z', expect: { violationCount: 0 } },
      ],
    });
    expect(report.steps.filter((s) => !s.ok).map((s) => [s.index, s.problems])).toEqual([
      [
        4,
        [
          'recordedAt 2026-03-02T02:59:00Z is before at 2026-03-02T03:00:00Z: a fact cannot be entered before it happened',
        ],
      ],
    ]);
  });

  it('matches each expected entry to a distinct recorded one', () => {
    const recorded = [{ code: 'A' }, { code: 'B' }];
    expect(matchDistinct([{ code: 'A' }, { code: 'A' }], recorded, (m, c) => m.code === c.code)).toBeNull();
    expect(
      matchDistinct([{}, { code: 'A' }], recorded, (m, c) =>
        Object.entries(m).every(([k, v]) => (c as Record<string, unknown>)[k] === v),
      ),
    ).toEqual([1, 0]);
  });
});
