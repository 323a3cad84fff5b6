import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';

// The library's metadata keys (@nestjs/throttler throttler.constants), each followed by the throttler's name.
const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
const THROTTLER_TTL = 'THROTTLER:TTL';
const THROTTLER_TRACKER = 'THROTTLER:TRACKER';
const THROTTLER_BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';
const THROTTLER_KEY_GENERATOR = 'THROTTLER:KEY_GENERATOR';
const THROTTLER_SKIP = 'THROTTLER:SKIP';

/** One throttler's settings for one route, as the library's canActivate works them out (null: it is skipped). */
type Plan = Omit<ThrottlerRequest, 'context'> | null;

/**
 * @nestjs/throttler's guard, with each route's settings worked out once: the library's `canActivate` reads six
 * metadata entries per throttler through the Reflector and awaits each resolved value on every request (~10 µs of a
 * command). Route metadata is fixed once the classes are defined, so the same settings come out each time; the
 * request itself is still counted, answered and refused by the library's own `handleRequest`. A route whose settings
 * are functions of the request (a resolvable limit or ttl, a `skipIf`) goes through the library's path every time.
 */
@Injectable()
export class RouteThrottlerGuard extends ThrottlerGuard {
  private readonly plans = new WeakMap<object, Map<object, Plan[] | undefined>>();

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storageService: ThrottlerStorage,
    reflector: Reflector,
  ) {
    super(options, storageService, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const plans = this.plansFor(context);
    if (plans === undefined) return super.canActivate(context);
    // The library's canActivate asks shouldSkip first; this class does not override it (false).
    let pass = true;
    for (const plan of plans) if (plan !== null && !(await this.handleRequest({ context, ...plan }))) pass = false;
    return pass;
  }

  private plansFor(context: ExecutionContext): Plan[] | undefined {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let byClass = this.plans.get(handler);
    if (byClass === undefined) this.plans.set(handler, (byClass = new Map<object, Plan[] | undefined>()));
    if (!byClass.has(classRef)) byClass.set(classRef, this.plan(handler, classRef));
    return byClass.get(classRef);
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest keys metadata on handlers and classes
  private plan(handler: Function, classRef: Function): Plan[] | undefined {
    if (this.commonOptions.skipIf) return undefined;
    const plans: Plan[] = [];
    for (const throttler of this.throttlers) {
      const meta = <T>(key: string) => this.reflector.getAllAndOverride<T>(key + throttler.name, [handler, classRef]);
      if (throttler.skipIf) return undefined;
      if (meta<boolean>(THROTTLER_SKIP)) {
        plans.push(null);
        continue;
      }
      const limit = meta<unknown>(THROTTLER_LIMIT) ?? throttler.limit;
      const ttl = meta<unknown>(THROTTLER_TTL) ?? throttler.ttl;
      const block = meta<unknown>(THROTTLER_BLOCK_DURATION) ?? throttler.blockDuration ?? ttl;
      // Anything but plain numbers is the library's to resolve (and to refuse), per request.
      if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof block !== 'number') return undefined;
      if ([limit, ttl, block].some(Number.isNaN)) return undefined;
      plans.push({
        limit,
        ttl,
        blockDuration: block,
        throttler,
        getTracker:
          meta<ThrottlerRequest['getTracker']>(THROTTLER_TRACKER) ??
          throttler.getTracker ??
          this.commonOptions.getTracker!,
        generateKey:
          meta<ThrottlerRequest['generateKey']>(THROTTLER_KEY_GENERATOR) ??
          throttler.generateKey ??
          this.commonOptions.generateKey!,
      });
    }
    return plans;
  }
}
