/**
 * Idempotency keys per principal (contract §8.1, issue 11), through the real HTTP server on both stores (the embedded
 * SQLite store and EventStoreDB over the wire-level double). fast-check generates bursts of requests from many
 * principals that share command ids — identical retries, the same id with another body, the same id from another
 * principal — and the order in which they are launched; all of a burst is in flight at once. Afterwards:
 * - every distinct (principal, commandId) is stored exactly once, as the command of one of its requests;
 * - every answer is that command's result (the same events for each of its requests) or 409 IDEMPOTENCY_KEY_REUSED
 *   naming it, for a request with another body;
 * - never a 5xx.
 */
import fc from 'fast-check';
import type { RecordedEvent } from '@app/ledger';
import { FakeEsdb } from '../esdb/fake-esdb';
import { client, startInProcess, summary, type Client, type InProcessService } from './support';

/** Two registrars with persons, one person with two keys (one principal), two keys without a person. */
const KEYS = {
  'k-p0': { personId: 'p-r0', roles: ['registrar'] },
  'k-p1': { personId: 'p-r1', roles: ['registrar'] },
  'k-p2a': { personId: 'p-r2', roles: ['registrar'] },
  'k-p2b': { personId: 'p-r2', roles: ['registrar'] },
  'k-gate-0': { roles: ['registrar'], name: 'gate' },
  'k-gate-1': { roles: ['registrar'], name: 'gate' },
};
const KEY_NAMES = Object.keys(KEYS) as (keyof typeof KEYS)[];
/** The principal a key stands for: its person, else the key itself (two keys named alike are still two). */
const principalOf = (key: keyof typeof KEYS): string => {
  const spec = KEYS[key] as { personId?: string };
  return spec.personId ?? key;
};

interface Request {
  key: number;
  id: number;
  /** 0 and 1 register different places (other streams); 2 is 0's place under another name (same stream). */
  variant: number;
}

const placeOf = (run: number, r: Request) =>
  `pl-${run}-${principalOf(KEY_NAMES[r.key])}-${r.id}-${r.variant === 1 ? 1 : 0}`;
const bodyOf = (run: number, r: Request) => ({
  commandId: `cmd-${run}-${r.id}`,
  data: { placeId: placeOf(run, r), name: r.variant === 2 ? 'renamed room' : 'reading room', kind: 'reading-room' },
});

const requests = fc.array(fc.record({ key: fc.nat(KEY_NAMES.length - 1), id: fc.nat(2), variant: fc.nat(2) }), {
  minLength: 2,
  maxLength: 24,
});

for (const storeKind of ['sqlite', 'esdb'] as const) {
  describe(`command ids shared by many principals, racing (${storeKind} store)`, () => {
    let svc: InProcessService;
    let fake: FakeEsdb | undefined;
    let clients: Client[];
    let run = 0;
    const stats = {
      store: storeKind,
      bursts: 0,
      requests: 0,
      principalIdPairs: 0,
      answers: {} as Record<string, number>,
      fiveHundreds: 0,
      storedTwice: 0,
      lost: 0,
    };

    beforeAll(async () => {
      if (storeKind === 'esdb') {
        fake = new FakeEsdb();
        await fake.start();
      }
      svc = await startInProcess(KEYS, {
        prefix: `reliability-idempotency-${storeKind}`,
        env: fake ? { EVENTSTORE_URL: fake.url } : {},
      });
      clients = KEY_NAMES.map((k) => client(svc.base, k));
    });

    afterAll(async () => {
      summary(`idempotency (${storeKind})`, stats);
      await svc?.close();
      await fake?.close();
    });

    it('stores every (principal, id) once; answers its result or 409 IDEMPOTENCY_KEY_REUSED; never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(requests, fc.scheduler(), async (burst, s) => {
          const r = ++run;
          stats.bursts++;
          stats.requests += burst.length;
          const before = (await svc.core.store.headPosition()) ?? 0;
          // The scheduler releases the launches in an order it generates; no answer is awaited before all are sent.
          const pending = burst.map((req) =>
            s
              .schedule(Promise.resolve(req), `${KEY_NAMES[req.key]} id ${req.id} v${req.variant}`)
              .then(async (q) => ({ req: q, res: await clients[q.key].post('RegisterPlace', bodyOf(r, q)) })),
          );
          await s.waitAll();
          const answers = await Promise.all(pending);
          const stored = (await svc.core.store.readAll({ after: before })).filter(
            (e: RecordedEvent) => e.type === 'PlaceRegistered',
          );

          const groups = new Map<string, typeof answers>();
          for (const a of answers) {
            const g = `${principalOf(KEY_NAMES[a.req.key])}-${a.req.id}`;
            groups.set(g, [...(groups.get(g) ?? []), a]);
            const label = `${a.res.status}${a.res.body?.code ? ` ${a.res.body.code}` : ''}`;
            stats.answers[label] = (stats.answers[label] ?? 0) + 1;
            if (a.res.status >= 500) stats.fiveHundreds++;
            expect(a.res.status).toBeLessThan(500);
          }
          stats.principalIdPairs += groups.size;
          for (const [g, group] of groups) {
            const mine = stored.filter((e) => (e.data as { placeId: string }).placeId.startsWith(`pl-${r}-${g}-`));
            if (mine.length > 1) stats.storedTwice++;
            if (mine.length === 0) stats.lost++;
            expect(mine).toHaveLength(1);
            const fact = mine[0].data as { placeId: string; name: string };
            const isWinner = (q: Request) => placeOf(r, q) === fact.placeId && bodyOf(r, q).data.name === fact.name;
            const winnerEvents = [
              { type: 'PlaceRegistered', streamId: mine[0].streamId, revision: 0, position: mine[0].position },
            ];
            for (const { req, res } of group) {
              if (isWinner(req)) {
                expect(res.status).toBe(200);
                expect(res.body.events).toEqual(winnerEvents);
              } else {
                expect(res.status).toBe(409);
                expect(res.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', firstCommand: 'RegisterPlace' });
              }
            }
          }
        }),
        { numRuns: storeKind === 'sqlite' ? 25 : 12 },
      );
    });
  });
}
