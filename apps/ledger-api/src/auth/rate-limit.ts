import { createHash } from 'node:crypto';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import { idempotencyScopeOf, type Principal } from '@app/application';
import { keyIdOf, presentedKeyDigest } from './api-key.guard';
import { WindowedThrottlerStorage } from './windowed-throttler.storage';

/**
 * Rate limits (@nestjs/throttler): RATE_LIMIT_PER_MINUTE requests per minute per **authenticated principal** (issue
 * 11: the budget belongs to whoever the key stands for, so `Bearer` with extra spaces, or a second key of the same
 * person, is not a fresh budget), and per client address for requests without a known key. Keys are looked up by
 * their SHA-256, never kept or logged as they are. Excess requests get 429 RATE_LIMITED as problem+json with
 * Retry-After; /health is exempt. Failed authentications have their own, much smaller budget (ApiKeyGuard).
 */
export const rateLimitOptions = (perMinute: number, apiKeys: Map<string, Principal>): ThrottlerModuleOptions => {
  // Tracker per key id, hashed once here rather than on every request.
  const trackers = new Map<string, string>();
  for (const [key, principal] of apiKeys) {
    const keyId = keyIdOf(key);
    const scope = idempotencyScopeOf({ ...principal, keyId: principal.keyId ?? keyId });
    trackers.set(keyId, `principal:${createHash('sha256').update(scope).digest('hex').slice(0, 32)}`);
  }
  return {
    throttlers: [{ name: 'default', ttl: 60_000, limit: perMinute }],
    // O(1) per request at any rate (the library's own in-memory storage is not; see the class).
    storage: new WindowedThrottlerStorage(),
    getTracker: (req: Record<string, unknown>) => {
      const hash = presentedKeyDigest(req);
      const tracker = hash === undefined ? undefined : trackers.get(hash.toString('hex').slice(0, 24));
      return tracker ?? `ip:${typeof req.ip === 'string' ? req.ip : 'unknown'}`;
    },
    // The library's default key, without its SHA-256 per request: the tracker is already a hash or an address.
    generateKey: (context, tracker, name) =>
      `${context.getClass().name}-${context.getHandler().name}-${name}-${tracker}`,
  };
};
