/** Loans: approvals by both units (002 第22条), the loan and the return. */
import type { DecisionContext } from '../../shared/command';
import { ApproverNotAuthorized, InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import type { PersonView } from '../../shared/views';
import type { ItemEvent } from '../item.events';
import type { ItemRecord } from '../item.state';
import {
  ms,
  uniq,
  persons,
  itemOf,
  maybePerson,
  personOf,
  approverOf,
  classified,
  requireRank,
  type Finding,
  factWrites,
  accessFinding,
  single,
  type Decide,
} from '../item.decide-kit';

export const loanCoverage = (item: ItemRecord, loanId: string, borrower: string): string[] => {
  const a = item.loanApprovals[loanId];
  return a && a.borrower === borrower ? a.units : [];
};

/** 002 第22条: 借阅方和提供方领导签字批准 — the units whose approval a loan needs. */
export const unitsToApprove = (ctx: DecisionContext, item: ItemRecord, borrower: PersonView): string[] =>
  uniq(
    [borrower.unit, ...(item.custodian ? [maybePerson(ctx, item.custodian)?.unit] : [])].filter(
      (u): u is string => !!u,
    ),
  );

export const approveLoan: Decide<'ApproveLoan'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = classified(itemOf(ctx, d.itemId));
  const approver = approverOf(ctx, cmd);
  const borrower = personOf(ctx, d.borrower, 'borrower');
  // 002 第22条: leaders (manager+) of both the lending and the borrowing side.
  requireRank(approver, 'manager', 'approving a loan');
  const needed = unitsToApprove(ctx, item, borrower);
  // An executive leads every unit; a manager or director speaks for their own unit only.
  const covers = approver.rank === 'executive' ? ['*'] : [approver.unit];
  if (approver.rank !== 'executive' && !needed.includes(approver.unit)) {
    throw new ApproverNotAuthorized(
      `${approver.personId} (${approver.unit}) leads neither the lending nor the borrowing unit (${needed.join(', ')})`,
    );
  }
  if (Number.isNaN(ms(d.dueAt)) || ms(d.dueAt) <= ms(cmd.at))
    throw new InvalidCommand('dueAt', 'must be later than the approval');
  const have = loanCoverage(item, d.loanId, d.borrower);
  if (covers.every((u) => have.includes(u))) return [];
  return single(itemStream(item.itemId), {
    type: 'LoanApproved',
    data: {
      itemId: item.itemId,
      loanId: d.loanId,
      borrower: d.borrower,
      dueAt: d.dueAt,
      approvedBy: cmd.actor,
      unit: approver.unit,
      covers,
      at: cmd.at,
    },
  } satisfies ItemEvent);
};

export const recordLoan: Decide<'RecordLoan'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const borrower = personOf(ctx, d.borrower, 'borrower');
  const have = loanCoverage(item, d.loanId, d.borrower);
  const approved = have.includes('*') || unitsToApprove(ctx, item, borrower).every((u) => have.includes(u));
  const fact: ItemEvent = {
    type: 'ItemLent',
    data: {
      itemId: item.itemId,
      loanId: d.loanId,
      lender: item.custodian,
      borrower: d.borrower,
      dueAt: d.dueAt,
      approved,
      at: cmd.at,
    },
  };
  return factWrites(
    cmd,
    ctx,
    item,
    [fact],
    () => {
      const found: Finding[] = [];
      // 002 第22条: a loan needs the approval of both sides' leaders.
      if (!approved)
        found.push({
          code: 'LOAN_UNAPPROVED',
          personId: d.borrower,
          detail: `loan ${d.loanId} is not approved by every unit concerned`,
        });
      // 002 第25条 3: only persons within the distribution range may borrow.
      const access = accessFinding(cmd, borrower, item, 'lent');
      if (access) found.push(access);
      return found;
    },
    d.borrower,
  );
};

export const recordReturn: Decide<'RecordReturn'> = (cmd, ctx) => {
  const item = itemOf(ctx, cmd.data.itemId);
  if (item.status !== 'destroyed' && item.loan?.loanId !== cmd.data.loanId) {
    throw new InvalidCommand('loanId', `${item.itemId} is not on loan ${cmd.data.loanId}`);
  }
  // A return gives custody back to the lender (DESIGN §5).
  return factWrites(
    cmd,
    ctx,
    item,
    [
      {
        type: 'ItemReturned',
        data: { itemId: item.itemId, loanId: cmd.data.loanId, returnedTo: item.loan?.lender ?? null, at: cmd.at },
      } satisfies ItemEvent,
    ],
    () => [],
  );
};
