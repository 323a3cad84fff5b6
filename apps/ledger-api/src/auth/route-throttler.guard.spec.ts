import { Controller, Post } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { SkipThrottle, Throttle, ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { RouteThrottlerGuard } from './route-throttler.guard';
import { WindowedThrottlerStorage } from './windowed-throttler.storage';

@Controller()
class Routes {
  @Post('plain')
  plain(): void {}

  @Throttle({ default: { limit: 2, ttl: 1_000 } })
  @Post('tight')
  tight(): void {}

  @SkipThrottle()
  @Post('skipped')
  skipped(): void {}
}

/** What a request came to: through or the error's status, and the headers set on the answer. */
const attempt = async (guard: ThrottlerGuard, name: keyof Routes, ip: string) => {
  const headers: Record<string, unknown> = {};
  const req = { ip, headers: {} };
  const res = { setHeader: (n: string, v: unknown) => void (headers[n] = v) };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the handler is a metadata key, never called
  const context = new ExecutionContextHost([req, res, undefined], Routes, Routes.prototype[name]);
  const outcome = await guard.canActivate(context).then(
    (pass) => pass,
    (error: { getStatus?: () => number }) => error.getStatus?.() ?? 'threw',
  );
  return { outcome, headers };
};

const guards = async (options: ThrottlerModuleOptions) => {
  const now = 1_700_000_000_000;
  const made = [ThrottlerGuard, RouteThrottlerGuard].map(
    (G) => new G(options, new WindowedThrottlerStorage(() => now), new Reflector()),
  );
  for (const g of made) await g.onModuleInit();
  return made as [ThrottlerGuard, RouteThrottlerGuard];
};

describe('RouteThrottlerGuard (the library guard with each route’s settings worked out once)', () => {
  it('passes, counts, sets headers and refuses exactly as ThrottlerGuard does, route by route', async () => {
    const [library, route] = await guards({ throttlers: [{ name: 'default', ttl: 60_000, limit: 3 }] });
    const sequence: Array<[keyof Routes, string]> = [
      ...Array.from({ length: 5 }, (): [keyof Routes, string] => ['plain', '10.0.0.1']),
      ...Array.from({ length: 4 }, (): [keyof Routes, string] => ['tight', '10.0.0.1']),
      ...Array.from({ length: 5 }, (): [keyof Routes, string] => ['skipped', '10.0.0.1']),
      ['plain', '10.0.0.2'],
    ];
    const outcomes = [];
    for (const [name, ip] of sequence) {
      const expected = await attempt(library, name, ip);
      const actual = await attempt(route, name, ip);
      expect({ name, ip, ...actual }).toEqual({ name, ip, ...expected });
      outcomes.push(actual.outcome);
    }
    // The comparison above means something only if both answers occurred: 3 through then 429s, 2 then 429s, all
    // skipped through without headers.
    expect(outcomes).toEqual([true, true, true, 429, 429, true, true, 429, 429, true, true, true, true, true, true]);
  });

  it('reads a route’s metadata once, not on every request', async () => {
    const [, route] = await guards({ throttlers: [{ name: 'default', ttl: 60_000, limit: 100 }] });
    const reflector = (route as unknown as { reflector: Reflector }).reflector;
    const lookups = jest.spyOn(reflector, 'getAllAndOverride');
    await attempt(route, 'plain', 'a');
    const first = lookups.mock.calls.length;
    for (let i = 0; i < 10; i++) await attempt(route, 'plain', 'a');
    expect(first).toBeGreaterThan(0);
    expect(lookups.mock.calls.length).toBe(first);
  });

  it('leaves a throttler with a skipIf to the library on every request', async () => {
    let skip = false;
    const [, route] = await guards({ throttlers: [{ ttl: 60_000, limit: 1 }], skipIf: () => skip });
    expect((await attempt(route, 'plain', 'a')).outcome).toBe(true);
    expect((await attempt(route, 'plain', 'a')).outcome).toBe(429);
    skip = true;
    expect((await attempt(route, 'plain', 'a')).outcome).toBe(true);
  });

  it('leaves a limit given as a function of the request to the library', async () => {
    const [, route] = await guards({
      throttlers: [
        { ttl: 60_000, limit: (ctx) => (ctx.switchToHttp().getRequest<{ ip: string }>().ip === 'vip' ? 5 : 1) },
      ],
    });
    for (let i = 0; i < 3; i++) expect((await attempt(route, 'plain', 'vip')).outcome).toBe(true);
    expect((await attempt(route, 'plain', 'other')).outcome).toBe(true);
    expect((await attempt(route, 'plain', 'other')).outcome).toBe(429);
  });
});
