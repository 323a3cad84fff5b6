import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ManualClock } from '@app/ledger';
import { createApp } from '../../apps/ledger-api/src/main';
import { loadConfig } from '@app/application';

/** The investigator's and the responder's routes through the real HTTP server and a real store file. */
describe('history, exposure and report draft over HTTP', () => {
  let app: INestApplication;
  let base: string;
  let dir: string;
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const keys = {
    'k-admin': { roles: ['admin'], name: 'registry' },
    'k-zhang': { personId: 'p-zhang', roles: ['custodian'] },
    'k-resp': { personId: 'p-dir', roles: ['responder'] },
    'k-inv': { roles: ['investigator'], name: 'investigator' },
    'k-audit': { roles: ['auditor'], name: 'auditor' },
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };
  const post = (name: string, body: unknown, key = 'k-admin'): Promise<JsonResponse> =>
    fetch(`${base}/api/commands/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  const get = (p: string, key = 'k-inv'): Promise<JsonResponse> =>
    fetch(`${base}${p}`, { headers: { authorization: `Bearer ${key}` } });
  const ok = async (res: Promise<JsonResponse>) => {
    const r = await res;
    const body = await r.json();
    if (r.status !== 200) throw new Error(`${r.status}: ${JSON.stringify(body)}`);
    return body;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-investigation-e2e-'));
    const config = loadConfig(
      { DATA_DIR: dir, LEDGER_API_KEYS: JSON.stringify(keys), SCHEDULER_INTERVAL_MS: '50' },
      { minKeyLength: 1 },
    );
    app = await createApp(config, clock);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
    for (const [personId, rank, clearance] of [
      ['p-gm', 'executive', 'TOP_SECRET'],
      ['p-dir', 'director', 'SECRET'],
      ['p-zhang', 'staff', 'SECRET'],
      ['p-driver', 'staff', 'NONE'],
    ]) {
      await ok(
        post('RegisterPerson', {
          data: { personId, name: personId.slice(2), rank, clearance, unit: 'office' },
          occurredAt: '2026-03-02T01:00:00Z',
        }),
      );
    }
    await ok(
      post('RegisterPlace', {
        data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' },
        occurredAt: '2026-03-02T01:00:00Z',
      }),
    );
    await ok(
      post('RegisterPlace', {
        data: { placeId: 'restaurant', name: 'Riverside restaurant', kind: 'public' },
        occurredAt: '2026-03-02T01:00:00Z',
      }),
    );
    await ok(
      post('RegisterReceivedItem', {
        data: {
          itemId: 'doc-1',
          title: 'directive No. 7',
          level: 'SECRET',
          periodYears: 10,
          basis: 'b',
          carrier: 'paper',
          sender: 'bureau',
          receivedBy: 'p-zhang',
          scope: { persons: [] },
        },
        occurredAt: '2026-03-02T02:00:00Z',
      }),
    );
    await ok(
      post(
        'RecordReading',
        { data: { itemId: 'doc-1', reader: 'p-dir', placeId: 'room-1' }, occurredAt: '2026-03-02T03:00:00Z' },
        'k-zhang',
      ),
    );
    await ok(
      post(
        'RecordCarryOut',
        { data: { itemId: 'doc-1', person: 'p-zhang', destination: 'restaurant' }, occurredAt: '2026-03-02T08:00:00Z' },
        'k-zhang',
      ),
    );
    clock.set('2026-03-02T10:00:00Z');
    // Entered two hours late: the driver read it at 07:00, before it was carried out.
    await ok(
      post(
        'RecordReading',
        { data: { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' }, occurredAt: '2026-03-02T07:00:00Z' },
        'k-zhang',
      ),
    );
  });

  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the history as of an instant and as the world was at an instant', async () => {
    const asOf = await ok(get('/api/items/doc-1/history?asOf=2026-03-02T09:30:00Z'));
    expect(asOf.events.map((e: { type: string }) => e.type)).toEqual([
      'ItemReceived',
      'ItemRead',
      'ItemCarriedOut',
      'ViolationDetected',
    ]);
    expect(asOf.readers.map((r: { personId: string }) => r.personId)).toEqual(['p-dir', 'p-gm']);
    const world = await ok(get('/api/items/doc-1/history?occurredBefore=2026-03-02T07:30:00Z&copies=true', 'k-audit'));
    expect(world.events.map((e: { type: string }) => e.type)).toEqual([
      'ItemReceived',
      'ItemRead',
      'ItemRead',
      'ViolationDetected',
    ]);
    expect(world.events[2]).toEqual(
      expect.objectContaining({ actor: 'p-zhang', recordedAt: '2026-03-02T10:00:00.000Z', verified: true }),
    );
    expect(world.events[2].violations).toEqual([expect.objectContaining({ code: 'OUT_OF_SCOPE_ACCESS' })]);
    expect(world.state).toEqual(expect.objectContaining({ status: 'active', custodian: 'p-zhang' }));
    const now = await ok(get('/api/items/doc-1/history', 'k-resp'));
    expect(now.state.status).toBe('carried-out');
  });

  it('gives the exposure set with the unentitled reading flagged', async () => {
    const set = await ok(get('/api/items/doc-1/exposure'));
    const driver = set.entries.find((e: { personId: string }) => e.personId === 'p-driver');
    expect(driver).toEqual(
      expect.objectContaining({ how: 'reading', withinScope: false, reason: 'not-in-scope', placeId: 'room-1' }),
    );
    expect(set.copyTree).toEqual([
      expect.objectContaining({ itemId: 'doc-1', status: 'carried-out', custodian: 'p-zhang' }),
    ]);
  });

  it('drafts the report, counts down on the ledger clock, and files it with SubmitIncidentReport', async () => {
    const incidents = await ok(get('/api/incidents?open=true', 'k-resp'));
    expect(incidents.items).toHaveLength(1);
    const id = incidents.items[0].incidentId;
    const draft = await ok(get(`/api/incidents/${id}/report-draft?to=municipal%20secrecy%20bureau`, 'k-resp'));
    expect(draft).toEqual(
      expect.objectContaining({
        to: 'municipal secrecy bureau',
        submitted: false,
        overdue: false,
        // contract §5.1 1: the carry-out of 08:00 was entered at 09:00 — discovered then, due 24 hours after.
        discoveredAt: '2026-03-02T09:00:00.000Z',
        occurredAt: '2026-03-02T07:00:00.000Z',
        reportDueAt: '2026-03-03T09:00:00.000Z',
      }),
    );
    expect(draft.timeLeftMs).toBe(23 * 3600_000);
    expect(draft.responsible.facts.personId).toBe('p-zhang');
    expect(draft.harm.facts.unentitledReadings.map((e: { personId: string }) => e.personId)).toEqual(['p-driver']);
    expect(Object.keys(draft.submission.data).sort()).toEqual([
      'content',
      'course',
      'discovery',
      'harm',
      'incidentId',
      'investigation',
      'remedialMeasures',
      'responsible',
      'to',
    ]);
    await ok(post('SubmitIncidentReport', { data: draft.submission.data }, 'k-resp'));
    const after = await ok(get(`/api/incidents/${id}/report-draft`, 'k-inv'));
    expect(after).toEqual(expect.objectContaining({ submitted: true, overdue: false }));
  });

  it('answers a malformed query parameter with 400 naming it', async () => {
    for (const [p, field] of [
      ['/api/items/doc-1/history?asOf=yesterday', 'query.asOf'],
      ['/api/items/doc-1/history?occurredBefore=2026-13-45', 'query.occurredBefore'],
      ['/api/items/doc-1/history?copies=maybe', 'query.copies'],
    ]) {
      const res = await get(p);
      expect(res.status).toBe(400);
      expect((await res.json()).errors).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('answers unknown items and incidents with 404', async () => {
    for (const [p, code] of [
      ['/api/items/doc-x/history', 'UNKNOWN_ITEM'],
      ['/api/items/doc-x/exposure', 'UNKNOWN_ITEM'],
      ['/api/incidents/inc-x/report-draft', 'UNKNOWN_INCIDENT'],
    ]) {
      const res = await get(p, 'k-resp');
      expect(res.status).toBe(404);
      expect((await res.json()).code).toBe(code);
    }
  });

  it('keeps the routes to their roles', async () => {
    expect((await get('/api/items/doc-1/history', 'k-zhang')).status).toBe(403);
    expect((await get('/api/items/doc-1/exposure', 'k-zhang')).status).toBe(403);
    const [incident] = (await ok(get('/api/incidents', 'k-resp'))).items;
    expect((await get(`/api/incidents/${incident.incidentId}/report-draft`, 'k-audit')).status).toBe(403);
    expect((await get(`/api/incidents/${incident.incidentId}/report-draft`, 'k-zhang')).status).toBe(403);
    expect((await fetch(`${base}/api/items/doc-1/exposure`)).status).toBe(401);
  });
});
