import { WindowedThrottlerStorage } from './windowed-throttler.storage';

describe('WindowedThrottlerStorage (the rate limiter’s counts)', () => {
  let now = 1_700_000_000_000;
  const storage = () => new WindowedThrottlerStorage(() => now);
  const hit = (s: WindowedThrottlerStorage, key = 'principal:a') => s.increment(key, 60_000, 3, 60_000, 'default');

  it('lets `limit` hits through in a window, blocks the next for the block duration, then starts afresh', async () => {
    const s = storage();
    for (let i = 1; i <= 3; i++) expect(await hit(s)).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await hit(s)).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    // Still blocked, and a blocked request does not extend the block.
    expect(await hit(s)).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    expect(await hit(s, 'principal:b')).toMatchObject({ totalHits: 1, isBlocked: false });
    now += 30_000;
    expect(await hit(s)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('forgets hits once they are older than the ttl (to within a sixtieth of it)', async () => {
    const s = storage();
    await hit(s);
    await hit(s);
    now += 30_000;
    expect(await hit(s)).toMatchObject({ totalHits: 3, isBlocked: false });
    now += 31_000; // the first two are out of the window, the third is not
    expect(await hit(s)).toMatchObject({ totalHits: 2, isBlocked: false });
    // The reset names when the oldest counted hit leaves the window.
    expect((await hit(s)).timeToExpire).toBeLessThanOrEqual(30);
    now += 10 * 60_000; // long idle: everything expired at once
    expect(await hit(s)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('counts a burst far beyond the limit without losing count (a flood stays blocked)', async () => {
    const s = storage();
    const results = await Promise.all(Array.from({ length: 10_000 }, () => hit(s)));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(3);
  });
});
