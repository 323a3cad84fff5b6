import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CARRIERS,
  CHANNELS,
  CLEARANCES,
  INCIDENT_KINDS,
  ITEM_STATUSES,
  LEVELS,
  PLACE_KINDS,
  RANKS,
  REFUSALS,
  SEVERITIES,
  VIOLATION_RULES,
} from '@app/custody';
import {
  CATALOGUES,
  EN_CATALOGUE,
  LANGUAGES,
  ZH_CN_CATALOGUE,
  formatInstant,
  languageFromLocale,
  preferredLanguage,
  summarizeEvent,
  translate,
  type MessageKey,
} from '@app/application';

const flatten = (o: object, prefix = ''): Map<string, string> => {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v as object, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
};

/** The custody library's sources: the codes it can produce are read from them, so a new code without a title fails. */
const custodySource = (): string => {
  const root = path.join(__dirname, '../../../custody/src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) files.push(p);
    }
  };
  walk(root);
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
};

describe('the catalogues', () => {
  const en = flatten(EN_CATALOGUE);
  const zh = flatten(ZH_CN_CATALOGUE);

  it('have the same keys in every language', () => {
    expect([...zh.keys()].filter((k) => !en.has(k))).toEqual([]);
    expect([...en.keys()].filter((k) => !zh.has(k))).toEqual([]);
    expect(en.size).toBeGreaterThan(300);
  });

  it('give every violation code the custody library exports a title in each language', () => {
    for (const lang of LANGUAGES)
      for (const code of Object.keys(VIOLATION_RULES))
        expect([lang, code, flatten(CATALOGUES[lang]).has(`violations.${code}`)]).toEqual([lang, code, true]);
  });

  it('give every event type the custody library defines a summary', () => {
    const types = [...custodySource().matchAll(/DomainEvent<\s*'([A-Za-z]+)'/g)].map((m) => m[1]);
    expect(types.length).toBeGreaterThan(40);
    expect([...new Set(types)].filter((t) => !en.has(`events.${t}`))).toEqual([]);
  });

  it('give every refusal and input-error code of the custody library a title', () => {
    const src = custodySource();
    const codes = new Set([
      ...Object.keys(REFUSALS),
      ...[...src.matchAll(/super\(\s*'([A-Z_]+)'/g)].map((m) => m[1]),
      ...[...src.matchAll(/'(UNKNOWN_[A-Z]+)'/g)].map((m) => m[1]),
      ...[...src.matchAll(/code = '([A-Z_]+)'/g)].map((m) => m[1]),
    ]);
    expect(codes.size).toBeGreaterThan(15);
    expect([...codes].filter((c) => !en.has(`problems.${c}`))).toEqual([]);
  });

  it('label every value of the closed vocabularies', () => {
    const groups: [string, readonly string[]][] = [
      ['levels', LEVELS],
      ['clearances', CLEARANCES],
      ['ranks', RANKS],
      ['itemStatuses', ITEM_STATUSES],
      ['placeKinds', PLACE_KINDS],
      ['carriers', CARRIERS],
      ['channels', CHANNELS],
      ['severities', SEVERITIES],
      ['incidentKinds', INCIDENT_KINDS],
    ];
    const missing = groups.flatMap(([g, values]) => values.filter((v) => !en.has(`${g}.${v}`)).map((v) => `${g}.${v}`));
    expect(missing).toEqual([]);
  });

  it('write Chinese in zh-CN, not English left untranslated', () => {
    const cjk = /[\u4e00-\u9fff]/;
    const words = (v: string): string => {
      let out = v;
      for (let prev = ''; prev !== out;) [prev, out] = [out, out.replace(/\{[^{}]*\}/g, '')];
      return out;
    };
    // Text left once the placeholders are gone must be Chinese, not English words.
    const untranslated = [...zh].filter(([, v]) => /[A-Za-z]{3,}/.test(words(v)) && !cjk.test(v));
    expect(untranslated).toEqual([]);
  });

  it('use the terms of the seeds for the rules they come from', () => {
    const text = [...zh.values()].join('\n');
    for (const term of [
      '知悉范围',
      '签收',
      '交接',
      '清查',
      '监销',
      '脱密期',
      '泄密事件',
      '一事一报',
      '绝密',
      '机密',
      '秘密',
    ])
      expect([term, text.includes(term)]).toEqual([term, true]);
    expect(translate('zh-CN', 'levels.TOP_SECRET')).toBe('绝密');
    expect(translate('zh-CN', 'violations.DESTRUCTION_WITNESSES_LT2')).toContain('监销');
  });

  it('format every message in every language (ICU parses, plurals count)', () => {
    for (const lang of LANGUAGES)
      for (const key of en.keys()) {
        const out = translate(lang, key as MessageKey, { count: 2, copies: 2, quantity: 3, originals: 1 });
        expect([key, /\{\w+(,|\})/.test(out)]).toEqual([key, false]);
      }
    expect(translate('en', 'report.resolved', { count: 1 })).toBe('1 violation already resolved.');
    expect(translate('en', 'report.resolved', { count: 3 })).toBe('3 violations already resolved.');
    expect(translate('zh-CN', 'report.resolved', { count: 3 })).toBe('已处理违规3项。');
  });
});

describe('event summaries', () => {
  const lookups = {
    personName: (id: string) => (id === 'p-zhang' ? '张伟' : null),
    place: (id: string) => (id === 'room-1' ? { name: '一号阅文室', kind: 'reading-room' } : null),
  };

  it('put persons, places and vocabularies in words of the language', () => {
    const read = { type: 'ItemRead', data: { itemId: 'doc-1', reader: 'p-zhang', placeId: 'room-1' } };
    expect(summarizeEvent('zh-CN', read, lookups)).toBe('张伟（p-zhang）在一号阅文室（阅文室）阅读');
    expect(summarizeEvent('en', read, lookups)).toBe('read by 张伟 [p-zhang] at 一号阅文室 (Reading room)');
    const sent = { type: 'ItemDispatched', data: { itemId: 'doc-1', to: 'bureau', channel: 'email', couriers: [] } };
    expect(summarizeEvent('zh-CN', sent, lookups)).toBe('经电子邮件发往bureau');
    const copy = { type: 'CopyRequested', data: { itemId: 'd', requestId: 'r1', copies: 1, requestedBy: 'p-x' } };
    expect(summarizeEvent('en', copy)).toBe('1 copy requested by p-x (request r1)');
    const outsider = {
      type: 'ItemRead',
      data: { itemId: 'd', outsider: { name: '王五', affiliation: '饭店' }, placeId: 'x' },
    };
    expect(summarizeEvent('zh-CN', outsider)).toBe('王五 (饭店)在x阅读');
  });

  it('summarize every event type without a placeholder left over, even with no data', () => {
    for (const lang of LANGUAGES)
      for (const type of Object.keys(EN_CATALOGUE.events)) {
        const out = summarizeEvent(lang, { type, data: {} });
        expect([type, out.includes('{')]).toEqual([type, false]);
      }
  });
});

describe('choosing a language', () => {
  it('reads Accept-Language by preference, zh and zh-Hans meaning zh-CN', () => {
    expect(preferredLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(preferredLanguage('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(preferredLanguage('fr, zh-Hans-CN;q=0.5')).toBe('zh-CN');
    expect(preferredLanguage('en;q=0.2, zh;q=0.7')).toBe('zh-CN');
    expect(preferredLanguage('fr')).toBeUndefined();
    expect(preferredLanguage(undefined)).toBeUndefined();
  });

  it('dates Chinese text in 北京时间 and English in UTC', () => {
    expect(formatInstant('zh-CN', '2026-03-02T17:30:00Z')).toBe('2026年3月3日 01:30（北京时间）');
    expect(formatInstant('en', '2026-03-02T17:30:00Z')).toBe('2026-03-02 17:30 UTC');
  });

  it('reads the POSIX locale for the CLI', () => {
    expect(languageFromLocale(undefined, 'zh_CN.UTF-8')).toBe('zh-CN');
    expect(languageFromLocale('en', 'zh_CN.UTF-8')).toBe('en');
    expect(languageFromLocale('C', 'C.UTF-8')).toBe('en');
  });
});
