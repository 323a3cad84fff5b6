import { createHash } from 'node:crypto';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import { idempotencyScopeOf, type Principal } from '@app/application';
import { bearerKey, keyIdOf } from './api-key.guard';

/**
 * Rate limits (@nestjs/throttler): RATE_LIMIT_PER_MINUTE requests per minute per **authenticated principal** (issue
 * 11: the budget belongs to whoever the key stands for, so `Bearer` with extra spaces, or a second key of the same
 * person, is not a fresh budget), and per client address for requests without a known key. Keys are looked up by
 * their SHA-256, never kept or logged as they are. Excess requests get 429 RATE_LIMITED as problem+json with
 * Retry-After; /health is exempt. Failed authentications have their own, much smaller budget (ApiKeyGuard).
 */
export const rateLimitOptions = (perMinute: number, apiKeys: Map<string, Principal>): ThrottlerModuleOptions => {
  const principals = new Map<string, string>();
  for (const [key, principal] of apiKeys) {
    const keyId = keyIdOf(key);
    principals.set(keyId, idempotencyScopeOf({ ...principal, keyId: principal.keyId ?? keyId }));
  }
  return {
    throttlers: [{ name: 'default', ttl: 60_000, limit: perMinute }],
    getTracker: (req: Record<string, unknown>) => {
      const headers = (req.headers ?? {}) as Record<string, unknown>;
      const key = bearerKey(headers.authorization);
      const principal = key === undefined ? undefined : principals.get(keyIdOf(key));
      if (principal) return `principal:${createHash('sha256').update(principal).digest('hex').slice(0, 32)}`;
      return `ip:${typeof req.ip === 'string' ? req.ip : 'unknown'}`;
    },
  };
};
