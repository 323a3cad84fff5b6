import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  ForbiddenException,
  HttpException,
  HttpStatus,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual, createHash, hash as oneShotHash } from 'node:crypto';
import type { Principal, Role, ServiceConfig } from '@app/application';
import { SERVICE_CONFIG } from '../tokens';
import { routeMetadata, type Target } from './route-metadata';

export const PUBLIC_ROUTE = 'custody:public';
export const ROUTE_ROLES = 'custody:roles';
/** A route anyone may call without a key (health, the dashboard page). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Roles that may call a route; admins may call every route. */
export const Roles = (...roles: Role[]) => SetMetadata(ROUTE_ROLES, roles);

export interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  principal?: Principal;
}

// The one-shot crypto.hash (Node >= 20.12) skips the Hash object (~3 µs a request); its 'buffer' output is slow on Node
// 20, so the digest comes back as a latin1 string (event-hash.ts does the same).
const LATIN1 = 'latin1' as 'binary';
const digest: (s: string) => Buffer =
  typeof oneShotHash === 'function'
    ? (s) => Buffer.from(oneShotHash('sha256', s, LATIN1), 'latin1')
    : (s) => createHash('sha256').update(s).digest();

/** The key of an `Authorization: Bearer <key>` header (any amount of space after the scheme), if there is one. */
export const bearerKey = (header: unknown): string | undefined => {
  if (typeof header !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
};

/** A key's stable, non-secret id: a prefix of its SHA-256 (contract §8.1 scopes a keyless principal's ids by it). */
export const keyIdOf = (key: string): string => digest(key).toString('hex').slice(0, 24);

const presented = new WeakMap<object, { header: unknown; digest: Buffer | undefined }>();
/**
 * The SHA-256 of the request's bearer key (undefined without one), hashed once per request: the rate limiter (its
 * tracker) and the key guard (the constant-time comparison) both need it.
 */
export const presentedKeyDigest = (req: { headers?: Record<string, unknown> }): Buffer | undefined => {
  const header = req.headers?.authorization;
  const memo = presented.get(req);
  if (memo && memo.header === header) return memo.digest;
  const key = bearerKey(header);
  const hash = key === undefined ? undefined : digest(key);
  presented.set(req, { header, digest: hash });
  return hash;
};

/**
 * Failed authentications per client address in the current minute. Written by hand because @nestjs/throttler counts
 * every request of a tracker, and here only the failures may count (a busy client with a good key is not slowed).
 * Bounded: expired windows are dropped when the map grows.
 */
class FailureWindow {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds to wait when the address is over its budget, else undefined. */
  blocked(address: string, now = Date.now()): number | undefined {
    const w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs || w.count < this.limit) return undefined;
    return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
  }

  fail(address: string, now = Date.now()): void {
    const w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs) this.windows.set(address, { start: now, count: 1 });
    else w.count++;
    if (this.windows.size > 10_000) {
      for (const [a, x] of this.windows) if (now - x.start >= this.windowMs) this.windows.delete(a);
    }
  }
}

/**
 * Authenticates `Authorization: Bearer <key>` against LEDGER_API_KEYS. Keys are compared in constant time (over
 * their SHA-256, so lengths do not leak either) and are never logged. Keys in query strings are not accepted.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { hash: Buffer; principal: Principal }[];
  private readonly failures: FailureWindow;
  private readonly isPublic: (handler: Target, classRef: Target) => boolean | undefined;
  private readonly rolesOf: (handler: Target, classRef: Target) => Role[] | undefined;

  constructor(reflector: Reflector, @Inject(SERVICE_CONFIG) config: ServiceConfig) {
    this.keys = [...config.apiKeys.entries()].map(([k, principal]) => {
      // The key's non-secret id scopes its command ids when it has no person (contract §8.1).
      return { hash: digest(k), principal: { ...principal, keyId: principal.keyId ?? keyIdOf(k) } };
    });
    this.failures = new FailureWindow(config.authFailuresPerMinute);
    this.isPublic = routeMetadata(reflector, PUBLIC_ROUTE);
    this.rolesOf = routeMetadata(reflector, ROUTE_ROLES);
  }

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const classRef = context.getClass();
    if (this.isPublic(handler, classRef)) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    const key = bearerKey(header);
    if (key === undefined && (header === undefined || header === ''))
      throw new UnauthorizedException('an API key is required: Authorization: Bearer <key>');
    // An address that keeps presenting wrong keys is stopped before its next key is even compared (issue 11).
    const address = String(req.ip ?? 'unknown');
    const wait = this.failures.blocked(address);
    if (wait !== undefined) {
      throw new HttpException(
        {
          code: 'AUTH_RATE_LIMITED',
          detail: `Too many failed authentications from this address; retry in ${wait} s.`,
          retryAfter: wait,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    let found: Principal | undefined;
    const hash = presentedKeyDigest(req);
    if (hash !== undefined) for (const k of this.keys) if (timingSafeEqual(k.hash, hash)) found = k.principal;
    if (!found) {
      this.failures.fail(address);
      throw new UnauthorizedException(
        key === undefined ? 'an API key is required: Authorization: Bearer <key>' : 'unknown API key',
      );
    }
    req.principal = found;
    const roles = this.rolesOf(handler, classRef);
    if (roles && !found.roles.includes('admin') && !roles.some((r) => found.roles.includes(r))) {
      throw new ForbiddenException(`this route needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }
}
