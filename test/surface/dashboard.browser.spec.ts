import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser } from 'playwright-core';
import { bootSurfaceApp, client, type SurfaceApp } from '../support/test-app';
import { chromiumPath, launchChromium, NO_CHROMIUM } from '../support/browser';

const CHROMIUM = chromiumPath();
// Each run saves its screenshot under test-output/ (ignored by git); docs/dashboard.png is a copy of one, kept for the README.
const SCREENSHOT = path.join(__dirname, '../../test-output/dashboard.png');

/** The dashboard in headless Chromium: key entry, a violation arriving live, an item's timeline, a screenshot. */
describe('the dashboard page', () => {
  let s: SurfaceApp;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(NO_CHROMIUM(CHROMIUM));
    }
    s = await bootSurfaceApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('shows a violation issued through the API live, opens an item timeline, and saves a screenshot', async () => {
    const { post } = client(s.base);
    const ok = async (p: Promise<{ status: number; json(): Promise<unknown> }>) => {
      const res = await p;
      if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(await res.json())}`);
    };
    await ok(
      post(
        'RegisterPerson',
        { data: { personId: 'p-zhang', name: 'Zhang', rank: 'staff', clearance: 'SECRET', unit: 'office' } },
        'k-registrar',
      ),
    );
    await ok(
      post(
        'RegisterPerson',
        { data: { personId: 'p-gm', name: 'Wang', rank: 'executive', clearance: 'TOP_SECRET', unit: 'hq' } },
        'k-registrar',
      ),
    );
    await ok(
      post(
        'RegisterPerson',
        { data: { personId: 'p-driver', name: 'Zhao', rank: 'staff', clearance: 'NONE', unit: 'motor-pool' } },
        'k-registrar',
      ),
    );
    await ok(
      post('RegisterPlace', { data: { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } }, 'k-registrar'),
    );
    await ok(
      post(
        'RegisterReceivedItem',
        {
          data: {
            itemId: 'doc-1',
            title: 'municipal directive No. 7',
            level: 'SECRET',
            periodYears: 10,
            basis: 'catalogue 2.1',
            carrier: 'paper',
            sender: 'bureau',
            receivedBy: 'p-zhang',
            scope: { persons: [] },
            copyAllowed: true,
          },
        },
        'k-registrar',
      ),
    );
    s.clock.advance(3600_000);
    await ok(post('RequestCopy', { data: { itemId: 'doc-1', requestId: 'r1', copies: 1 } }, 'k-zhang'));
    await ok(post('ApproveCopy', { data: { itemId: 'doc-1', requestId: 'r1' } }, 'k-gm'));
    await ok(post('RecordCopy', { data: { itemId: 'doc-1', copyItemId: 'doc-1-c1', requestId: 'r1' } }, 'k-zhang'));
    s.clock.advance(3600_000);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.base + '/');
    await page.fill('#key', 'k-investigator');
    await page.click('#connect');
    await page.waitForSelector('#feed-status.live', { timeout: 5000 });
    expect(await page.textContent('#sev-high')).toBe('0');
    // The key stays in this tab's sessionStorage, never in the URL.
    expect(await page.evaluate("sessionStorage.getItem('custodyLedgerKey')")).toBe('k-investigator');
    expect(page.url()).not.toContain('k-investigator');

    // A fact that breaks a rule, issued through the API: the page learns of it from the live feed.
    await ok(post('RecordReading', { data: { itemId: 'doc-1', reader: 'p-driver', placeId: 'room-1' } }, 'k-zhang'));
    await page.waitForSelector('#violations tr[data-code="OUT_OF_SCOPE_ACCESS"]', { timeout: 5000 });
    await page.waitForFunction("document.getElementById('sev-high')?.textContent === '1'", undefined, {
      timeout: 5000,
    });
    await page.waitForSelector('#incidents td.countdown', { timeout: 5000 });
    expect(await page.textContent('#incidents td.countdown')).toMatch(/^(23h \d\dm \d\ds|24h 00m 00s) left$/);

    await page.fill('#search', 'doc-1');
    await page.click('#search-btn');
    await page.waitForSelector('#results tr[data-item="doc-1"]', { timeout: 5000 });
    expect(await page.textContent('#results tr[data-item="doc-1"]')).toContain('p-zhang');
    await page.click('#results tr[data-item="doc-1"]');
    await page.waitForSelector('#timeline circle.event.violation', { timeout: 5000 });
    expect(await page.locator('#timeline circle.event').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('#timeline rect.custody').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#timeline line.copy-link').count()).toBe(1);

    const started = Date.now();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const stat = fs.statSync(SCREENSHOT);
    expect(stat.size).toBeGreaterThan(10_000);
    expect(stat.mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    expect(errors).toEqual([]);
  }, 30_000);
});
