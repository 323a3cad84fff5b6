import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  ForbiddenException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Principal, Role, ServiceConfig } from '@app/application';
import { SERVICE_CONFIG } from '../tokens';

export const PUBLIC_ROUTE = 'custody:public';
export const ROUTE_ROLES = 'custody:roles';
/** A route anyone may call without a key (health, the dashboard page). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Roles that may call a route; admins may call every route. */
export const Roles = (...roles: Role[]) => SetMetadata(ROUTE_ROLES, roles);

export interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Authenticates `Authorization: Bearer <key>` against LEDGER_API_KEYS. Keys are compared in constant time (over
 * their SHA-256, so lengths do not leak either) and are never logged. Keys in query strings are not accepted.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { hash: Buffer; principal: Principal }[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
  ) {
    this.keys = [...config.apiKeys.entries()].map(([k, principal]) => {
      const hash = digest(k);
      // The key's non-secret id scopes its command ids when it has no person (DESIGN §8.1).
      return { hash, principal: { ...principal, keyId: principal.keyId ?? hash.toString('hex').slice(0, 24) } };
    });
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const header = String(req.headers.authorization ?? '');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('an API key is required: Authorization: Bearer <key>');
    const presented = digest(match[1]);
    let found: Principal | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.hash, presented)) found = k.principal;
    if (!found) throw new UnauthorizedException('unknown API key');
    req.principal = found;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROUTE_ROLES, targets);
    if (roles && !found.roles.includes('admin') && !roles.some((r) => found!.roles.includes(r))) {
      throw new ForbiddenException(`this route needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }
}
