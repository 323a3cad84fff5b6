#!/usr/bin/env node
// `npx custody-ledger …` after `npm ci`. The bin lives in this workspace package rather than in the root
// package.json: for a bin of the root package, `npx` installs the project into its own cache as a linked dependency
// to set the bin up, and that install rewrites the project's node_modules (on a worktree whose node_modules is a
// symlink it replaced it). A workspace's bin is linked into node_modules/.bin by `npm ci`, where `npx` runs it as is.
//
// It runs the checkout it is called from (the nearest custody-ledger root above the working directory), else the
// one it was installed in: it builds dist/ first when a source is newer than the last build (the same step
// `npm start` and `npm run cli` take), then runs the compiled CLI.
const fs = require('node:fs');
const path = require('node:path');

const isRoot = (dir) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'custody-ledger';
  } catch {
    return false;
  }
};
const findRoot = () => {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (isRoot(dir)) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
};

const root = findRoot();
require(path.join(root, 'scripts', 'ensure-built.js'));
require(path.join(root, 'scripts', 'register-paths.js'));
const { runCli } = require(path.join(root, 'dist', 'apps', 'ledger-cli', 'src', 'main.js'));

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
