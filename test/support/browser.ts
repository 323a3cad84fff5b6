/** Where the browser tests find Chromium: CHROMIUM_PATH, else what `npm test`'s pretest found, else Debian's. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const FOUND_FILE = path.join(__dirname, '..', '..', 'test-output', 'browser.json');

export const chromiumPath = (): string => {
  if (process.env.CHROMIUM_PATH && fs.existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  try {
    const found = JSON.parse(fs.readFileSync(FOUND_FILE, 'utf8')) as { chromium?: string };
    if (found.chromium && fs.existsSync(found.chromium)) return found.chromium;
  } catch {
    // No pretest run (a single spec started by hand): Debian's path.
  }
  return '/usr/bin/chromium';
};

/** The one line a browser test fails with when there is no Chromium. */
export const NO_CHROMIUM = (where: string): string =>
  `${where} is missing: run npm test (its pretest finds or installs Chromium), set CHROMIUM_PATH, ` +
  'or apt-get install -y chromium';

/**
 * Headless Chromium as every browser test runs it: Debian's build through playwright-core (never a downloaded one),
 * no sandbox (CI containers run as root), nothing that reaches the network on its own.
 */
export const launchChromium = (): Promise<Browser> => {
  const executablePath = chromiumPath();
  if (!fs.existsSync(executablePath)) throw new Error(NO_CHROMIUM(executablePath));
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
};
