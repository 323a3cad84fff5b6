/**
 * Errors as RFC 9457 problem details (`application/problem+json`), mapped in one place (STYLE §5). `toProblem` is
 * pure: the Nest filter, an Express error handler or a test can all use it. Every problem has a stable `code`;
 * `type` is derived from it. Nothing internal (stack, store paths, an unexpected error's message) reaches a client.
 */
import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { DomainError } from '@app/custody';
import { ConcurrencyConflict, IdempotencyKeyReused, StoreUnavailable } from '@app/ledger';
import { RequestValidationError, StoreRolledBack, type FieldError } from '@app/application';
import type { StoreRollback } from '@app/read-models';

export type { FieldError } from '@app/application';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const PROBLEM_TYPE_BASE = 'https://custody-ledger.dev/problems/';
/** Seconds a client should wait before retrying when the store is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  instance?: string;
  /** IDEMPOTENCY_KEY_REUSED: the name of the command that holds the command id. */
  firstCommand?: string;
  /** STORE_ROLLED_BACK: the position (and hash) the read models applied, and the store's head now. */
  rollback?: StoreRollbackBody;
}

export interface StoreRollbackBody {
  reason: 'shorter' | 'rewritten';
  applied: { position: number; eventId: string; streamId: string; revision: number; hash: string };
  storeHead: number | null;
  storeEvent?: { eventId: string; position: number; hash: string } | null;
}

/** The members of a rollback a client (or /health/ready) is shown: both positions and hashes, nothing else. */
export const rollbackBody = (r: StoreRollback): StoreRollbackBody => ({
  reason: r.reason,
  applied: { ...r.applied },
  storeHead: r.storeHead,
  ...(r.storeEvent !== undefined ? { storeEvent: r.storeEvent } : {}),
});

/** The detail of STORE_ROLLED_BACK, naming both positions (the problem and /health/ready say the same). */
export const rollbackDetail = (r: StoreRollback): string =>
  `The event store is behind what this service applied (${r.reason}): ${r.detail}. Writes and checkpoints are refused until an operator accepts the rollback (npm run cli -- rebuild --accept-rollback).`;

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemBody;
}

/** `APPROVER_NOT_AUTHORIZED` → `https://custody-ledger.dev/problems/approver-not-authorized`. */
export const problemType = (code: string): string => PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');

/** `APPROVER_NOT_AUTHORIZED` → `Approver not authorized`: one title per type, whatever the occurrence. */
const TITLES: Record<string, string> = { INTERNAL: 'Internal error', MALFORMED_JSON: 'Malformed JSON' };
const titleOf = (code: string): string => {
  if (TITLES[code]) return TITLES[code];
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const STABLE_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** Codes for HTTP statuses raised by Nest itself (routing, guards) or by HttpExceptions without a code. */
const STATUS_CODE_NAMES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  410: 'GONE',
  411: 'LENGTH_REQUIRED',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  501: 'NOT_IMPLEMENTED',
  503: 'SERVICE_UNAVAILABLE',
  504: 'TIMEOUT',
};
const codeForStatus = (status: number): string =>
  STATUS_CODE_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : `HTTP_${status}`);

const INTERNAL_DETAIL = 'An unexpected error occurred; it has been logged. Nothing is known to have been recorded.';

const make = (
  status: number,
  code: string,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
): Problem => ({
  status,
  headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...extra.headers },
  body: {
    type: problemType(code),
    title: titleOf(code),
    status,
    code,
    detail,
    ...(extra.errors?.length ? { errors: extra.errors } : {}),
  },
});

const internal = (): Problem => make(500, 'INTERNAL', INTERNAL_DETAIL);

const isValidStatus = (status: unknown): status is number =>
  typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599;

/** Domain fields are command fields: `personId` → `data.personId` (the path the validation errors use). */
const domainFieldPath = (field: string): string =>
  field.startsWith('data.') || field.startsWith('body.') || field === 'data' ? field : `data.${field}`;

const fromDomainError = (error: DomainError): Problem => {
  if (!isValidStatus(error.status) || typeof error.code !== 'string' || !STABLE_CODE.test(error.code))
    return internal();
  // Server-side failures are not the client's to read, even when a domain error says 5xx.
  const detail = error.status >= 500 ? INTERNAL_DETAIL : error.message;
  const errors = error.field
    ? [
        {
          field: domainFieldPath(error.field),
          reason: error.message.startsWith(`${error.field}: `)
            ? error.message.slice(error.field.length + 2)
            : error.message,
        },
      ]
    : undefined;
  return make(error.status, error.code, detail, { errors });
};

/** Any V8 `JSON.parse` message mentions JSON ("Unexpected token … in JSON at position 9", "… is not valid JSON"). */
const JSON_SYNTAX = /\bJSON\b/;

/**
 * Errors of the body parser (http-errors with a `type`). Nest hands them to the filters as they are, except a JSON
 * syntax error, which it turns into a BadRequestException carrying the parser's message (see fromHttpException).
 */
const fromBodyParser = (error: { type: string; limit?: unknown }, status: number): Problem | null => {
  switch (error.type) {
    case 'entity.parse.failed':
      return make(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return make(
        413,
        'PAYLOAD_TOO_LARGE',
        typeof error.limit === 'number'
          ? `The request body is larger than the limit of ${error.limit} bytes.`
          : 'The request body is too large.',
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return make(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'The request body must be UTF-8 JSON (Content-Type: application/json).',
      );
    case 'request.aborted':
      return make(400, 'REQUEST_ABORTED', 'The request was aborted before its body was received.');
    default:
      return status < 500 ? make(status, codeForStatus(status), 'The request body could not be read.') : null;
  }
};

const fromHttpException = (error: HttpException): Problem => {
  const status = error.getStatus();
  if (!isValidStatus(status)) return internal();
  const response = error.getResponse();
  const fields = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
  const message = typeof response === 'string' ? response : fields.message;
  const text = Array.isArray(message)
    ? message.filter((m) => typeof m === 'string').join('; ')
    : typeof message === 'string'
      ? message
      : '';
  if (status === 400 && fields.error === 'Bad Request' && JSON_SYNTAX.test(text) && Object.keys(fields).length <= 3) {
    return make(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
  }
  const code = typeof fields.code === 'string' && STABLE_CODE.test(fields.code) ? fields.code : codeForStatus(status);
  const headers: Record<string, string> = {};
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="custody-ledger"';
  const retryAfter = fields.retryAfter;
  if (
    (status === 429 || status === 503) &&
    typeof retryAfter === 'number' &&
    Number.isFinite(retryAfter) &&
    retryAfter >= 0
  ) {
    headers['Retry-After'] = String(Math.ceil(retryAfter));
  }
  const detail =
    status >= 500
      ? INTERNAL_DETAIL
      : typeof fields.detail === 'string'
        ? fields.detail
        : text || STATUS_CODES[status] || 'The request cannot be served.';
  return make(status, code, detail, { headers });
};

/** An http-errors error as the body parser raises it: its status, or null for anything else. */
const bodyParserStatus = (error: object): number | null => {
  const e = error as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = e.status ?? e.statusCode;
  return typeof e.type === 'string' && typeof e.expose === 'boolean' && isValidStatus(status) ? status : null;
};

/** Maps anything thrown while serving a request to its problem. `instance` is the request path, when known. */
export const toProblem = (error: unknown, instance?: string): Problem => {
  const problem = ((): Problem => {
    if (error instanceof RequestValidationError) {
      const n = error.errors.length;
      return make(
        400,
        'VALIDATION_FAILED',
        n === 1 ? 'One field of the request is invalid.' : `${n} fields of the request are invalid.`,
        {
          errors: error.errors,
        },
      );
    }
    if (error instanceof DomainError) return fromDomainError(error);
    if (error instanceof ConcurrencyConflict) {
      return make(
        409,
        'CONCURRENCY_CONFLICT',
        'The records this command changes were changed by another command at the same time; nothing was recorded. Retry the command.',
      );
    }
    if (error instanceof IdempotencyKeyReused) {
      const problem = make(409, 'IDEMPOTENCY_KEY_REUSED', error.message, {
        errors: [
          { field: 'body.commandId', reason: `already used for a ${error.firstCommand} command with another body` },
        ],
      });
      problem.body.firstCommand = error.firstCommand;
      return problem;
    }
    if (error instanceof StoreRolledBack) {
      // Not a failure to hide (it is not retried away either): the operator and the client must see both positions.
      const problem = make(503, 'STORE_ROLLED_BACK', rollbackDetail(error.rollback));
      problem.body.rollback = rollbackBody(error.rollback);
      return problem;
    }
    if (error instanceof StoreUnavailable) {
      return make(
        503,
        'STORE_UNAVAILABLE',
        'The event store cannot take writes now; nothing was recorded. Retry later.',
        {
          headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) },
        },
      );
    }
    if (error instanceof HttpException) return fromHttpException(error);
    const parserStatus = typeof error === 'object' && error !== null ? bodyParserStatus(error) : null;
    if (parserStatus !== null)
      return fromBodyParser(error as { type: string; limit?: unknown }, parserStatus) ?? internal();
    return internal();
  })();
  if (instance) problem.body.instance = instance;
  return problem;
};
