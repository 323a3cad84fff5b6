import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The pretest is plain JavaScript (it runs before anything is built); its functions take the paths they look at.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script without type declarations
const pretest = require('../../scripts/pretest.js') as {
  run(opts: {
    env: Record<string, string | undefined>;
    fixed?: string[];
    fonts?: string[];
    isRoot?: boolean;
    log?: (line: string) => void;
    foundFile?: string;
  }): number;
};

/** A fake PATH directory holding only the given executables (shell scripts). */
const fakeBin = (dir: string, scripts: Record<string, string>): string => {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    fs.chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
};

describe('pretest: finds or installs what the browser tests need', () => {
  let dir: string;
  let lines: string[];
  const log = (l: string) => void lines.push(l);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pretest-'));
    lines = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('with no browser and no apt-get on PATH, stops with one line saying how to get them', () => {
    const bin = fakeBin(dir, {});
    const code = pretest.run({
      env: { PATH: bin, CHROMIUM_PATH: path.join(dir, 'nowhere') },
      fixed: [path.join(dir, 'usr-bin-chromium')],
      fonts: [path.join(dir, 'no-font.ttc')],
      isRoot: true,
      log,
      foundFile: path.join(dir, 'browser.json'),
    });
    expect(code).toBe(1);
    expect(lines).toEqual([
      `pretest: CHROMIUM_PATH=${path.join(dir, 'nowhere')} is not an executable file; looking elsewhere`,
      'pretest: the browser tests need chromium, fonts-noto-cjk, poppler-utils: install them (Debian/Ubuntu, as ' +
        'root: apt-get install -y chromium fonts-noto-cjk poppler-utils), or set CHROMIUM_PATH to a Chromium',
    ]);
    expect(fs.existsSync(path.join(dir, 'browser.json'))).toBe(false);
  });

  it('does not install as a user who is not root, even with apt-get on PATH', () => {
    const marker = path.join(dir, 'apt-get-ran');
    const bin = fakeBin(dir, { 'apt-get': `touch ${marker}` });
    const code = pretest.run({ env: { PATH: bin }, fixed: [], fonts: [], isRoot: false, log });
    expect(code).toBe(1);
    expect(fs.existsSync(marker)).toBe(false);
    expect(lines.at(-1)).toContain('apt-get install -y chromium fonts-noto-cjk poppler-utils');
  });

  it('finds chromium or google-chrome on PATH and writes what it found for the browser tests', () => {
    const font = path.join(dir, 'NotoSansCJK-Regular.ttc');
    fs.writeFileSync(font, '');
    const bin = fakeBin(dir, { 'google-chrome': 'exit 0', pdftotext: 'exit 0' });
    const foundFile = path.join(dir, 'browser.json');
    expect(pretest.run({ env: { PATH: bin }, fixed: [], fonts: [font], isRoot: false, log, foundFile })).toBe(0);
    expect(JSON.parse(fs.readFileSync(foundFile, 'utf8'))).toEqual({
      chromium: path.join(bin, 'google-chrome'),
      cjkFont: font,
      pdftotext: path.join(bin, 'pdftotext'),
    });
    expect(lines).toEqual([]);
  });

  it('CHROMIUM_PATH wins over everything else', () => {
    const font = path.join(dir, 'font.ttc');
    fs.writeFileSync(font, '');
    const own = fakeBin(path.join(dir, 'own'), { 'my-chrome': 'exit 0' });
    const bin = fakeBin(dir, { chromium: 'exit 0', pdftotext: 'exit 0' });
    const foundFile = path.join(dir, 'browser.json');
    const env = { PATH: bin, CHROMIUM_PATH: path.join(own, 'my-chrome') };
    expect(pretest.run({ env, fixed: [], fonts: [font], log, foundFile })).toBe(0);
    expect(JSON.parse(fs.readFileSync(foundFile, 'utf8')).chromium).toBe(path.join(own, 'my-chrome'));
  });

  it('as root with apt-get, installs only what is missing, non-interactively, and says so', () => {
    const font = path.join(dir, 'fonts', 'NotoSansCJK-Regular.ttc');
    const calls = path.join(dir, 'apt-calls');
    // A fake apt-get: records how it was called; `install` puts a chromium and the font where pretest looks.
    const bin = fakeBin(dir, {
      'apt-get': [
        'PATH=/usr/bin:/bin # the fake PATH has none of the tools this fake needs',
        `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> ${calls}`,
        'if [ "$1" = install ]; then',
        `  printf '#!/bin/sh\\nexit 0\\n' > ${path.join(dir, 'bin', 'chromium')}; chmod 755 ${path.join(dir, 'bin', 'chromium')}`,
        `  mkdir -p ${path.dirname(font)}; touch ${font}`,
        'fi',
      ].join('\n'),
      pdftotext: 'exit 0',
    });
    const foundFile = path.join(dir, 'browser.json');
    expect(pretest.run({ env: { PATH: bin }, fixed: [], fonts: [font], isRoot: true, log, foundFile })).toBe(0);
    expect(lines).toEqual([
      'pretest: installing chromium, fonts-noto-cjk for the browser tests (apt-get install -y, non-interactive)',
    ]);
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      'DEBIAN_FRONTEND=noninteractive update -qq',
      'DEBIAN_FRONTEND=noninteractive install -y -qq --no-install-recommends chromium fonts-noto-cjk',
    ]);
    expect(JSON.parse(fs.readFileSync(foundFile, 'utf8')).chromium).toBe(path.join(bin, 'chromium'));
  });

  it('says so in one line when apt-get fails', () => {
    const bin = fakeBin(dir, { 'apt-get': 'exit 100' });
    expect(pretest.run({ env: { PATH: bin }, fixed: [], fonts: [], isRoot: true, log })).toBe(1);
    expect(lines.at(-1)).toBe(
      'pretest: apt-get update failed (exit 100); install chromium fonts-noto-cjk poppler-utils by hand',
    );
  });
});
