// `npm test` runs this first (the `pretest` script): the browser tests need a Chromium, a CJK font and pdftotext.
// It finds each; when one is missing and this user may install Debian packages (root, apt-get on PATH), it installs
// them non-interactively, saying so; otherwise it stops with one line saying how to get them. What it found is
// written to test-output/browser.json, which the browser tests read (CHROMIUM_PATH, when set, wins there too).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const FOUND_FILE = path.join(ROOT, 'test-output', 'browser.json');
/** Debian's Chromium, where `apt-get install chromium` puts it. */
const FIXED_CHROMIUM = ['/usr/bin/chromium'];
const CHROMIUM_NAMES = ['chromium', 'google-chrome', 'chromium-browser', 'google-chrome-stable'];
/** The font the responder's-desk printout needs (package fonts-noto-cjk). */
const CJK_FONTS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
];

const isExecutable = (file) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The first `name` on `PATH` that is an executable file, or null (what `which` does). */
const which = (name, envPath) => {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
};

/**
 * What is there and what is missing. `fixed` and `fonts` are the absolute paths looked at besides PATH (tests
 * pass their own, so the machine's /usr/bin/chromium cannot make a case pass).
 */
const survey = ({ env = process.env, fixed = FIXED_CHROMIUM, fonts = CJK_FONTS } = {}) => {
  const notes = [];
  let chromium = null;
  if (env.CHROMIUM_PATH) {
    if (isExecutable(env.CHROMIUM_PATH)) chromium = env.CHROMIUM_PATH;
    else notes.push(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file; looking elsewhere`);
  }
  chromium ??= fixed.find(isExecutable) ?? null;
  for (const name of CHROMIUM_NAMES) chromium ??= which(name, env.PATH);
  const cjkFont = fonts.find((f) => fs.existsSync(f)) ?? null;
  const pdftotext = which('pdftotext', env.PATH);
  const missing = [
    ...(chromium ? [] : ['chromium']),
    ...(cjkFont ? [] : ['fonts-noto-cjk']),
    ...(pdftotext ? [] : ['poppler-utils']),
  ];
  return { chromium, cjkFont, pdftotext, missing, notes };
};

/** Root with apt-get on PATH: the only case in which this script installs anything. */
const mayInstall = ({ env = process.env, isRoot = process.getuid?.() === 0 } = {}) =>
  isRoot && which('apt-get', env.PATH) !== null;

/**
 * Runs the pretest: resolves to the exit code (0 ready, 1 something missing that it could not install). `log` gets
 * each line it says; `fixed`, `fonts` and `isRoot` are for tests.
 */
const run = (opts = {}) => {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
  let found = survey({ ...opts, env });
  for (const n of found.notes) log(`pretest: ${n}`);
  if (found.missing.length > 0 && mayInstall({ env, isRoot: opts.isRoot })) {
    const aptGet = which('apt-get', env.PATH);
    log(`pretest: installing ${found.missing.join(', ')} for the browser tests (apt-get install -y, non-interactive)`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    const steps = [
      ['update', '-qq'],
      ['install', '-y', '-qq', '--no-install-recommends', ...found.missing],
    ];
    for (const args of steps) {
      const r = spawnSync(aptGet, args, { env: aptEnv, stdio: ['ignore', 'inherit', 'inherit'] });
      if (r.status !== 0) {
        log(`pretest: apt-get ${args[0]} failed (exit ${r.status}); install ${found.missing.join(' ')} by hand`);
        return 1;
      }
    }
    found = survey({ ...opts, env });
  }
  if (found.missing.length > 0) {
    log(
      `pretest: the browser tests need ${found.missing.join(', ')}: install ${
        found.missing.length === 1 ? 'it' : 'them'
      } (Debian/Ubuntu, as root: apt-get install -y ${found.missing.join(' ')}), or set CHROMIUM_PATH to a Chromium`,
    );
    return 1;
  }
  const out = opts.foundFile ?? FOUND_FILE;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const { chromium, cjkFont, pdftotext } = found;
  fs.writeFileSync(out, JSON.stringify({ chromium, cjkFont, pdftotext }, null, 2) + '\n');
  return 0;
};

module.exports = { run, survey, mayInstall, which, FOUND_FILE };

if (require.main === module) process.exitCode = run();
