/** Languages: the catalogues (en, zh-CN), the translate function, event summaries and language negotiation. */
export * from './i18n';
export { en as EN_CATALOGUE } from './catalogue.en';
export { zhCN as ZH_CN_CATALOGUE } from './catalogue.zh-cn';
export * from './event-summary';
export * from './labels';
