import { bootSurfaceApp, client, type JsonResponse, type SurfaceApp } from '../support/test-app';

/**
 * contract §5.1 points 1 and 3 over HTTP: a reading entered late opens an incident discovered at the entry (both times
 * in /api/incidents), and MergeIncident with its refusals as problem+json naming the field — never a 500.
 */
describe('incidents v2 over HTTP', () => {
  let svc: SurfaceApp;
  let post: ReturnType<typeof client>['post'];
  let get: ReturnType<typeof client>['get'];
  const ok = async (res: JsonResponse) => {
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const incidentOf = async (itemId: string): Promise<Record<string, unknown>> =>
    (await ok(await get(`/api/incidents?itemId=${itemId}`, 'k-responder'))).items.at(-1);

  beforeAll(async () => {
    svc = await bootSurfaceApp();
    ({ post, get } = client(svc.base));
    for (const [personId, rank, clearance] of [
      ['p-zhang', 'staff', 'SECRET'],
      ['p-driver', 'staff', 'NONE'],
    ])
      await ok(
        await post(
          'RegisterPerson',
          { data: { personId, name: personId, rank, clearance, unit: 'office' } },
          'k-registrar',
        ),
      );
    await ok(await post('RegisterPlace', { data: { placeId: 'room-1', name: 'room', kind: 'office' } }, 'k-registrar'));
    for (const itemId of ['doc-a', 'doc-b'])
      await ok(
        await post(
          'RegisterReceivedItem',
          {
            data: {
              itemId,
              title: itemId,
              level: 'SECRET',
              periodYears: 10,
              basis: 'catalogue',
              carrier: 'paper',
              sender: 'bureau',
              receivedBy: 'p-zhang',
              scope: { persons: [] },
            },
            occurredAt: '2026-03-02T06:00:00Z',
          },
          'k-registrar',
        ),
      );
    // The clock says 09:00; the readings happened at 07:00 and are entered now.
    for (const itemId of ['doc-a', 'doc-b'])
      await ok(
        await post(
          'RecordReading',
          { data: { itemId, reader: 'p-driver', placeId: 'room-1' }, occurredAt: '2026-03-02T07:00:00Z' },
          'k-custodian',
        ),
      );
  });

  afterAll(() => svc.close());

  it('lists the incident with its discovery at the entry and its occurrence at the reading', async () => {
    expect(await incidentOf('doc-a')).toMatchObject({
      kind: 'leak',
      discoveredAt: '2026-03-02T09:00:00.000Z',
      occurredAt: '2026-03-02T07:00:00.000Z',
      reportDueAt: '2026-03-03T09:00:00.000Z',
      overdue: false,
    });
  });

  it('refuses a merge into itself (400 naming into) and an unknown incident (404), as problem+json', async () => {
    const a = (await incidentOf('doc-a')).incidentId;
    const self = await post('MergeIncident', { data: { incidentId: a, into: a } }, 'k-responder');
    expect(self.status).toBe(400);
    expect(self.headers.get('content-type')).toContain('application/problem+json');
    expect((await self.json()).errors).toEqual([{ field: 'data.into', reason: expect.any(String) }]);
    const unknown = await post('MergeIncident', { data: { incidentId: 'inc-nope', into: a } }, 'k-responder');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('UNKNOWN_INCIDENT');
  });

  it('merges doc-b into doc-a for a responder only; the merged one is no longer open', async () => {
    const a = (await incidentOf('doc-a')).incidentId as string;
    const b = (await incidentOf('doc-b')).incidentId as string;
    expect((await post('MergeIncident', { data: { incidentId: b, into: a } }, 'k-custodian')).status).toBe(403);
    const merged = await ok(await post('MergeIncident', { data: { incidentId: b, into: a } }, 'k-responder'));
    expect(merged.events.map((e: { type: string }) => e.type)).toEqual(['IncidentMerged', 'IncidentCauseAdded']);
    const open = await ok(await get('/api/incidents?open=true', 'k-responder'));
    expect(open.items.map((i: { incidentId: string }) => i.incidentId)).toEqual([a]);
    expect(open.items[0].itemIds).toEqual(['doc-a', 'doc-b']);
    const again = await post('MergeIncident', { data: { incidentId: b, into: a } }, 'k-responder');
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe('ALREADY_MERGED');
  });
});
