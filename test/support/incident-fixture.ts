/**
 * A leak as it happens in practice, through the HTTP API: a received 机密 notice, a copy made with an approval, and a
 * driver with no clearance reading it in the reading room — an out-of-scope reading that opens a `leak` incident.
 * Used by the language tests and the responder's desk browser test.
 */
import type { SurfaceApp } from './test-app';
import { client } from './test-app';

export const ITEM_TITLE = '关于开展2026年度保密检查工作的通知';

export interface LeakFixture {
  incidentId: string;
  itemId: string;
}

export const recordLeak = async (s: SurfaceApp): Promise<LeakFixture> => {
  const { post, get } = client(s.base);
  const ok = async (name: string, data: unknown, key: string) => {
    const res = await post(name, { data }, key);
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(await res.json())}`);
  };
  await ok(
    'RegisterPerson',
    { personId: 'p-zhang', name: '张伟', rank: 'staff', clearance: 'SECRET', unit: '办公室' },
    'k-registrar',
  );
  await ok(
    'RegisterPerson',
    { personId: 'p-gm', name: '王总', rank: 'executive', clearance: 'TOP_SECRET', unit: '公司领导' },
    'k-registrar',
  );
  await ok(
    'RegisterPerson',
    { personId: 'p-driver', name: '赵师傅', rank: 'staff', clearance: 'NONE', unit: '车队' },
    'k-registrar',
  );
  await ok('RegisterPlace', { placeId: 'room-1', name: '一号阅文室', kind: 'reading-room' }, 'k-registrar');
  await ok(
    'RegisterReceivedItem',
    {
      itemId: 'doc-1',
      title: ITEM_TITLE,
      level: 'SECRET',
      periodYears: 10,
      basis: '保密事项范围 2.1',
      carrier: 'paper',
      sender: '市国家保密局',
      receivedBy: 'p-zhang',
      scope: { persons: [] },
      copyAllowed: true,
    },
    'k-registrar',
  );
  s.clock.advance(3600_000);
  await ok('RequestCopy', { itemId: 'doc-1', requestId: 'r1', copies: 1 }, 'k-zhang');
  await ok('ApproveCopy', { itemId: 'doc-1', requestId: 'r1' }, 'k-gm');
  await ok('RecordCopy', { itemId: 'doc-1', copyItemId: 'doc-1-c1', requestId: 'r1' }, 'k-zhang');
  s.clock.advance(3600_000);
  await ok('RecordReading', { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' }, 'k-zhang');
  const incidents = await (await get('/api/incidents?itemId=doc-1', 'k-responder')).json();
  const incidentId = incidents.items[0]?.incidentId;
  if (!incidentId) throw new Error(`no incident opened: ${JSON.stringify(incidents)}`);
  return { incidentId, itemId: 'doc-1' };
};
