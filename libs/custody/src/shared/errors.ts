/**
 * Typed domain errors with stable codes. The API maps them once (apps/ledger-api problem+json filter):
 * `input` → 400/404, `refusal` → 409/403/422 by `status`.
 */
import { REFUSALS, type RefusalCode } from './refusals';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** HTTP status the shell should answer with. */
  abstract readonly status: number;
  constructor(
    message: string,
    /** The command field the error is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A refused request (approval, extension, …): its code and status come from the refusal catalogue. */
export class CommandRefused extends DomainError {
  readonly status: number;
  constructor(
    readonly code: RefusalCode,
    message: string,
    field?: string,
  ) {
    super(message, field);
    this.status = REFUSALS[code].status;
  }
}

/** The refusal a decider throws: `throw refuse('ITEM_EXISTS', \`item ${id} is already registered\`, 'itemId')`. */
export const refuse = (code: RefusalCode, message: string, field?: string): CommandRefused =>
  new CommandRefused(code, message, field);

export class ApproverNotAuthorized extends CommandRefused {
  constructor(message: string) {
    super('APPROVER_NOT_AUTHORIZED', message);
  }
}

/** The command names something that is not registered: an input error, not a fact. */
export class UnknownReference extends DomainError {
  readonly status = 404;
  constructor(
    readonly code:
      | 'UNKNOWN_PERSON'
      | 'UNKNOWN_PLACE'
      | 'UNKNOWN_ITEM'
      | 'UNKNOWN_INCIDENT'
      | 'UNKNOWN_INVENTORY'
      | 'UNKNOWN_VIOLATION',
    field: string,
    id: string,
  ) {
    super(`${field}: ${id} is not registered`, field);
  }
}

/** A well-typed command that still cannot be recorded as given (e.g. `at` ends before it starts). */
export class InvalidCommand extends DomainError {
  readonly status = 400;
  readonly code = 'INVALID_COMMAND';
  constructor(field: string, message: string) {
    super(`${field}: ${message}`, field);
  }
}
