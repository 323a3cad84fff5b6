import * as fs from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '../auth/api-key.guard';

/**
 * Where the page is: beside this file when run from source (tests), or the source tree when run from dist/ (tsc does
 * not copy HTML, and the page needs no build step).
 */
const candidates = [
  path.join(__dirname, 'dashboard.html'),
  path.resolve(__dirname, '../../../../../apps/ledger-api/src/dashboard/dashboard.html'),
  path.resolve(process.cwd(), 'apps/ledger-api/src/dashboard/dashboard.html'),
];

let cached: string | undefined;
const page = (): string => {
  if (cached !== undefined) return cached;
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error('dashboard.html not found');
  cached = fs.readFileSync(file, 'utf8');
  return cached;
};

interface PageResponse {
  setHeader(name: string, value: string): unknown;
  send(body: string): unknown;
}

@Controller()
export class DashboardController {
  /** The dashboard: public HTML, everything inline; it asks for a key and fetches data with it. */
  @Get()
  @Public()
  index(@Res() res: PageResponse): void {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    // Everything is inline and same-origin: nothing else may load, and the page may not be framed.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.send(page());
  }
}
