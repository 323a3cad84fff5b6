import type { RecordedEvent } from '@app/ledger';
import type { ViolationDetectedData } from '@app/custody';
import { openReadModelDb, type Db } from '../db/read-model-db';
import { violationsProjection } from './violations.projection';
import { ViolationQueries } from './violations.queries';

const detected: ViolationDetectedData = {
  violationId: 'c-1:OUT_OF_SCOPE_ACCESS:doc-1',
  code: 'OUT_OF_SCOPE_ACCESS',
  severity: 'high',
  itemId: 'doc-1',
  personId: 'p-9',
  source: '002_c292fe519fc09962.txt 第9条 (知晓范围)',
  detail: 'read by p-9 (not-in-scope) at 2026-03-02T01:50:36.000Z',
  at: '2026-03-02T01:50:36.000Z',
  incidentId: 'inc-1',
};

const event = {
  eventId: '843e1066-21e2-50cb-99fc-b9ae24e47cfb',
  streamId: 'item-doc-1',
  revision: 4,
  position: 37,
  type: 'ViolationDetected',
  data: detected,
  metadata: { occurredAt: detected.at, recordedAt: '2026-03-02T01:51:05.000Z', actor: 'p-0' },
} as unknown as RecordedEvent;

describe('the violations projection', () => {
  let db: Db;
  beforeEach(() => (db = openReadModelDb(':memory:')));
  afterEach(() => db.close());

  it('answers every field of a violation while its row keeps only the source and the detail as JSON', () => {
    violationsProjection.apply(db, event);
    expect(new ViolationQueries(db).get(detected.violationId)).toEqual({
      violationId: detected.violationId,
      code: 'OUT_OF_SCOPE_ACCESS',
      severity: 'high',
      itemId: 'doc-1',
      personId: 'p-9',
      at: detected.at,
      recordedAt: '2026-03-02T01:51:05.000Z',
      status: 'open',
      resolvedAt: null,
      resolvedBy: null,
      resolutionNote: null,
      incidentId: 'inc-1',
      streamId: 'item-doc-1',
      position: 37,
      source: detected.source,
      detail: detected.detail,
    });
    const row = db.prepare(`SELECT data FROM violations`).get() as { data: string };
    expect(JSON.parse(row.data)).toEqual({ source: detected.source, detail: detected.detail });
  });

  it('reads a row written with the whole event data (a file of the same schema from before) the same way', () => {
    violationsProjection.apply(db, event);
    const slim = new ViolationQueries(db).get(detected.violationId);
    db.prepare(`UPDATE violations SET data = ?`).run(JSON.stringify(detected));
    expect(new ViolationQueries(db).get(detected.violationId)).toEqual(slim);
  });
});
