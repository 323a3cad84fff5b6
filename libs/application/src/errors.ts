import { DomainError } from '@app/custody';
import type { StoreRollback } from '@app/read-models';
import type { FieldError } from './commands/validate-command';

export type { FieldError } from './commands/validate-command';

export class UnknownCommand extends DomainError {
  readonly code = 'UNKNOWN_COMMAND';
  readonly status = 404;
  constructor(name: string) {
    super(`there is no command named ${name}`);
  }
}

export class ForbiddenCommand extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
  constructor(name: string, roles: readonly string[]) {
    super(`roles [${roles.join(', ')}] may not give ${name}`);
  }
}

/** The request (envelope or command data) is not well-formed: 400 VALIDATION_FAILED with one entry per field. */
export class RequestValidationError extends Error {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
  constructor(readonly errors: FieldError[]) {
    super(
      errors.length === 1
        ? `${errors[0].field} ${errors[0].reason}`
        : `${errors.length} fields are invalid${errors.length ? `, the first: ${errors[0].field} ${errors[0].reason}` : ''}`,
    );
    this.name = 'RequestValidationError';
  }
}

/**
 * A fact dated before the first fact of its item (issue 11): the item did not exist then. The item's true, earlier
 * history is registered first (with its own occurredAt); nothing is recorded.
 */
export class BeforeItemExisted extends DomainError {
  readonly code = 'BEFORE_ITEM_EXISTED';
  readonly status = 400;
  constructor(itemId: string, at: string, since: string) {
    super(
      `item ${itemId} was first recorded as of ${since}; a fact about it cannot have occurred at ${at}`,
      'body.occurredAt',
    );
  }
}

/**
 * The store is behind what the read models applied (contract §4.1, no silent rollback): its head is below the last
 * applied position, or the event there has another hash. Nothing is written and no checkpoint is signed over it
 * until an operator says the rollback is intended (`rebuild --accept-rollback`). 503 STORE_ROLLED_BACK.
 */
export class StoreRolledBack extends Error {
  readonly code = 'STORE_ROLLED_BACK';
  readonly status = 503;
  constructor(readonly rollback: StoreRollback) {
    super(
      `the store was rolled back (${rollback.reason}): ${rollback.detail}. Nothing is written until an operator runs rebuild --accept-rollback`,
    );
    this.name = 'StoreRolledBack';
  }
}
