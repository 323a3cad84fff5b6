// Builds dist/ with tsc when any source file is newer than the last build (or there is no build yet).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const root = path.join(__dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');
function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.html')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}
const sources = ['apps', 'libs', 'bench'].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d));
const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'].map(
  (f) => fs.statSync(path.join(root, f)).mtimeMs,
);
if (Math.max(...sources.map(newest), ...configs) > built) {
  process.stderr.write('building (tsc)…\n');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    { stdio: 'inherit', cwd: root },
  );
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, new Date().toISOString());
}
