/**
 * The one place errors become HTTP responses (STYLE §5): every exception, from a controller, a guard, Nest's router
 * or the body parser, is answered as `application/problem+json` (see problem.ts for the mapping).
 * Register globally: `app.useGlobalFilters(new ProblemFilter())` (or as the APP_FILTER provider).
 */
import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { CATALOGUES } from '@app/application';
import { toProblem, type Problem } from './problem';
import { markLanguage, requestLanguage, type LanguageRequest } from '../shared/language';

/** The little of Node's/Express's response the filter uses. */
export interface ProblemResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded?: boolean;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export interface ProblemRequest extends LanguageRequest {
  originalUrl?: string;
  url?: string;
  method?: string;
}

/** The request path without its query string (which may hold filters a client did not mean to echo into logs). */
const instanceOf = (request: ProblemRequest | undefined): string | undefined => {
  const url = request?.originalUrl ?? request?.url;
  if (typeof url !== 'string' || url === '') return undefined;
  const path = url.split('?')[0];
  return path.length > 512 ? path.slice(0, 512) : path;
};

/** Writes a problem on a response that has not started yet; a started one (e.g. an SSE stream) is just ended. */
export const writeProblem = (response: ProblemResponse, problem: Problem): void => {
  if (response.headersSent) {
    if (!response.writableEnded) response.end();
    return;
  }
  response.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) response.setHeader(name, value);
  response.end(JSON.stringify(problem.body));
};

/**
 * The title in the client's language (the catalogue's `problems.<code>`); English keeps the title problem.ts derives.
 * `code`, `type` and the field names in `errors` never change; `detail` is the occurrence's own text.
 */
const localized = (problem: Problem, request: ProblemRequest | undefined, response: ProblemResponse): Problem => {
  const lang = requestLanguage(request, false);
  if (lang === 'en') return problem;
  const title = (CATALOGUES[lang].problems as Record<string, string>)[problem.body.code];
  if (!response.headersSent) markLanguage(response, lang);
  return title ? { ...problem, body: { ...problem.body, title } } : problem;
};

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<ProblemRequest | undefined>();
    const response = http.getResponse<ProblemResponse>();
    const problem = localized(toProblem(exception, instanceOf(request)), request, response);
    this.log(exception, problem, request);
    writeProblem(response, problem);
  }

  /** Server-side failures are logged with what the client is not shown; client errors are not worth a log line. */
  private log(exception: unknown, problem: Problem, request: ProblemRequest | undefined): void {
    if (problem.status < 500) return;
    const where = `${request?.method ?? '?'} ${problem.body.instance ?? '?'}`;
    if (problem.body.code === 'INTERNAL') {
      const stack = exception instanceof Error ? exception.stack : undefined;
      this.logger.error(`${where}: ${exception instanceof Error ? exception.message : String(exception)}`, stack);
    } else {
      this.logger.warn(`${where}: ${problem.body.code}${exception instanceof Error ? ` (${exception.message})` : ''}`);
    }
  }
}

/**
 * The same mapping as an Express error handler, for errors raised before Nest's pipeline (e.g. a body parser that
 * main.ts registers itself): `app.use(problemErrorHandler)` after it.
 */
export const problemErrorHandler = (
  error: unknown,
  request: ProblemRequest,
  response: ProblemResponse,
  // Express recognises an error handler by its four parameters.
  _next: (error?: unknown) => void,
): void => {
  writeProblem(response, toProblem(error, instanceOf(request)));
};
