import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { bootSurfaceApp, client, type SurfaceApp } from '../support/test-app';
import { ITEM_TITLE, recordLeak, type LeakFixture } from '../support/incident-fixture';
import { chromiumPath, launchChromium } from '../support/browser';

const CHROMIUM = chromiumPath();
// Each run saves its screenshots and the PDF under test-output/ (ignored by git); docs/responder-desk.png is a copy.
const OUT = path.join(__dirname, '../../test-output');
const NUMERALS = ['一、', '二、', '三、', '四、', '五、', '六、', '七、'];

/**
 * The responder's desk in headless Chromium, for a responder who reads only Chinese (contract §8.1, issue 15): sees the
 * new incident, understands its causes and exposure, records a remedial action, fills and submits the report (an
 * error shown next to the field it names first), prints it to PDF and finds the seven parts and the item's title in
 * the PDF's text; the Chinese is drawn with a real CJK font. Elements are found by role and label.
 */
describe("the responder's desk", () => {
  let s: SurfaceApp;
  let browser: Browser;
  let leak: LeakFixture;

  beforeAll(async () => {
    for (const [file, what] of [
      [
        CHROMIUM,
        'run npm test (its pretest finds or installs Chromium), set CHROMIUM_PATH, or apt-get install -y chromium',
      ],
      ['/usr/bin/pdftotext', 'apt-get install -y poppler-utils'],
    ])
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${what} — the desk test needs it`);
    const cjk = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
    if (!/Noto (Sans|Serif) CJK/.test(cjk)) throw new Error('no CJK font: apt-get install -y fonts-noto-cjk');
    fs.mkdirSync(OUT, { recursive: true });
    s = await bootSurfaceApp();
    leak = await recordLeak(s);
    // Two more copy requests, not yet decided: the approvals list shows them.
    for (const [requestId, copies] of [
      ['r2', 2],
      ['r3', 1],
    ] as const) {
      const res = await client(s.base).post('RequestCopy', { data: { itemId: 'doc-1', requestId, copies } }, 'k-zhang');
      expect(res.status).toBe(200);
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const chinesePage = async (): Promise<{ page: Page; errors: string[] }> => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors };
  };
  const connect = async (page: Page, key: string) => {
    await page.goto(s.base + '/');
    await page.getByLabel('API 密钥').fill(key);
    await page.getByRole('button', { name: '连接' }).click();
  };

  it('takes a Chinese-reading responder from a new incident to a submitted, printed report', async () => {
    const { page, errors } = await chinesePage();
    await connect(page, 'k-responder');

    // The new incident, in Chinese, with its countdown.
    const incidents = page.getByRole('table', { name: /泄密事件/ });
    await incidents.getByRole('link', { name: leak.incidentId }).waitFor({ timeout: 10_000 });
    expect(await incidents.textContent()).toContain('泄密事件');
    await incidents.getByRole('link', { name: leak.incidentId }).click();

    // The desk: heading, both countdowns, causes with item and person, exposure flagged outside scope.
    await page.getByRole('heading', { name: `泄密事件\u3000${leak.incidentId}` }).waitFor({ timeout: 10_000 });
    const timers = page.getByRole('timer');
    expect(await timers.count()).toBe(2);
    expect(await timers.first().textContent()).toMatch(/^剩余(23小时\d\d分\d\d秒|24小时00分00秒)$/);
    expect(await timers.nth(1).textContent()).toMatch(/^剩余\d+天\d+小时$/);
    const causes = page.getByRole('table', { name: '事由' });
    const causeText = await causes.textContent();
    expect(causeText).toContain('知悉范围以外人员知悉');
    expect(causeText).toContain(ITEM_TITLE);
    expect(causeText).toContain('赵师傅（p-driver）');
    const exposure = page.getByRole('table', { name: '接触范围' });
    const driverRow = exposure.getByRole('row').filter({ hasText: '赵师傅' });
    expect(await driverRow.count()).toBe(1);
    expect(await driverRow.textContent()).toContain('知悉范围以外');
    expect(await driverRow.textContent()).toContain('一号阅文室');

    // A remedial action: recorded, listed, and the draft's seventh part refilled from the ledger.
    const action = '已收回该文件，对驾驶员进行保密教育并签订保密承诺书';
    await page.getByLabel('新的补救措施').fill(action);
    await page.getByRole('button', { name: '记录补救措施' }).click();
    await page.getByRole('listitem').filter({ hasText: action }).waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('七、已经或者拟采取的补救措施').inputValue()).toContain(action);

    // The draft's parts are filled from the ledger, in Chinese.
    expect(await page.getByLabel('一、被泄露国家秘密的内容、密级、数量及其载体形式').inputValue()).toContain(
      `《${ITEM_TITLE}》，机密，纸介质`,
    );
    expect(await page.getByLabel('五、事件造成或者可能造成的危害').inputValue()).toContain('赵师傅（p-driver）');

    // Submitting without the supervising office: the error is shown next to that field, nothing is sent.
    await page.getByRole('button', { name: '报送报告' }).click();
    const to = page.getByRole('textbox', { name: '上级保密工作部门', exact: true });
    expect(await to.getAttribute('aria-invalid')).toBe('true');
    const described = await to.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${described}"]`).textContent()).toBe('必填');
    expect((await (await client(s.base).get(`/api/incidents/${leak.incidentId}`)).json()).reportedAt).toBeNull();

    // The responder edits a part and submits; the report is then shown read-only, on time.
    await to.fill('市国家保密局');
    const investigation = page.getByLabel('六、已进行的查处工作情况');
    await investigation.fill((await investigation.inputValue()) + '\n已约谈当事人，正在核查。');
    // Switching language rewrites the page from what it has: no request is made. The page refreshes itself from
    // the live feed (the remedial action, a checkpoint signed on the timer): wait until it has been quiet for a
    // second, so a refresh the feed started earlier is not mistaken for one the switch made.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    for (let seen = -1, quietSince = Date.now(); Date.now() - quietSince < 1000; await page.waitForTimeout(100)) {
      if (requests.length !== seen) [seen, quietSince] = [requests.length, Date.now()];
    }
    requests.length = 0;
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: `Leak ${leak.incidentId}` }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Supervising secrecy office', exact: true }).inputValue()).toBe(
      '市国家保密局',
    );
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: `泄密事件\u3000${leak.incidentId}` }).waitFor();
    expect(requests).toEqual([]);
    expect(await page.getByLabel('六、已进行的查处工作情况').inputValue()).toContain('已约谈当事人，正在核查。');

    await page.getByRole('button', { name: '报送报告' }).click();
    await page.getByText(/^已于.+报送，在24小时时限内$/).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: '报送报告' }).count()).toBe(0);
    const stored = await (await client(s.base).get(`/api/incidents/${leak.incidentId}`)).json();
    expect(stored.reportedAt).not.toBeNull();
    expect(stored.report.to).toBe('市国家保密局');
    expect(stored.report.investigation).toContain('已约谈当事人，正在核查。');
    expect(stored.report.remedialMeasures).toContain(action);
    expect(await timers.first().textContent()).toBe('已报告');
    await page.screenshot({ path: path.join(OUT, 'responder-desk.png'), fullPage: true });

    // The Chinese is drawn with a real CJK font: distinct glyphs, each unlike the missing-glyph box, with ink.
    await checkCjkGlyphs(page);

    // The printable report, in the same tab (the key stays in this tab, never in the address).
    await page.getByRole('link', { name: '打印报告' }).click();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 10_000 });
    expect(page.url()).toBe(`${s.base}/incidents/${encodeURIComponent(leak.incidentId)}/report?lang=zh-CN`);
    expect(page.url()).not.toContain('k-responder');
    await page.getByRole('heading', { level: 1, name: /关于办公室发生泄密事件的报告/ }).waitFor();
    await page.screenshot({ path: path.join(OUT, 'incident-report.png'), fullPage: true });
    const pdfFile = path.join(OUT, 'incident-report.pdf');
    await page.pdf({ path: pdfFile, format: 'A4', printBackground: true });
    const text = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
    // Lines wrap where the page ends them: long phrases are looked for in the text without its line breaks.
    const flat = text.replace(/\s+/g, '');
    for (const n of NUMERALS) expect([n, text.includes(n)]).toEqual([n, true]);
    expect(text).toContain('被泄露国家秘密的内容、密级、数量及其载体形式');
    expect(text).toContain('已经或者拟采取的补救措施');
    expect(flat).toContain(`《${ITEM_TITLE}》`);
    expect(text).toContain('市国家保密局：');
    expect(text).toMatch(/发现时间：2026年3月2日 \d\d:\d\d（北京时间）/);
    expect(text).toMatch(/报告时间：2026年3月\d+日 \d\d:\d\d（北京时间）（在24小时内报送）/);
    expect(text).toContain('第1页');
    expect(flat).toContain(action);
    expect(errors).toEqual([]);
  }, 90_000);

  it('lets an approver approve one pending copy request and refuse another, with a reason, from the keyboard', async () => {
    const { page, errors } = await chinesePage();
    await connect(page, 'k-gm');
    const list = page.getByRole('table', { name: '待审批事项' });
    const approve = list.getByRole('button', { name: `批准: 复印doc-1共2份 — ${ITEM_TITLE}`, exact: true });
    await approve.waitFor({ timeout: 10_000 });
    await approve.focus();
    await page.keyboard.press('Enter');
    await approve.waitFor({ state: 'detached', timeout: 10_000 });
    // A refusal needs its reason: without one nothing is sent and the reason field is marked.
    const subject = `复印doc-1共1份 — ${ITEM_TITLE}`;
    await list.getByRole('button', { name: `不予批准: ${subject}`, exact: true }).click();
    const reason = list.getByRole('textbox', { name: `不予批准的理由: ${subject}`, exact: true });
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    await reason.fill('无工作需要，不予复印');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await list.getByText('无待审批事项').waitFor({ timeout: 10_000 });
    const h = await (await client(s.base).get('/api/items/doc-1/history?lang=zh-CN', 'k-investigator')).json();
    const approved = h.events.filter(
      (e: { type: string; data: { requestId: string } }) => e.type === 'CopyApproved' && e.data.requestId === 'r2',
    );
    expect(approved).toHaveLength(1);
    expect(approved[0].actor).toBe('p-gm');
    const refused = h.events.filter((e: { type: string }) => e.type === 'CopyRefused');
    expect(refused.map((e: { data: unknown }) => e.data)).toEqual([
      expect.objectContaining({ requestId: 'r3', refusedBy: 'p-gm', reason: '无工作需要，不予复印' }),
    ]);
    expect(refused[0].summary).toBe('王总（p-gm）不予批准复印申请r3：无工作需要，不予复印');
    expect(errors).toEqual([]);
  }, 60_000);
});

/**
 * Non-tofu check on screenshots: four different characters, drawn by the page's own font stack, must give four
 * different images, none equal to the missing-glyph box (a private-use code point no font draws), each with ink.
 * Missing CJK fonts draw the same box for every character, so they fail this.
 */
const checkCjkGlyphs = async (page: Page): Promise<void> => {
  const chars = ['泄', '密', '报', '告', '\ue000'];
  // Browser-side code as text: this file is compiled without the DOM library.
  await page.evaluate(`(() => {
    const box = document.createElement('div');
    box.id = 'glyph-probe';
    box.setAttribute('aria-hidden', 'true');
    box.innerHTML = ${JSON.stringify(chars)}
      .map((c, i) => '<span id="glyph-' + i + '" style="display:inline-block;font-size:48px;line-height:1;padding:4px;background:#fff;color:#000">' + c + '</span>')
      .join('');
    document.body.appendChild(box);
  })()`);
  const shots: Buffer[] = [];
  for (let i = 0; i < chars.length; i++) shots.push(await page.locator(`#glyph-${i}`).screenshot());
  const [tofu, ...glyphs] = [shots[4], ...shots.slice(0, 4)];
  for (let i = 0; i < glyphs.length; i++) {
    expect(glyphs[i].equals(tofu)).toBe(false);
    for (let j = i + 1; j < glyphs.length; j++) expect(glyphs[i].equals(glyphs[j])).toBe(false);
  }
  // Decode the screenshots in the browser (no PNG decoder needed here) and measure the share of dark pixels.
  const ink = await page.evaluate<number[]>(`(async (pngs) => {
    const out = [];
    for (const b64 of pngs) {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let k = 0; k < px.length; k += 4) if (px[k] + px[k + 1] + px[k + 2] < 200) dark++;
      out.push(dark / (c.width * c.height));
    }
    return out;
  })(${JSON.stringify(glyphs.map((b) => b.toString('base64')))})`);
  expect(ink).toHaveLength(4);
  for (const share of ink) expect(share).toBeGreaterThan(0.03);
  await page.evaluate(`document.getElementById('glyph-probe').remove()`);
};
