/**
 * The violation catalogue (contract §5 severities) and the one builder of `ViolationDetected` events.
 * Every code the domain can record is here, with the text it comes from.
 */
import type { Command } from '../shared/command';
import type { ViolationDetected, ViolationResolved } from '../shared/violation';
import type { Level, Severity } from '../shared/vocabulary';

export interface ViolationRule {
  severity: Severity;
  /** The text the rule comes from (seed file and article, or the regulation). */
  source: string;
  title: string;
}

const S0 = '000_45e41dba1b6a5da7.txt';
const S1 = '001_6188e2007563e3a6.txt';
const S2 = '002_c292fe519fc09962.txt';
const S4 = '004_d1fc20a45ee67265.txt';

export const VIOLATION_RULES = {
  // critical
  INSECURE_CHANNEL: {
    severity: 'critical',
    source: `保密法 第28/29条; ${S1} (四)传递保密: 不得通过普通邮政邮寄`,
    title: 'Sent over an insecure channel',
  },
  ITEM_MISSING: {
    severity: 'critical',
    source: `${S1} (九)清查保密: 发现有丢失的要及时追查`,
    title: 'Not found by an inventory',
  },
  LEAK_REPORT_LATE: {
    severity: 'critical',
    source: `${S4} 一事一报, 24小时内上报; 实施条例 2024 第61条`,
    title: 'Leak report later than 24 h',
  },
  // high
  OUT_OF_SCOPE_ACCESS: {
    severity: 'high',
    source: `${S2} 第9条 (知晓范围); ${S1} (二)阅文保密 2`,
    title: 'Known to a person outside the scope',
  },
  CARRY_OUT_UNAPPROVED: {
    severity: 'high',
    source: `${S1} (五)携带保密: 不准携带秘密文件出入公共场所`,
    title: 'Carried out without an approval',
  },
  TS_ESCORT_LT2: {
    severity: 'high',
    source: `${S1} (四)传递保密: 绝密文件应实行两人护送制`,
    title: 'TOP_SECRET carried by fewer than two couriers',
  },
  TRIAL_EMPLOYEE_TRANSMIT: {
    severity: 'high',
    source: `${S2} 第20条 5: 严禁让试用期员工发送保密文件`,
    title: 'Sent by an employee on probation',
  },
  DESTRUCTION_UNAPPROVED: {
    severity: 'high',
    source: `${S1} (十)销毁保密: 必须先经领导审批`,
    title: 'Destroyed without an approval',
  },
  DESTRUCTION_WITNESSES_LT2: {
    severity: 'high',
    source: `${S2} 第25条 5: 指定专人监销, 两人以上参加`,
    title: 'Destruction supervised by fewer than two',
  },
  DEPARTURE_ITEMS_UNRETURNED: {
    severity: 'high',
    source: `${S2} 第30条 (员工离职规定)`,
    title: 'Departed without returning an item',
  },
  COPY_UNAPPROVED: {
    severity: 'high',
    source: `${S2} 第21条 1: 复印需由总经理批准; ${S1} 复印文件必须经过请示`,
    title: 'Copied without an approval',
  },
  ACCESS_AFTER_DEPARTURE: {
    severity: 'high',
    source: `${S4} 脱密期; ${S2} 第30条`,
    title: 'Accessed by a departed person',
  },
  DESTRUCTION_PLACE_NOT_APPROVED: {
    severity: 'high',
    source: `${S1} (十)销毁保密: 秘密、机密级文件应…到指定的造纸厂监督销毁; 绝密文件…在本单位焚烧干净; ${S0} 不私自销毁`,
    title: 'Destroyed outside an approved place',
  },
  ACTIVITY_AFTER_DESTRUCTION: {
    severity: 'high',
    source: `${S1} (十)销毁保密; contract §5 (locked once destroyed)`,
    title: 'Activity on a destroyed item',
  },
  // medium
  READ_OUTSIDE_APPROVED_PLACE: {
    severity: 'medium',
    source: `${S1} (二)阅文保密 3: 在办公室或阅文室进行, 不得带回家中`,
    title: 'Read outside a reading room or office',
  },
  RECEIPT_MISSING: {
    severity: 'medium',
    source: `${S1} (一)收文保密: 件件有着落`,
    title: 'No receipt within 48 h of dispatch',
  },
  ITEM_NOT_BROUGHT_BACK: {
    severity: 'high',
    source: `BG99 第2条 (b); ${S1} (五)携带保密: 不准携带秘密文件出入公共场所`,
    title: 'Left through the gate unapproved and not brought back',
  },
  LOAN_OVERDUE: {
    severity: 'medium',
    source: `${S1} (九)清查保密: 借出去的应按时清退`,
    title: 'Loan not returned by its due date',
  },
  LOAN_UNAPPROVED: {
    severity: 'medium',
    source: `${S2} 第22条: 借阅方和提供方领导签字批准`,
    title: 'Lent without both units approving',
  },
  LOAN_TERM_EXCEEDED: {
    severity: 'medium',
    source: `${S2} 第22条: 借阅 (the approval names the due date); ${S1} (九)清查保密: 借出去的应按时清退`,
    title: 'Lent for longer than approved',
  },
  LOAN_UNRECORDED: {
    severity: 'medium',
    source: `${S2} 第22条: 借阅文件时应填写"申请借阅单"; ${S1} (一)收文保密: 件件有着落`,
    title: 'Returned from a loan the ledger never recorded',
  },
  RECEIPT_BY_OTHER: {
    severity: 'medium',
    source: `${S2} 第20条 3: 保密文件应由发文部门负责人或其指定人员签收, 不得交给其他人`,
    title: 'Receipt signed by someone other than the addressee',
  },
  TRUST_HANDOVER: {
    severity: 'medium',
    source: `${S1} (七)交接保密: 造册、核对、签字, 决不能搞信任交接; ${S2} 第17条: 交由主管领导签字`,
    title: 'Handover not itemized, not signed by both or not countersigned by a supervisor',
  },
  COPY_COUNT_EXCEEDED: {
    severity: 'medium',
    source: `${S1} 不得擅自多印多留; ${S2} 第21条 4: 注明复印份数`,
    title: 'More copies than approved',
  },
  INVESTIGATION_REPORT_LATE: {
    severity: 'medium',
    source: '报告泄露国家秘密事件的规定 第5条 (3 months)',
    title: 'Investigation result later than 3 months',
  },
  TS_INVENTORY_OVERDUE: {
    severity: 'medium',
    source: `${S1} (九)清查保密: 定期清查`,
    title: 'TOP_SECRET item not inventoried for a year',
  },
  PERIOD_INVALID: {
    severity: 'medium',
    source: `国家秘密保密期限的规定 第3条; ${S0} 定密`,
    title: 'Secrecy period beyond the maximum',
  },
} as const satisfies Record<string, ViolationRule>;

export type ViolationCode = keyof typeof VIOLATION_RULES;

export interface ViolationFields {
  itemId: string | null;
  personId?: string | null;
  detail: string;
  incidentId?: string;
  /** The item's level, where the severity depends on it (COPY_UNAPPROVED on TOP_SECRET is critical). */
  level?: Level;
  /** Tells apart two violations of one code on one item in one command (e.g. two couriers on probation). */
  idSuffix?: string;
}

/** Deterministic: a retry or a replay of the command derives the same id (contract §2.7). */
export const violationIdFor = (
  cmd: Pick<Command, 'commandId'>,
  code: ViolationCode,
  itemId: string | null,
  personId?: string | null,
  idSuffix?: string,
): string => `${cmd.commandId}:${code}:${itemId ?? personId ?? ''}${idSuffix ? `:${idSuffix}` : ''}`;

export const severityOf = (code: ViolationCode, level?: Level): Severity =>
  // contract §5: COPY_UNAPPROVED is critical on TOP_SECRET, high otherwise.
  code === 'COPY_UNAPPROVED' && level === 'TOP_SECRET' ? 'critical' : VIOLATION_RULES[code].severity;

/** Builds the `ViolationDetected` recorded beside the fact (or at the deadline) that broke the rule. */
export const violation = (
  cmd: Pick<Command, 'commandId' | 'at'>,
  code: ViolationCode,
  fields: ViolationFields,
): ViolationDetected => ({
  type: 'ViolationDetected',
  data: {
    violationId: violationIdFor(cmd, code, fields.itemId, fields.personId, fields.idSuffix),
    code,
    severity: severityOf(code, fields.level),
    itemId: fields.itemId,
    personId: fields.personId ?? null,
    source: VIOLATION_RULES[code].source,
    detail: fields.detail,
    at: cmd.at,
    ...(fields.incidentId ? { incidentId: fields.incidentId } : {}),
  },
});

/** Builds the `ViolationResolved` a command appends: resolved on the actor's authority, at the command's instant. */
export const resolution = (
  cmd: Pick<Command, 'actor' | 'at'>,
  violationId: string,
  note: string,
): ViolationResolved => ({ type: 'ViolationResolved', data: { violationId, note, resolvedBy: cmd.actor, at: cmd.at } });
