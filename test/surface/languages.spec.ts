import { bootSurfaceApp, client, type JsonResponse, type SurfaceApp } from '../support/test-app';
import { ITEM_TITLE, recordLeak, type LeakFixture } from '../support/incident-fixture';

const CJK = /[\u4e00-\u9fff]/;

/** `?lang=` and `Accept-Language` on the JSON routes that return text (contract §8.1); codes and field names stay. */
describe('languages on the JSON routes', () => {
  let s: SurfaceApp;
  let leak: LeakFixture;
  const get = (p: string, headers: Record<string, string> = {}, key = 'k-responder'): Promise<JsonResponse> =>
    fetch(s.base + p, { headers: { authorization: `Bearer ${key}`, ...headers } });

  beforeAll(async () => {
    s = await bootSurfaceApp();
    leak = await recordLeak(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('writes the report draft in Chinese with ?lang=zh-CN, and in English without', async () => {
    const zh = await get(
      `/api/incidents/${leak.incidentId}/report-draft?lang=zh-CN&to=${encodeURIComponent('市国家保密局')}`,
    );
    expect(zh.status).toBe(200);
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    const d = await zh.json();
    expect(d.content.text).toContain(ITEM_TITLE);
    expect(d.content.text).toContain('机密');
    expect(d.content.text).toContain('纸介质');
    expect(d.discovery.text).toContain('发现：doc-1知悉范围以外人员知悉。');
    expect(d.responsible.text).toContain('张伟（p-zhang）');
    expect(d.course.text).toContain('赵师傅（p-driver）在一号阅文室（阅文室）阅读');
    expect(d.harm.text).toContain('知悉范围以外');
    expect(d.investigation.text).toContain('正在查处');
    expect(d.remedialMeasures.text).toBe('尚未记录补救措施。');
    // What is submitted is the text shown; the codes and field names do not change.
    expect(d.submission.data.harm).toBe(d.harm.text);
    expect(d.kind).toBe('leak');
    expect(Object.keys(d.submission.data).sort()).toEqual(
      [
        'content',
        'course',
        'discovery',
        'harm',
        'incidentId',
        'investigation',
        'remedialMeasures',
        'responsible',
        'to',
      ].sort(),
    );

    const en = await (await get(`/api/incidents/${leak.incidentId}/report-draft`)).json();
    expect(en.content.text).not.toMatch(/机密|纸介质/);
    expect(en.discovery.text).toContain('OUT_OF_SCOPE_ACCESS');
  });

  it('follows Accept-Language when no ?lang is given, and ?lang wins over it', async () => {
    const zh = await get(`/api/incidents/${leak.incidentId}`, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    const body = await zh.json();
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    expect(body.labels).toEqual({ kind: '泄密事件', status: '待报告' });
    expect(body.kind).toBe('leak');
    expect(body.causes[0].title).toBe('知悉范围以外人员知悉');
    const en = await (await get(`/api/incidents/${leak.incidentId}?lang=en`, { 'accept-language': 'zh-CN' })).json();
    expect(en.labels).toEqual({ kind: 'Leak', status: 'Open' });
  });

  it('titles violations and labels their severity', async () => {
    const zh = await (await get('/api/violations?itemId=doc-1&lang=zh-CN')).json();
    const v = zh.items.find((x: { code: string }) => x.code === 'OUT_OF_SCOPE_ACCESS');
    expect(v.title).toBe('知悉范围以外人员知悉');
    expect(v.labels.severity).toBe('较重');
    expect(v.severity).toBe('high');
  });

  it('summarizes each history event in the asked language', async () => {
    const h = await (await get('/api/items/doc-1/history?copies=true&lang=zh-CN', {}, 'k-investigator')).json();
    const read = h.events.find((e: { type: string }) => e.type === 'ItemRead');
    expect(read.summary).toBe('赵师傅（p-driver）在一号阅文室（阅文室）阅读');
    expect(read.violations[0].title).toBe('知悉范围以外人员知悉');
    const received = h.events.find((e: { type: string }) => e.type === 'ItemReceived');
    expect(received.summary).toContain(`《${ITEM_TITLE}》，机密，纸介质`);
    const en = await (await get('/api/items/doc-1/history', { 'accept-language': 'en-GB' }, 'k-investigator')).json();
    expect(en.events.find((e: { type: string }) => e.type === 'ItemRead').summary).toBe(
      'read by 赵师傅 [p-driver] at 一号阅文室 (Reading room)',
    );
    const item = await (await get('/api/items/doc-1?lang=zh-CN', {}, 'k-investigator')).json();
    expect(item.labels).toEqual({ level: '机密', status: '在管', carrier: '纸介质' });
  });

  it('titles problems in the client language, keeping the code', async () => {
    const res = await get('/api/incidents/nope?lang=zh-CN');
    expect(res.status).toBe(404);
    const p = await res.json();
    expect(p.code).toBe('UNKNOWN_INCIDENT');
    expect(p.title).toBe('事件不存在');
    const refused = await client(s.base).post(
      'SubmitIncidentReport',
      { data: { incidentId: leak.incidentId } },
      'k-responder',
    );
    expect(refused.status).toBe(400);
    const enTitle = (await refused.json()).title;
    const zhRes: JsonResponse = await fetch(`${s.base}/api/commands/SubmitIncidentReport`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k-responder', 'accept-language': 'zh' },
      body: JSON.stringify({ data: { incidentId: leak.incidentId } }),
    });
    const zhP = await zhRes.json();
    expect(zhP.code).not.toBe('');
    expect(zhP.title).toMatch(CJK);
    expect(zhP.title).not.toBe(enTitle);
  });

  it('answers a language it does not speak with a 400 naming query.lang', async () => {
    const res = await get(`/api/incidents/${leak.incidentId}?lang=fr`);
    expect(res.status).toBe(400);
    const p = await res.json();
    expect(p.errors).toEqual([{ field: 'query.lang', reason: 'must be one of: zh-CN, en' }]);
  });
});
