/**
 * The language of a response (contract §8.1): `?lang=zh-CN|en` when given (anything else is a 400 naming `lang`), else
 * the best of `Accept-Language`, else the default. Only words change; codes, ids and field names never do.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import {
  DEFAULT_LANG,
  LANGUAGES,
  RequestValidationError,
  isLang,
  preferredLanguage,
  type Lang,
} from '@app/application';

export interface LanguageRequest {
  query?: Record<string, unknown>;
  headers?: Record<string, string | string[] | undefined>;
}

/** `strict`: a bad `?lang` is a 400; otherwise (an error being answered) it is ignored. */
export const requestLanguage = (req: LanguageRequest | undefined, strict = true): Lang => {
  const q = req?.query?.lang;
  if (q !== undefined && q !== '') {
    if (isLang(q)) return q;
    if (strict)
      throw new RequestValidationError([{ field: 'query.lang', reason: `must be one of: ${LANGUAGES.join(', ')}` }]);
  }
  const header = req?.headers?.['accept-language'];
  return preferredLanguage(Array.isArray(header) ? header.join(',') : header) ?? DEFAULT_LANG;
};

interface HeaderResponse {
  setHeader(name: string, value: string): unknown;
  getHeader?(name: string): unknown;
}

/** Marks a response as chosen by language, so a cache keeps one copy per language. */
export const markLanguage = (res: HeaderResponse | undefined, lang: Lang): void => {
  if (!res) return;
  res.setHeader('Content-Language', lang);
  const prior = res.getHeader?.('Vary');
  const vary = typeof prior === 'string' ? prior : Array.isArray(prior) ? prior.join(', ') : '';
  if (!/accept-language/i.test(vary)) res.setHeader('Vary', vary ? `${vary}, Accept-Language` : 'Accept-Language');
};

/** `@RequestLang() lang: Lang` in a handler: the response's language, with Content-Language set. */
export const RequestLang = createParamDecorator((_: unknown, ctx: ExecutionContext): Lang => {
  const http = ctx.switchToHttp();
  const lang = requestLanguage(http.getRequest<LanguageRequest>());
  markLanguage(http.getResponse<HeaderResponse>(), lang);
  return lang;
});
