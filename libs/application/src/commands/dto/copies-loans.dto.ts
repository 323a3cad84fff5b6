/** Copies and loans (contract §5: RequestCopy, ApproveCopy, RecordCopy, ApproveLoan, RecordLoan, RecordReturn). */
import type { CommandData } from '@app/custody';
import { IsDateTime, IsId, IsIntIn, IsText } from './validators';

export class RequestCopyDto {
  static readonly example: CommandData['RequestCopy'] = { itemId: 'doc-ts', requestId: 'r1', copies: 1 };
  @IsId() itemId!: string;
  @IsId() requestId!: string;
  @IsIntIn(1, 1000) copies!: number;
}

export class ApproveCopyDto {
  static readonly example: CommandData['ApproveCopy'] = { itemId: 'doc-ts', requestId: 'r1', copies: 1 };
  @IsId() itemId!: string;
  @IsId() requestId!: string;
  /** Approve fewer copies than requested (by default: the number requested). */
  @IsIntIn(1, 1000, { optional: true }) copies?: number;
}

export class RefuseCopyDto {
  static readonly example: CommandData['RefuseCopy'] = { itemId: 'doc-ts', requestId: 'r1', reason: '无工作需要' };
  @IsId() itemId!: string;
  @IsId() requestId!: string;
  @IsText() reason!: string;
}

export class RecordCopyDto {
  static readonly example: CommandData['RecordCopy'] = { itemId: 'doc-ts', copyItemId: 'doc-ts-c1', requestId: 'r1' };
  @IsId() itemId!: string;
  @IsId() copyItemId!: string;
  @IsId({ optional: true }) requestId?: string;
}

export class ApproveLoanDto {
  static readonly example: CommandData['ApproveLoan'] = {
    itemId: 'doc-1',
    loanId: 'loan-7',
    borrower: 'p-mgr',
    dueAt: '2026-03-09T17:00:00+08:00',
  };
  @IsId() itemId!: string;
  @IsId() loanId!: string;
  @IsId() borrower!: string;
  @IsDateTime() dueAt!: string;
}

export class RecordLoanDto {
  static readonly example: CommandData['RecordLoan'] = {
    itemId: 'doc-1',
    loanId: 'loan-7',
    borrower: 'p-mgr',
    dueAt: '2026-03-09T17:00:00+08:00',
  };
  @IsId() itemId!: string;
  @IsId() loanId!: string;
  @IsId() borrower!: string;
  @IsDateTime() dueAt!: string;
}

export class RecordReturnDto {
  static readonly example: CommandData['RecordReturn'] = {
    itemId: 'doc-1',
    loanId: 'loan-7',
    borrower: 'p-li',
    dueAt: '2026-03-09T09:00:00Z',
    receivedBy: 'p-zhang',
  };
  @IsId() itemId!: string;
  @IsId() loanId!: string;
  /** May repeat the loan's borrower and due date (contract §5 lists them for loans and returns alike). */
  @IsId({ optional: true }) borrower?: string;
  @IsDateTime({ optional: true }) dueAt?: string;
  /** Who took it back, for a loan the ledger never recorded (default: the actor's person). */
  @IsId({ optional: true }) receivedBy?: string;
}
