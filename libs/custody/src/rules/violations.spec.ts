import { T0 } from '../testing/custody-spec';
import { severityOf, violation, VIOLATION_RULES } from './violations';

describe('the violation catalogue', () => {
  // contract §5 "Violation severities": the lists as written there.
  const critical = ['INSECURE_CHANNEL', 'ITEM_MISSING', 'LEAK_REPORT_LATE'];
  const high = [
    'OUT_OF_SCOPE_ACCESS',
    'CARRY_OUT_UNAPPROVED',
    'TS_ESCORT_LT2',
    'TRIAL_EMPLOYEE_TRANSMIT',
    'DESTRUCTION_UNAPPROVED',
    'DESTRUCTION_WITNESSES_LT2',
    'DEPARTURE_ITEMS_UNRETURNED',
    'COPY_UNAPPROVED',
    'ACCESS_AFTER_DEPARTURE',
    'ACTIVITY_AFTER_DESTRUCTION',
    // contract §5.1 (v2)
    'DESTRUCTION_PLACE_NOT_APPROVED',
    // contract §5.1 point 10 (issue 12): an unapproved gate exit not brought back, as high as the carry-out itself.
    'ITEM_NOT_BROUGHT_BACK',
  ];
  const medium = [
    'READ_OUTSIDE_APPROVED_PLACE',
    'RECEIPT_MISSING',
    'LOAN_OVERDUE',
    'LOAN_UNAPPROVED',
    'TRUST_HANDOVER',
    'COPY_COUNT_EXCEEDED',
    'INVESTIGATION_REPORT_LATE',
    'TS_INVENTORY_OVERDUE',
    'PERIOD_INVALID',
    // contract §5.1 (v2)
    'LOAN_TERM_EXCEEDED',
    'LOAN_UNRECORDED',
    'RECEIPT_BY_OTHER',
  ];

  it('holds every code of contract §5 and §5.1 and no other', () =>
    expect(Object.keys(VIOLATION_RULES).sort()).toEqual([...critical, ...high, ...medium].sort()));

  it.each(
    critical
      .map((c) => [c, 'critical'])
      .concat(
        high.map((c) => [c, 'high']),
        medium.map((c) => [c, 'medium']),
      ),
  )('gives %s the severity %s', (code, severity) =>
    expect(VIOLATION_RULES[code as keyof typeof VIOLATION_RULES].severity).toBe(severity),
  );

  it('cites a source for every code', () => {
    for (const rule of Object.values(VIOLATION_RULES)) expect(rule.source.length).toBeGreaterThan(5);
  });

  // contract §5: COPY_UNAPPROVED is critical on TOP_SECRET, high otherwise.
  it('makes COPY_UNAPPROVED critical on TOP_SECRET only', () => {
    expect(severityOf('COPY_UNAPPROVED', 'TOP_SECRET')).toBe('critical');
    expect(severityOf('COPY_UNAPPROVED', 'SECRET')).toBe('high');
    expect(severityOf('OUT_OF_SCOPE_ACCESS', 'TOP_SECRET')).toBe('high');
  });
});

describe('building a ViolationDetected', () => {
  const cmd = { commandId: 'cmd-7', at: T0 };

  // contract §2.7: ids derived from the cause, so a retry appends nothing twice.
  it('derives the id from the command, the code and the item', () => {
    const v = violation(cmd, 'TRUST_HANDOVER', { itemId: 'doc-1', personId: 'p-zhang', detail: 'x' });
    expect(v).toEqual({
      type: 'ViolationDetected',
      data: {
        violationId: 'cmd-7:TRUST_HANDOVER:doc-1',
        code: 'TRUST_HANDOVER',
        severity: 'medium',
        itemId: 'doc-1',
        personId: 'p-zhang',
        source: VIOLATION_RULES.TRUST_HANDOVER.source,
        detail: 'x',
        at: T0,
      },
    });
  });

  it('falls back on the person when no item is concerned, and adds a suffix and an incident when given', () => {
    expect(
      violation(cmd, 'DEPARTURE_ITEMS_UNRETURNED', { itemId: null, personId: 'p-a', detail: '' }).data.violationId,
    ).toBe('cmd-7:DEPARTURE_ITEMS_UNRETURNED:p-a');
    const v = violation(cmd, 'TRIAL_EMPLOYEE_TRANSMIT', {
      itemId: 'doc-1',
      personId: 'p-b',
      detail: '',
      idSuffix: 'p-b',
      incidentId: 'inc-1',
    });
    expect(v.data).toMatchObject({ violationId: 'cmd-7:TRIAL_EMPLOYEE_TRANSMIT:doc-1:p-b', incidentId: 'inc-1' });
  });

  it('gives the critical severity to an unapproved TOP_SECRET copy', () =>
    expect(violation(cmd, 'COPY_UNAPPROVED', { itemId: 'doc-1', detail: '', level: 'TOP_SECRET' }).data.severity).toBe(
      'critical',
    ));
});
