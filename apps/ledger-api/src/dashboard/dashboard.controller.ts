import * as fs from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { CATALOGUES } from '@app/application';
import { Public } from '../auth/api-key.guard';

/**
 * Where the pages are: beside this file when run from source (tests), or the source tree when run from dist/ (tsc
 * does not copy HTML, and the pages need no build step).
 */
const dirs = [
  __dirname,
  path.resolve(__dirname, '../../../../../apps/ledger-api/src/dashboard'),
  path.resolve(process.cwd(), 'apps/ledger-api/src/dashboard'),
];
const asset = (name: string): string => {
  const dir = dirs.find((d) => fs.existsSync(path.join(d, name)));
  if (!dir) throw new Error(`${name} not found`);
  return fs.readFileSync(path.join(dir, name), 'utf8');
};

/** JSON inside a <script> element: `<` escaped so no text can close the element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const cache = new Map<string, string>();
/**
 * A page with what it needs inlined (the CSP allows nothing from elsewhere): the catalogues of every language, so
 * the page switches language without asking the server again; intl-messageformat for their ICU messages; the pages'
 * translate function (page-i18n.js).
 */
const page = (name: string): string => {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const runtime = `${fs.readFileSync(require.resolve('intl-messageformat/intl-messageformat.iife.js'), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '')}\n${asset('page-i18n.js')}`;
  const html = asset(name)
    .replace(
      '<!--CATALOGUES-->',
      () => `<script id="catalogues" type="application/json">${scriptJson(CATALOGUES)}</script>`,
    )
    .replace('<!--I18N-->', () => `<script>${runtime}</script>`);
  cache.set(name, html);
  return html;
};

interface PageResponse {
  setHeader(name: string, value: string): unknown;
  send(body: string): unknown;
}

const sendPage = (res: PageResponse, name: string): void => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  // Everything is inline and same-origin: nothing else may load, and the page may not be framed.
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.send(page(name));
};

@Controller()
export class DashboardController {
  /** The dashboard: public HTML, everything inline; it asks for a key and fetches data with it. */
  @Get()
  @Public()
  index(@Res() res: PageResponse): void {
    sendPage(res, 'dashboard.html');
  }

  /**
   * The printable report (BG99 第4条). The page holds no data: it reads the key this tab keeps (sessionStorage, as the
   * dashboard does) and fetches the report with it in an Authorization header — a key never goes in a URL, and no
   * cookie means no request another site can make with the user's authority. `?lang=` chooses the language.
   */
  @Get('incidents/:id/report')
  @Public()
  report(@Param('id') _id: string, @Res() res: PageResponse): void {
    sendPage(res, 'report.html');
  }
}
