import { DomainError } from '@app/custody/shared/errors';

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
