/**
 * Query parameters, declared (issue 11): each read route names one DTO class of its parameters with `@QuerySchema`,
 * and the QueryGuard validates the request's query against it before the handler runs — a parameter given twice
 * (`?status=a&status=b`), as an array or an object (`?a[b]=c`), unknown, malformed or out of bounds is a 400 naming
 * `query.<name>`, never a 500. The rules are class-validator constraints, like the command DTOs'.
 */
import 'reflect-metadata';
import { SetMetadata } from '@nestjs/common';
import { registerDecorator, validateSync } from 'class-validator';
import { INCIDENT_KINDS, ITEM_STATUSES, SEVERITIES } from '@app/custody';
import { LANGUAGES, SAFE_ID, hasLoneSurrogate, type FieldError } from '@app/application';

const SAFE_ID_REASON = 'must be an id: 1 to 128 letters, digits or . _ : @ - starting with a letter or digit';

export const QUERY_SCHEMA = 'custody:query-schema';

/** The DTO class a route's query is validated against. */
export const QuerySchema = (dto: new () => object) => SetMetadata(QUERY_SCHEMA, dto);

/** A query DTO class, or one it extends (what a decorator's `target.constructor` is here). */
type DtoClass = new () => object;

/** Declared parameters per DTO class (inherited ones included when asked). */
const declared = new Map<DtoClass, Set<string>>();

export const declaredParameters = (dto: DtoClass): Set<string> => {
  const out = new Set<string>();
  for (let c: DtoClass | null = dto; c && c !== Object; c = Object.getPrototypeOf(c) as DtoClass | null) {
    for (const k of declared.get(c) ?? []) out.add(k);
  }
  return out;
};

/** A query rule: the value is always a single string here (the guard refused anything else first). */
const param =
  (name: string, reason: (value: string) => string | null): (() => PropertyDecorator) =>
  () =>
  (target, key) => {
    const property = key as string;
    const dto = target.constructor as DtoClass;
    const set = declared.get(dto) ?? new Set<string>();
    set.add(property);
    declared.set(dto, set);
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: property,
      validator: {
        validate: (value: unknown) =>
          value === undefined || value === '' || (typeof value === 'string' && reason(value) === null),
        defaultMessage: (args) => (typeof args?.value === 'string' ? reason(args.value) : null) ?? 'is invalid',
      },
    });
  };

const intIn = (min: number, max: number) =>
  param(`intIn${min}to${max}`, (v) =>
    /^\d{1,16}$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `must be an integer from ${min} to ${max}`,
  );
const oneOf = (values: readonly string[]) =>
  param('oneOf', (v) => (values.includes(v) ? null : `must be one of: ${values.join(', ')}`));
const bool = param('bool', (v) => (v === 'true' || v === 'false' ? null : 'must be true or false'));
const id = param('id', (v) => (SAFE_ID.test(v) ? null : SAFE_ID_REASON));
const text = (max: number) =>
  param('text', (v) =>
    v.length > max
      ? `must be at most ${max} characters`
      : hasLoneSurrogate(v)
        ? 'must be well-formed Unicode text (no lone surrogates)'
        : // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
          /[\u0000-\u001F\u007F-\u009F]/.test(v)
          ? 'must not contain control characters'
          : null,
  );
const instant = param('instant', (v) =>
  /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v))
    ? null
    : 'must be an ISO-8601 date-time',
);
const cursor = param('cursor', (v) => (/^\d{1,15}$/.test(v) ? null : 'must be a cursor from a previous page'));
const position = param('position', (v) =>
  /^\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v)) ? null : 'must be a global position (a non-negative integer)',
);
/** A comma-separated list of at most 50 entries, each at most 200 characters. */
const list = param('list', (v) => {
  const parts = v.split(',');
  if (parts.length > 50) return 'must list at most 50 entries';
  return parts.every((p) => p.length <= 200 && /^[A-Za-z0-9._:@ -]*$/.test(p))
    ? null
    : 'must be a comma-separated list of names (letters, digits, . _ : @ -)';
});

/** Every JSON route speaks the language `?lang=` asks for. */
export class LangQuery {
  @(oneOf(LANGUAGES)()) lang?: string;
}

export class ItemsQuery extends LangQuery {
  @(oneOf(ITEM_STATUSES)()) status?: string;
  @id() custodian?: string;
  @(text(200)()) q?: string;
  @(intIn(1, 1000)()) limit?: string;
}

export class ItemHistoryQuery extends LangQuery {
  @instant() asOf?: string;
  @instant() occurredBefore?: string;
  @bool() copies?: string;
  @cursor() cursor?: string;
  @(intIn(1, 1000)()) limit?: string;
}

export class ItemReadersQuery extends LangQuery {
  @instant() asOf?: string;
  @instant() occurredBefore?: string;
  /** The previous page's `nextCursor`: the last person id it listed. */
  @id() cursor?: string;
  @(intIn(1, 1000)()) limit?: string;
}

export class PersonAccessQuery extends LangQuery {
  /** The previous page's `nextCursor`: the last item id it listed. */
  @id() cursor?: string;
  @(intIn(1, 1000)()) limit?: string;
}

export class IncidentsQuery extends LangQuery {
  @bool() open?: string;
  @bool() overdue?: string;
  @(oneOf(INCIDENT_KINDS)()) kind?: string;
  @id() itemId?: string;
  @cursor() cursor?: string;
  @(intIn(1, 1000)()) limit?: string;
}

export class ReportDraftQuery extends LangQuery {
  @(text(200)()) to?: string;
}

export class ViolationsQuery extends LangQuery {
  @(oneOf(['open', 'resolved'])()) status?: string;
  @(text(100)()) code?: string;
  @(oneOf(SEVERITIES)()) severity?: string;
  @id() itemId?: string;
  @id() personId?: string;
  @instant() since?: string;
  @cursor() cursor?: string;
  @(intIn(1, 1000)()) limit?: string;
  @(oneOf(['asc', 'desc'])()) order?: string;
}

export class NotificationsQuery {
  @(oneOf(['pending', 'delivered', 'failed', 'cancelled'])()) status?: string;
  @(intIn(1, 1000)()) limit?: string;
}

export class FeedQuery {
  @position() after?: string;
  @list() streams?: string;
  @list() types?: string;
}

export class CheckpointsQuery {
  @(intIn(1, 1000)()) limit?: string;
}

export class StreamHeadQuery {
  @position() size?: string;
}

export class ConsistencyQuery {
  @position() from?: string;
  @position() to?: string;
}

/**
 * The field errors of a query against its declared DTO (none when it is fine). Without a DTO only the shape is
 * checked: every parameter given once, as a plain value.
 */
export const queryErrors = (query: Record<string, unknown>, dto: (new () => object) | undefined): FieldError[] => {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'string') continue;
    errors.push({
      field: `query.${k}`,
      reason: Array.isArray(v) ? 'must be given once, not repeated' : 'must be a plain value, not an object',
    });
  }
  if (errors.length > 0 || !dto) return errors;
  const known = declaredParameters(dto);
  for (const k of Object.keys(query)) {
    if (!known.has(k)) errors.push({ field: `query.${k}`, reason: 'is not a known query parameter of this route' });
  }
  if (errors.length > 0) return errors;
  const instance = Object.assign(new dto(), query);
  for (const e of validateSync(instance, { forbidUnknownValues: false })) {
    for (const message of Object.values(e.constraints ?? {}))
      errors.push({ field: `query.${e.property}`, reason: message });
  }
  return errors;
};
