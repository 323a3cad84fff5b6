/**
 * Languages (contract §8.1): one catalogue per language, one translate function for the API, the CLI and the
 * dashboard (which gets the catalogues as JSON). i18next does the lookup and fallback; i18next-icu formats the ICU
 * messages (plurals where counts appear, selects for the optional parts of a summary). Codes, ids and field names are
 * never translated: only the words a person reads.
 */
import i18next, { type i18n } from 'i18next';
import ICU from 'i18next-icu';
import { en, type Catalogue, type MessageKey } from './catalogue.en';
import { zhCN } from './catalogue.zh-cn';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
/** Where nothing says otherwise (no `?lang`, no `Accept-Language`, no `LANG`): the v1 language, so old clients read on. */
export const DEFAULT_LANG: Lang = 'en';

export const CATALOGUES: Record<Lang, Catalogue> = { 'zh-CN': zhCN, en };

export const isLang = (v: unknown): v is Lang => typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);

let instance: i18n | undefined;
const i18 = (): i18n => {
  if (instance) return instance;
  const inst = i18next.createInstance();
  void inst.use(ICU).init({
    initAsync: false,
    showSupportNotice: false,
    lng: DEFAULT_LANG,
    // A missing key must show, not silently fall back to the other language: the catalogue test keeps them equal.
    fallbackLng: false,
    supportedLngs: [...LANGUAGES],
    // 'zh-CN' as given, not folded to 'zh'.
    load: 'currentOnly',
    lowerCaseLng: false,
    returnNull: false,
    interpolation: { escapeValue: false },
    resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: CATALOGUES[l] }])),
  });
  instance = inst;
  return inst;
};

export type MessageVars = Record<string, string | number>;

const rawMessage = (lang: Lang, key: string): string | undefined => {
  let node: unknown = CATALOGUES[lang];
  for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return typeof node === 'string' ? node : undefined;
};

/**
 * A variable the caller did not give must not leave the whole message unformatted (intl-messageformat then returns
 * the raw pattern): a missing select reads `none` (its optional part is left out), a missing count 0, the rest ''.
 */
const withDefaults = (message: string | undefined, vars: MessageVars): MessageVars => {
  if (!message) return vars;
  const out: MessageVars = { ...vars };
  for (const m of message.matchAll(/\{(\w+)(?:\s*,\s*(select|plural))?/g)) {
    if (out[m[1]] !== undefined) continue;
    out[m[1]] = m[2] === 'select' ? 'none' : m[2] === 'plural' ? 0 : '';
  }
  return out;
};

/** The message `key` in `lang`, with `vars` put in. */
export const translate = (lang: Lang, key: MessageKey, vars: MessageVars = {}): string =>
  i18().t(key, { ...withDefaults(rawMessage(lang, key), vars), lng: lang });

/** A translator bound to one language. */
export type Translator = (key: MessageKey, vars?: MessageVars) => string;
export const translator =
  (lang: Lang): Translator =>
  (key, vars) =>
    translate(lang, key, vars);

/**
 * The label of a code in a closed vocabulary (`levels`, `ranks`, `violations`, …); an unknown code reads as itself,
 * so a value written by a newer version still shows.
 */
export const labelOf = (lang: Lang, group: keyof Catalogue, code: string | null | undefined): string => {
  if (code === null || code === undefined || code === '') return '';
  const table = CATALOGUES[lang][group] as Record<string, unknown>;
  const v = table[code];
  return typeof v === 'string' ? v : code;
};

/**
 * The language an `Accept-Language` header prefers among ours (RFC 9110 §12.5.4: q-values, `zh` and `zh-Hans`
 * meaning zh-CN, `*` meaning the default); undefined when it names none of ours.
 */
export const preferredLanguage = (header: string | undefined | null): Lang | undefined => {
  if (!header) return undefined;
  const ranges = header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((r) => r.tag && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.tag === 'zh' || r.tag === 'zh-cn' || r.tag.startsWith('zh-hans') || r.tag === 'zh-sg') return 'zh-CN';
    if (r.tag === 'en' || r.tag.startsWith('en-')) return 'en';
    if (r.tag === '*') return DEFAULT_LANG;
  }
  return undefined;
};

/**
 * The CLI's language: `--lang` wins, then the POSIX locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `zh_CN.UTF-8` → zh-CN).
 */
export const languageFromLocale = (...candidates: (string | undefined)[]): Lang => {
  for (const c of candidates) {
    if (!c || c === 'C' || c === 'POSIX') continue;
    const tag = c.split('.')[0].replace('_', '-').toLowerCase();
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return DEFAULT_LANG;
};

/**
 * An instant as the reports write it, to the minute: English in UTC (the ledger's clock); Chinese in 北京时间
 * (UTC+8, no daylight saving), as a secrecy office dates its reports.
 */
export const formatInstant = (lang: Lang, iso: string | null | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (lang === 'zh-CN') {
    const s = new Date(d.getTime() + 8 * 3600_000).toISOString();
    const [y, m, day] = [s.slice(0, 4), Number(s.slice(5, 7)), Number(s.slice(8, 10))];
    return translate(lang, 'common.at', { when: `${y}年${m}月${day}日 ${s.slice(11, 16)}` });
  }
  const s = d.toISOString();
  return translate(lang, 'common.at', { when: `${s.slice(0, 10)} ${s.slice(11, 16)}` });
};

/** A list as the language writes it: 、 in Chinese, commas in English. */
export const formatList = (lang: Lang, items: readonly string[]): string =>
  items.length === 0 ? translate(lang, 'common.none') : items.join(lang === 'zh-CN' ? '、' : ', ');

export type { Catalogue, MessageKey } from './catalogue.en';
