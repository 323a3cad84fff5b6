import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@app/application';
import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';
import { client, sleep, startService, tempDir, type KeySpec } from '../reliability/support';

/**
 * Webhooks (contract §8.1, issue 15): a real receiver on loopback that fails the first attempts, is down for a
 * while, checks every signature and deduplicates on the delivery id; the service's clock moves the deadlines.
 */
const SECRET = 'office-secret-0123456789';

interface Received {
  id: string;
  kind: string;
  incidentId: string | null;
  items: string[];
  deadline: string | null;
  link: string;
  summary: { 'zh-CN': string; en: string };
  signatureOk: boolean;
}

/** A receiver: `failFirst` answers 500 that many times; `hold` keeps requests open (never answers) while true. */
class Receiver {
  readonly received: Received[] = [];
  attempts = 0;
  failFirst = 0;
  hold = false;
  private server: http.Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.attempts++;
        if (this.hold) return; // the service is killed while this request is open
        if (this.failFirst > 0) {
          this.failFirst--;
          res.writeHead(500).end('try again');
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const parsed = JSON.parse(body) as Omit<Received, 'signatureOk'>;
        const signatureOk =
          verifySignature(SECRET, body, req.headers['x-ledger-signature'] as string) &&
          req.headers['x-ledger-delivery'] === parsed.id &&
          /^\d+$/.test(String(req.headers['x-ledger-timestamp']));
        this.received.push({ ...parsed, signatureOk });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Distinct deliveries by id (what a receiver that deduplicates keeps). */
  distinct(): Map<string, Received> {
    return new Map(this.received.map((r) => [r.id, r]));
  }

  byKind(kind: string): Received[] {
    return [...this.distinct().values()].filter((r) => r.kind === kind);
  }
}

const until = async (what: string, check: () => boolean, step?: () => void, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    step?.();
    await sleep(60);
  }
};

const setUp = async (api: ReturnType<typeof client>) => {
  const registrar = (name: string, data: object) => api.post(name, { data });
  await registrar('RegisterPerson', {
    personId: 'p-gm',
    name: 'Wang',
    rank: 'executive',
    clearance: 'TOP_SECRET',
    unit: 'hq',
  });
  await registrar('RegisterPerson', {
    personId: 'p-zhang',
    name: 'Zhang',
    rank: 'staff',
    clearance: 'SECRET',
    unit: 'office',
  });
  await registrar('RegisterPerson', {
    personId: 'p-driver',
    name: 'Zhao',
    rank: 'staff',
    clearance: 'NONE',
    unit: 'motor-pool',
  });
  await registrar('RegisterPlace', { placeId: 'room-1', name: 'reading room', kind: 'reading-room' });
  for (const itemId of ['doc-1', 'doc-2'])
    await registrar('RegisterReceivedItem', {
      itemId,
      title: `directive ${itemId}`,
      level: 'SECRET',
      periodYears: 10,
      basis: 'catalogue 2.1',
      carrier: 'paper',
      sender: 'bureau',
      receivedBy: 'p-zhang',
      scope: { persons: [] },
    });
};

describe('webhooks: responders are told of incidents and their deadlines', () => {
  let receiver: Receiver;
  let svc: SurfaceApp;

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    svc = await bootSurfaceApp({
      LEDGER_WEBHOOKS: JSON.stringify([
        { name: 'office', url: `http://127.0.0.1:${receiver.port}/hook`, secret: SECRET },
      ]),
      LEDGER_WEBHOOK_RETRY_MS: '200',
      LEDGER_PUBLIC_URL: 'https://ledger.example.gov',
    });
  });

  afterAll(async () => {
    await svc.close();
    await receiver.stop();
  });

  it('delivers a new incident, its 4-hour reminder, its overdue report and the critical violation — signed, retried through failures and an outage', async () => {
    const api = client(svc.base, 'k-admin');
    await setUp(api);
    // The receiver fails twice, then answers.
    receiver.failFirst = 2;
    const reading = await api.post('RecordReading', {
      data: { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' },
    });
    expect(reading.status).toBe(200);
    const tick = () => svc.clock.advance(500); // retries are due on the ledger's clock
    await until('the incident-opened delivery', () => receiver.byKind('incident-opened').length === 1, tick);
    expect(receiver.attempts).toBeGreaterThanOrEqual(3);
    const opened = receiver.byKind('incident-opened')[0];
    expect(opened.signatureOk).toBe(true);
    expect(opened.items).toEqual(['doc-1']);
    expect(opened.link).toBe(`https://ledger.example.gov/#/incidents/${opened.incidentId}`);
    expect(opened.summary.en).toMatch(/within 24 hours/);
    expect(opened.summary['zh-CN']).toMatch(/24小时内书面报告/);
    expect(Date.parse(opened.deadline!) - Date.parse('2026-03-02T09:00:00Z')).toBeGreaterThanOrEqual(24 * 3_600_000);

    // Down for a while: nothing is lost, the reminder arrives after it is back.
    await receiver.stop();
    svc.clock.set(new Date(Date.parse(opened.deadline!) - 3.5 * 3_600_000).toISOString());
    await sleep(800);
    expect(receiver.byKind('report-due-soon')).toEqual([]);
    await receiver.start(receiver.port);
    await until('the report-due-soon delivery', () => receiver.byKind('report-due-soon').length === 1, tick);

    // Past the deadline: LEAK_REPORT_LATE fires, which is overdue and critical.
    svc.clock.set(new Date(Date.parse(opened.deadline!) + 60_000).toISOString());
    await until(
      'the overdue and critical deliveries',
      () => receiver.byKind('report-overdue').length === 1 && receiver.byKind('violation-critical').length >= 1,
      tick,
    );
    const overdue = receiver.byKind('report-overdue')[0];
    expect(overdue).toMatchObject({ incidentId: opened.incidentId, items: ['doc-1'], signatureOk: true });
    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);

    const listed = await client(svc.base, 'k-responder').get('/api/notifications?status=delivered');
    expect(listed.status).toBe(200);
    const kinds = (listed.body as { deliveries: { kind: string }[] }).deliveries.map((d) => d.kind).sort();
    expect(kinds).toEqual(
      expect.arrayContaining(['incident-opened', 'report-due-soon', 'report-overdue', 'violation-critical']),
    );
    const metrics = await client(svc.base, 'k-auditor').get('/metrics');
    expect(String(metrics.text)).toMatch(/ledger_webhook_deliveries\{hook="office",status="delivered"\} [1-9]/);
  }, 60_000);

  it('does not remind of an incident reported in time', async () => {
    const api = client(svc.base, 'k-admin');
    const reading = await api.post('RecordReading', {
      data: { itemId: 'doc-2', reader: 'p-driver', placeId: 'room-1' },
    });
    const incidentId = (reading.body as { events: { type: string; streamId: string }[] }).events
      .find((e) => e.type === 'IncidentOpened')!
      .streamId.replace('incident-', '');
    await until(
      'its incident-opened delivery',
      () => receiver.byKind('incident-opened').some((r) => r.incidentId === incidentId),
      () => svc.clock.advance(200),
    );
    const seven = ['content', 'discovery', 'responsible', 'course', 'harm', 'investigation', 'remedialMeasures'];
    const submitted = await client(svc.base, 'k-responder').post('SubmitIncidentReport', {
      data: {
        incidentId,
        to: 'municipal secrecy bureau',
        ...Object.fromEntries(seven.map((f) => [f, `${f} as found`])),
      },
    });
    expect(submitted.status).toBe(200);
    svc.clock.advance(21 * 3_600_000);
    await sleep(1000);
    expect(receiver.byKind('report-due-soon').filter((r) => r.incidentId === incidentId)).toEqual([]);
    const cancelled = await client(svc.base, 'k-responder').get('/api/notifications?status=cancelled');
    expect((cancelled.body as { deliveries: { incidentId: string; kind: string }[] }).deliveries).toEqual(
      expect.arrayContaining([expect.objectContaining({ incidentId, kind: 'report-due-soon' })]),
    );
  }, 60_000);

  it('refuses a malformed LEDGER_WEBHOOKS at start, naming the hook and never its secret', async () => {
    const { loadConfig } = await import('@app/application');
    expect(() =>
      loadConfig({ LEDGER_WEBHOOKS: JSON.stringify([{ url: 'ftp://x', secret: 'short-but-secret!' }]) }),
    ).toThrow(/LEDGER_WEBHOOKS hook #1 url/);
    expect(() => loadConfig({ LEDGER_WEBHOOKS: JSON.stringify([{ url: 'http://x', secret: 'tiny' }]) })).toThrow(
      /LEDGER_WEBHOOKS hook #1 secret: must be at least 16 characters/,
    );
    try {
      loadConfig({
        LEDGER_WEBHOOKS: JSON.stringify([{ url: 'http://x', secret: 'tiny-secret-value', kinds: ['everything'] }]),
      });
    } catch (e) {
      expect(String(e)).not.toContain('tiny-secret-value');
    }
  });
});

describe('webhooks across a crash: the service killed while a delivery is in flight', () => {
  it('delivers after the restart, at least once, with the same id', async () => {
    const receiver = new Receiver();
    await receiver.start();
    receiver.hold = true;
    const dataDir = tempDir('webhook-crash');
    const keys: KeySpec = { 'admin-key-0123456789': { roles: ['admin'], name: 'admin' } };
    const env = {
      LEDGER_WEBHOOKS: JSON.stringify([{ name: 'office', url: `http://127.0.0.1:${receiver.port}/`, secret: SECRET }]),
      LEDGER_WEBHOOK_RETRY_MS: '200',
    };
    let svc = await startService({ dataDir, keys, env });
    try {
      const api = client(svc.base, 'admin-key-0123456789');
      await setUp(api);
      await api.post('RecordReading', { data: { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' } });
      await until('a delivery attempt in flight', () => receiver.attempts >= 1, undefined, 30_000);
      await svc.kill('SIGKILL');
      expect(receiver.received).toEqual([]);
      receiver.hold = false;
      svc = await startService({ dataDir, keys, env });
      await until(
        'the delivery after the restart',
        () => receiver.byKind('incident-opened').length === 1,
        undefined,
        30_000,
      );
      expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
      // Planned once: a second restart sends nothing new.
      await svc.kill('SIGTERM');
      svc = await startService({ dataDir, keys, env });
      await sleep(1500);
      expect(receiver.distinct().size).toBe(
        receiver.byKind('incident-opened').length + receiver.byKind('violation-critical').length,
      );
      expect(receiver.byKind('incident-opened')).toHaveLength(1);
    } finally {
      await svc.kill('SIGKILL');
      await receiver.stop();
    }
  }, 120_000);
});
