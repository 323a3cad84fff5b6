// The pages' translate function over the catalogues inlined at serve time (the same ones the API and the CLI use),
// with intl-messageformat (inlined before this script) for the ICU plurals and selects. window.LedgerI18n.
(() => {
  'use strict';
  const CATALOGUES = JSON.parse(document.getElementById('catalogues').textContent);
  const LANGS = Object.keys(CATALOGUES);
  const LANG_KEY = 'custodyLedgerLang';
  const formats = new Map();
  const lookup = (lang, key) =>
    key.split('.').reduce((n, k) => (n && typeof n === 'object' ? n[k] : undefined), CATALOGUES[lang]);
  // As on the server: a variable not given must not leave the message unformatted.
  const withDefaults = (msg, vars) => {
    const out = Object.assign({}, vars);
    for (const m of msg.matchAll(/\{(\w+)(?:\s*,\s*(select|plural))?/g))
      if (out[m[1]] === undefined || out[m[1]] === null)
        out[m[1]] = m[2] === 'select' ? 'none' : m[2] === 'plural' ? 0 : '';
    return out;
  };
  const t = (lang, key, vars) => {
    const msg = lookup(lang, key);
    if (typeof msg !== 'string') return key;
    const id = lang + '\u0000' + key;
    let f = formats.get(id);
    if (!f) {
      try {
        f = new IntlMessageFormat.IntlMessageFormat(msg, lang);
      } catch {
        return msg;
      }
      formats.set(id, f);
    }
    try {
      return String(f.format(withDefaults(msg, vars || {})));
    } catch {
      return msg;
    }
  };
  const label = (lang, group, code) => {
    if (code === null || code === undefined || code === '') return '';
    const g = CATALOGUES[lang][group];
    return g && typeof g[code] === 'string' ? g[code] : String(code);
  };
  /** The stored choice, else the browser's first preference we speak, else English. */
  const preferred = () => {
    const stored = localStorage.getItem(LANG_KEY);
    if (LANGS.includes(stored)) return stored;
    for (const l of navigator.languages || [navigator.language]) {
      const x = String(l).toLowerCase();
      if (x.startsWith('zh')) return 'zh-CN';
      if (x.startsWith('en')) return 'en';
    }
    return 'en';
  };
  const remember = (lang) => localStorage.setItem(LANG_KEY, lang);
  /** As the server writes instants: Chinese in 北京时间 (UTC+8), English in UTC, to the minute. */
  const when = (lang, iso) => {
    if (!iso) return '';
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return String(iso);
    if (lang === 'zh-CN') {
      const s = new Date(ms + 8 * 3600e3).toISOString();
      return t(lang, 'common.at', {
        when: s.slice(0, 4) + '年' + Number(s.slice(5, 7)) + '月' + Number(s.slice(8, 10)) + '日 ' + s.slice(11, 16),
      });
    }
    const s = new Date(ms).toISOString();
    return t(lang, 'common.at', { when: s.slice(0, 10) + ' ' + s.slice(11, 16) });
  };
  window.LedgerI18n = { t, label, preferred, remember, when, LANGS };
})();
