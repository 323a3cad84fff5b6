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
  inTimeAfterAll,
  appendTo,
} from '../item.decide-kit';

/** The units an approval for this loan and borrower speaks for; none once a loan has used it up (contract §5.1 point 6). */
export const loanCoverage = (item: ItemRecord, loanId: string, borrower: string): string[] => {
  const a = item.loanApprovals[loanId];
  return a && !a.used && a.borrower === borrower ? a.units : [];
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
  const approval = item.loanApprovals[d.loanId];
  const usedUp = !!approval?.used && approval.borrower === d.borrower;
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
      // contract §5.1 point 6: an approval is used up by the loan it approves.
      if (!approved)
        found.push({
          code: 'LOAN_UNAPPROVED',
          personId: d.borrower,
          detail: usedUp
            ? `the approval of loan ${d.loanId} was used up by an earlier loan`
            : `loan ${d.loanId} is not approved by every unit concerned`,
        });
      // contract §5.1 point 6: lent for longer than the approval (even one side's) allows: it names its due date.
      if (approval && !approval.used && approval.borrower === d.borrower && ms(d.dueAt) > ms(approval.dueAt))
        found.push({
          code: 'LOAN_TERM_EXCEEDED',
          personId: d.borrower,
          detail: `loan ${d.loanId} due ${d.dueAt}, approved until ${approval.dueAt}`,
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
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const receiver = d.receivedBy !== undefined ? personOf(ctx, d.receivedBy, 'receivedBy') : null;
  const known = item.loan?.loanId === d.loanId;
  if (known || item.status === 'destroyed') {
    // A return gives custody back to the holder of record: the lender, or whoever a handover during the loan made it
    // (S1 (七); S2 第30条; contract §5.1 point 6).
    // 001 (九) 借出去的应按时清退: a return made by the due instant answers LOAN_OVERDUE even when typed in later.
    const resolved =
      known && item.loan
        ? inTimeAfterAll(cmd, ctx, item, 'LOAN_OVERDUE', item.loan.dueAt, `returned (loan ${d.loanId})`)
        : [];
    const writes = factWrites(
      cmd,
      ctx,
      item,
      [
        {
          type: 'ItemReturned',
          data: { itemId: item.itemId, loanId: d.loanId, returnedTo: item.loan?.lender ?? null, at: cmd.at },
        } satisfies ItemEvent,
      ],
      () => [],
    );
    return appendTo(writes, itemStream(item.itemId), resolved);
  }
  // contract §5.1 point 6: a return of a loan the ledger never recorded is a fact all the same; the item is with whoever
  // took it back (by default the actor's person).
  const returnedTo = receiver?.personId ?? maybePerson(ctx, cmd.actor)?.personId ?? cmd.actor;
  return factWrites(
    cmd,
    ctx,
    item,
    [
      {
        type: 'ItemReturned',
        data: { itemId: item.itemId, loanId: d.loanId, returnedTo, unrecorded: true, at: cmd.at },
      } satisfies ItemEvent,
    ],
    () => [
      {
        // 002 第22条 借阅文件时应填写"申请借阅单": a loan that was never registered.
        code: 'LOAN_UNRECORDED',
        personId: d.borrower ?? null,
        detail: `returned from loan ${d.loanId}, which the ledger never recorded; taken back by ${returnedTo}`,
      },
    ],
    returnedTo,
  );
};
