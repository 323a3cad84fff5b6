/**
 * The short soak (issue 7.6) inside `npm test`: 30 s of steady commands against a child service with the SSE feed
 * connected and a dashboard poller. The 10-minute run is `npm run soak -- --minutes 10` (figures in docs/reliability.md).
 */
import { runSoak } from '../../scripts/soak';
import { summary } from './support';

describe('a short soak', () => {
  it('30 s at 15 commands/s: no failure, no missed tick beyond 1 %, bounded memory, the ledger verifies', async () => {
    const lines: string[] = [];
    const r = await runSoak({ seconds: 30, rate: 15, boundMiB: 64, log: (l) => lines.push(l) });
    summary('soak-30s', {
      commands: r.commands,
      ok: r.ok,
      failed: r.failed,
      missedTicks: r.missedTicks,
      p50: r.latencyMs.p50.toFixed(1),
      p95: r.latencyMs.p95.toFixed(1),
      p99: r.latencyMs.p99.toFixed(1),
      reader: r.reader,
      feedEvents: r.feedEvents,
      rssGrowthMiB: r.rss.growthMiB.toFixed(1),
      verified: r.verified,
    });
    expect(r.failures).toEqual([]);
    expect(r.commands).toBeGreaterThan(300);
    expect(r.verified).toBe(true);
    if (r.reader === 'sse-feed') expect(r.feedEvents).toBeGreaterThanOrEqual(r.ok);
    expect(r.rss.growthMiB).toBeLessThanOrEqual(64);
    expect(r.passed).toBe(true);
  }, 120_000);
});
