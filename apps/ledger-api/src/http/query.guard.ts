import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RequestValidationError } from '@app/application';
import { QUERY_SCHEMA, queryErrors } from '../shared/query.dto';
import { routeMetadata, type Target } from '../auth/route-metadata';

/**
 * Validates every request's query before its handler (issue 11): each parameter once and a plain value on every
 * route, and on a route with `@QuerySchema(Dto)` exactly the declared parameters, each within its rule. Runs after
 * the key guard, so a caller without a key learns nothing about the parameters.
 */
@Injectable()
export class QueryGuard implements CanActivate {
  private readonly schemaOf: (handler: Target, classRef: Target) => (new () => object) | undefined;

  constructor(reflector: Reflector) {
    this.schemaOf = routeMetadata(reflector, QUERY_SCHEMA);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>();
    const dto = this.schemaOf(context.getHandler(), context.getClass());
    const errors = queryErrors(req.query ?? {}, dto);
    if (errors.length > 0) throw new RequestValidationError(errors);
    return true;
  }
}
