import { createHash } from 'node:crypto';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';

/**
 * Rate limits (@nestjs/throttler): RATE_LIMIT_PER_MINUTE requests per minute per API key — the key is tracked by a
 * hash, never stored or logged as is — and per client address for requests without a key (which also slows key
 * guessing). Excess requests get 429 RATE_LIMITED as problem+json with Retry-After; /health is exempt.
 */
export const rateLimitOptions = (perMinute: number): ThrottlerModuleOptions => ({
  throttlers: [{ name: 'default', ttl: 60_000, limit: perMinute }],
  getTracker: (req: Record<string, unknown>) => {
    const headers = (req.headers ?? {}) as Record<string, unknown>;
    const auth = headers.authorization;
    if (typeof auth === 'string' && auth !== '')
      return `key:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}`;
    return `ip:${String(req.ip ?? 'unknown')}`;
  },
});
