import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliInProcess } from '../testing/cli-in-process';
import { EXIT } from '../cli-context';

const cli = cliInProcess;

/** The CLI's human output in the reader's language: `--lang`, else LC_ALL / LC_MESSAGES / LANG (contract §8.1). */
describe('the CLI in Chinese and English', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-lang-'));
    const { code } = await cli(['demo', '--items', '3', '--days', '2', '--json', '--data-dir', dir]);
    expect(code).toBe(EXIT.ok);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes history in Chinese with --lang zh-CN, before or after the command', async () => {
    const before = await cli(['--lang', 'zh-CN', 'history', 'doc-0001', '--data-dir', dir]);
    const after = await cli(['history', 'doc-0001', '--data-dir', dir, '--lang', 'zh-CN']);
    expect(before.code).toBe(EXIT.ok);
    expect(after.stdout).toBe(before.stdout);
    expect(before.stdout).toMatch(/（北京时间）/);
    expect(before.stdout).toMatch(/共\d+项记录（按记录顺序）；现在：/);
    expect(before.stdout).toMatch(/校验通过：\d+项记录的哈希可复算且前后衔接/);
    expect(before.stdout).toMatch(/签收|定密/);
    // Codes, ids and stream names stay as they are.
    expect(before.stdout).toContain('item-doc-0001');
  });

  it('follows LANG when --lang is not given, and --lang wins over it', async () => {
    const zh = await cli(['history', 'doc-0001', '--data-dir', dir], { LANG: 'zh_CN.UTF-8' });
    expect(zh.stdout).toMatch(/共\d+项记录/);
    const en = await cli(['history', 'doc-0001', '--data-dir', dir, '--lang', 'en'], { LANG: 'zh_CN.UTF-8' });
    expect(en.stdout).toMatch(/\d+ events \(recorded order\); now: /);
    expect(en.stdout).not.toMatch(/[\u4e00-\u9fff]{2}项/);
    const missing = await cli(['history', 'no-such', '--data-dir', dir], { LC_ALL: 'zh_CN.UTF-8' });
    expect(missing.code).toBe(EXIT.failed);
    expect(missing.stderr).toContain('无载体no-such');
  });

  it('writes verify and demo in Chinese too, and keeps the English lines scripts read', async () => {
    const zh = await cli(['verify', '--data-dir', dir, '--lang', 'zh-CN']);
    expect(zh.code).toBe(EXIT.ok);
    expect(zh.stdout).toMatch(/校验通过：\d+ 个事件、\d+ 条事件流的哈希链与默克尔树全部一致/);
    const en = await cli(['verify', '--data-dir', dir], { LANG: 'C' });
    expect(en.stdout).toMatch(/^ok: \d+ events in \d+ streams verify$/m);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-lang-demo-'));
    try {
      const demo = await cli(['demo', '--items', '3', '--days', '2', '--data-dir', other], { LANG: 'zh_CN.UTF-8' });
      expect(demo.code).toBe(EXIT.ok);
      expect(demo.stdout).toMatch(/条命令载入 \d+ 个事件/);
      expect(demo.stdout).toMatch(/泄密事件 \d+ 起：已报告 \d+ 起/);
      expect(demo.stdout).toMatch(/校验通过/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a language it does not speak as a usage error', async () => {
    const { code, stderr } = await cli(['--lang', 'fr', 'history', 'doc-0001', '--data-dir', dir]);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('zh-CN');
  });
});
