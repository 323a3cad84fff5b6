/**
 * The few field rules every command DTO is built from. Each is one class-validator constraint that computes its own
 * reason, so a field fails with exactly one precise message (not "must be a string, must match …, must be shorter …"),
 * and each records a JSON-schema fragment beside it so the OpenAPI document can be generated from the same rules.
 *
 * List rules report their bad elements as lines `[index] reason`; validate-command.ts turns each line into a field
 * error on `field[index]`, which class-validator's own `each: true` cannot do (it names the array, not the element).
 */
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { registerDecorator, ValidateIf, ValidateNested } from 'class-validator';

/** Ids: no slashes, spaces or control characters, so they are safe in stream names, URLs and file names. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const SAFE_ID_REASON = 'must be an id: 1 to 128 letters, digits or . _ : @ - starting with a letter or digit';

export const TEXT_MAX = 2_000;
export const LONG_TEXT_MAX = 20_000;
export const LIST_MAX = 1_000;
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2200;

/** A reason when the value breaks the rule, null when it is fine. */
export type Check = (value: unknown, object: Record<string, unknown>) => string | null;

/** JSON-schema fragments, per DTO class and property (for the OpenAPI document). */
export interface FieldSchema {
  required: boolean;
  schema: Record<string, unknown>;
}
/** A DTO class (what a decorator's `target.constructor` is for the classes these rules decorate). */
type DtoClass = new () => object;
const schemas = new Map<DtoClass, Record<string, FieldSchema>>();

/** The JSON schema of a DTO class built from the rules on its properties. */
export const jsonSchemaOf = (dto: DtoClass): Record<string, unknown> => {
  const fields = schemas.get(dto) ?? {};
  const required = Object.keys(fields).filter((k) => fields[k].required);
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(fields).map(([k, f]) => {
        const { $dto, ...rest } = f.schema as { $dto?: () => DtoClass };
        return [k, $dto ? { ...jsonSchemaOf($dto()), ...rest } : rest];
      }),
    ),
    ...(required.length ? { required } : {}),
  };
};

const recordSchema = (target: object, property: string, field: FieldSchema): void => {
  const ctor = target.constructor as DtoClass;
  const fields = schemas.get(ctor) ?? {};
  fields[property] = { ...fields[property], ...field, schema: { ...fields[property]?.schema, ...field.schema } };
  schemas.set(ctor, fields);
};

/**
 * One class-validator metadata entry of a property, as the compiled check runs it (the same functions): a condition
 * (`ValidateIf`), a constraint, or a nested DTO (`ValidateNested` with its `Type`).
 */
export type PlanStep =
  | { when: (object: Record<string, unknown>, value: unknown) => boolean }
  | { check: Check }
  | { nested: () => DtoClass };
const plans = new Map<DtoClass, Map<string, PlanStep[]>>();

const addStep = (target: object, property: string, step: PlanStep): void => {
  const ctor = target.constructor as DtoClass;
  const plan = plans.get(ctor) ?? new Map<string, PlanStep[]>();
  plan.set(property, [...(plan.get(property) ?? []), step]);
  plans.set(ctor, plan);
};

/** The steps of each decorated property of a DTO class, in the order its decorators registered them. */
export const planOf = (dto: DtoClass): ReadonlyMap<string, readonly PlanStep[]> | undefined => plans.get(dto);

/** `ValidateIf`, recorded in the plan too. */
const validateIf =
  (when: (object: Record<string, unknown>, value: unknown) => boolean): PropertyDecorator =>
  (target, propertyKey) => {
    addStep(target, propertyKey as string, { when });
    ValidateIf(when)(target, propertyKey);
  };

/** Registers one check as a class-validator constraint named `name` (and as a step of the compiled plan). */
const constraint =
  (name: string, check: Check): PropertyDecorator =>
  (target, propertyKey) => {
    addStep(target, propertyKey as string, { check });
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyKey as string,
      validator: {
        validate: (value, args) => check(value, args!.object as Record<string, unknown>) === null,
        defaultMessage: (args) => check(args!.value, args!.object as Record<string, unknown>) ?? 'is invalid',
      },
    });
  };

/** `null`, `an array`, `an object`, `a string`…: for reasons such as "must be a string, not a number". */
export const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

const rule =
  (name: string, expected: string, schema: Record<string, unknown>, check: (value: unknown) => string | null) =>
  (options: { optional?: boolean } = {}): PropertyDecorator =>
  (target, propertyKey) => {
    const property = propertyKey as string;
    recordSchema(target, property, { required: !options.optional, schema });
    // Absent optional fields are skipped; a null is still checked (and refused): JSON null is not "absent".
    if (options.optional) validateIf((_o, value) => value !== undefined)(target, property);
    constraint(name, (value) => {
      if (value === undefined) return 'is required';
      if (expected && typeof value !== expected) return `must be a ${expected}, not ${kindOf(value)}`;
      return check(value);
    })(target, property);
  };

export const idReason = (value: unknown): string | null => {
  if (typeof value !== 'string') return `must be a string id, not ${kindOf(value)}`;
  return value.length <= 128 && SAFE_ID.test(value) ? null : SAFE_ID_REASON;
};

// C0 controls other than tab and line feed (a carriage return only as the first half of CR LF), DEL and C1 controls.
// \p{Cc} is U+0000-001F and U+007F-009F.
const CONTROL = /(?![\t\n\r])\p{Cc}|\r(?!\n)/u;

/** A UTF-16 surrogate without its other half: not text, and no UTF-8 (hence no hash, no store) can carry it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);
export const LONE_SURROGATE_REASON = 'must be well-formed Unicode text (it holds a lone surrogate)';

/**
 * What shows nothing: white space, format characters (zero-width spaces and joiners, direction marks, embeddings,
 * overrides and isolates, the BOM), variation selectors and the fillers that render blank (Hangul, Braille).
 * The combining marks come first in the class: after a base character they would read as one combined character.
 */
const INVISIBLE =
  /[\u034F\u17B4\u17B5\u180B-\u180F\uFE00-\uFE0F\s\p{Cf}\p{Zs}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]/gu;
export const isInvisibleText = (s: string): boolean => s.replace(INVISIBLE, '') === '';

const textReason =
  (max: number) =>
  (value: unknown): string | null => {
    const s = value as string;
    if (s.length > max) return `must be at most ${max} characters`;
    if (hasLoneSurrogate(s)) return LONE_SURROGATE_REASON;
    if (s.trim() === '') return 'must not be empty';
    if (CONTROL.test(s)) return 'must not contain control characters (tab and line breaks are allowed)';
    // A name or title of zero-width or direction characters shows as nothing, or as someone else's text.
    if (isInvisibleText(s)) return 'must contain visible characters, not only invisible or direction characters';
    return null;
  };

// Calendar date, time and a zone designator; the calendar itself (leap days, 24:00) is checked with Date below.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/;
export const DATE_TIME_REASON = 'must be an ISO-8601 date-time with a time zone, e.g. 2026-03-02T09:00:00Z';

export const dateTimeReason = (value: unknown): string | null => {
  if (typeof value !== 'string') return `must be an ISO-8601 date-time string, not ${kindOf(value)}`;
  const m = value.length <= 40 ? DATE_TIME.exec(value) : null;
  if (!m) return DATE_TIME_REASON;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const offsetMinutes = m[8] === 'Z' ? 0 : (m[8].startsWith('-') ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const calendarOk =
    utc.getUTCFullYear() === year &&
    utc.getUTCMonth() === month - 1 &&
    utc.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    (m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60));
  if (!calendarOk) return `${DATE_TIME_REASON} (not a real calendar date or time)`;
  // The zones of the world run from UTC−12:00 to UTC+14:00; +23:59 is no place's time.
  if (offsetMinutes < -12 * 60 || offsetMinutes > 14 * 60) return 'must have a UTC offset from -12:00 to +14:00';
  // The year is checked on the instant (UTC), so 1900-01-01T00:30+01:00 (1899 in UTC) is not let in by its local year.
  const utcYear = new Date(utc.getTime() - offsetMinutes * 60_000).getUTCFullYear();
  if (utcYear < MIN_YEAR || utcYear > MAX_YEAR) return `must be a date between ${MIN_YEAR} and ${MAX_YEAR} (UTC)`;
  return null;
};

/**
 * An id the ledger derived itself (a violation id is built from the command id, the code and the item), so it may
 * be longer than an id a person chose: same characters, up to 512 of them.
 */
export const DERIVED_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,511}$/;
const derivedIdReason = (value: unknown): string | null => {
  if (typeof value !== 'string') return `must be a string id, not ${kindOf(value)}`;
  return DERIVED_ID.test(value)
    ? null
    : 'must be an id: 1 to 512 letters, digits or . _ : @ - starting with a letter or digit';
};
export const IsDerivedId = rule(
  'isDerivedId',
  '',
  { type: 'string', pattern: DERIVED_ID.source, maxLength: 512 },
  derivedIdReason,
);

/** A string id matching {@link SAFE_ID}. */
export const IsId = rule('isSafeId', '', { type: 'string', pattern: SAFE_ID.source, maxLength: 128 }, idReason);

/** Free text: a non-blank string of at most `max` characters, without control characters (tab and newlines allowed). */
export const IsText = (max = TEXT_MAX, options: { optional?: boolean } = {}): PropertyDecorator =>
  rule('isText', 'string', { type: 'string', minLength: 1, maxLength: max }, textReason(max))(options);

/** An ISO-8601 date-time with a time zone, in the years 1900–2200. */
export const IsDateTime = rule(
  'isIsoDateTime',
  '',
  { type: 'string', format: 'date-time', example: '2026-03-02T09:00:00Z' },
  dateTimeReason,
);

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A calendar date (`2026-01-15`, read as 00:00 UTC) or a date-time as {@link IsDateTime} takes it. */
export const dateOrDateTimeReason = (value: unknown): string | null => {
  const m = typeof value === 'string' ? DATE_ONLY.exec(value) : null;
  if (!m) {
    const reason = dateTimeReason(value);
    // A value that is no string, or that is meant as a date-time, is told what is wrong with it as one.
    if (reason === null || typeof value !== 'string' || value.includes('T')) return reason;
    return `must be a date (2026-01-15) or ${DATE_TIME_REASON.slice(8)}`;
  }
  const [year, month, day] = [m[1], m[2], m[3]].map(Number);
  const utc = new Date(Date.UTC(year, month - 1, day));
  if (utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day) return 'must be a real calendar date';
  if (year < MIN_YEAR || year > MAX_YEAR) return `must be a date between ${MIN_YEAR} and ${MAX_YEAR}`;
  return null;
};
/** A marked date (制发日): a calendar date or a date-time. */
export const IsDateOrDateTime = rule(
  'isDateOrDateTime',
  '',
  { type: 'string', description: 'a date (2026-01-15, 00:00 UTC) or an ISO-8601 date-time', example: '2026-01-15' },
  dateOrDateTimeReason,
);

/** An integer in [min, max] sent as a JSON number (never a string). */
export const IsIntIn = (min: number, max: number, options: { optional?: boolean } = {}): PropertyDecorator =>
  rule('isIntIn', 'number', { type: 'integer', minimum: min, maximum: max }, (value) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? null
      : `must be an integer from ${min} to ${max}`,
  )(options);

export const IsBool = rule('isBool', 'boolean', { type: 'boolean' }, () => null);

const oneOfReason =
  (values: readonly unknown[]) =>
  (value: unknown): string | null =>
    values.includes(value) ? null : `must be one of: ${values.map((v) => String(v)).join(', ')}`;

/** One of a closed vocabulary (vocabulary.ts). */
export const IsOneOf = (
  values: readonly (string | boolean)[],
  options: { optional?: boolean } = {},
): PropertyDecorator =>
  rule(
    'isOneOf',
    '',
    typeof values[0] === 'boolean' ? { type: 'boolean', enum: [...values] } : { type: 'string', enum: [...values] },
    oneOfReason(values),
  )(options);

const listRule = (
  name: string,
  itemSchema: Record<string, unknown>,
  element: (value: unknown) => string | null,
  { min = 0, max = LIST_MAX, optional = false }: { min?: number; max?: number; optional?: boolean },
): PropertyDecorator =>
  rule(name, '', { type: 'array', items: itemSchema, minItems: min, maxItems: max }, (value) => {
    if (!Array.isArray(value)) return `must be an array, not ${kindOf(value)}`;
    if (value.length > max) return `must have at most ${max} elements`;
    if (value.length < min) return `must have at least ${min} element${min === 1 ? '' : 's'}`;
    const bad: string[] = [];
    for (let i = 0; i < value.length && bad.length < 20; i++) {
      const reason = element(value[i]);
      if (reason) bad.push(`[${i}] ${reason}`);
    }
    return bad.length ? bad.join('\n') : null;
  })({ optional });

/** An array of ids (each element reported as `field[i]`). */
export const IsIdList = (options: { min?: number; max?: number; optional?: boolean } = {}): PropertyDecorator =>
  listRule('isIdList', { type: 'string', pattern: SAFE_ID.source, maxLength: 128 }, idReason, options);

/** An array of values of a closed vocabulary. */
export const IsOneOfList = (
  values: readonly string[],
  options: { min?: number; max?: number; optional?: boolean } = {},
): PropertyDecorator => listRule('isOneOfList', { type: 'string', enum: [...values] }, oneOfReason(values), options);

/** The constraint name of {@link IsNested}'s own check. */
export const NESTED_OBJECT = 'isNestedObject';

const isPlainObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A nested object validated by its own DTO class. `exactlyOneOf` adds the rule "exactly one of these keys", for
 * unions such as the inventory scope (`{all}` | `{custodian}` | `{placeId}`).
 */
export const IsNested =
  (dto: () => DtoClass, options: { exactlyOneOf?: string[]; optional?: boolean } = {}): PropertyDecorator =>
  (target, propertyKey) => {
    const property = propertyKey as string;
    const keys = options.exactlyOneOf;
    recordSchema(target, property, {
      required: !options.optional,
      schema: { $dto: dto, ...(keys ? { oneOf: keys.map((k) => ({ required: [k] })) } : {}) },
    });
    // An absent optional object is skipped altogether (its nested rules too); a null is still refused.
    if (options.optional) validateIf((_o, value) => value !== undefined)(target, property);
    Type(dto)(target, property);
    // ValidateNested also complains about non-objects and walks arrays; validate-command.ts keeps only the reason
    // below when it fails (a ValidateIf here would switch off this constraint as well).
    addStep(target, property, { nested: dto });
    ValidateNested()(target, property);
    constraint(NESTED_OBJECT, (value) => {
      if (value === undefined) return 'is required';
      if (!isPlainObject(value)) return `must be an object, not ${kindOf(value)}`;
      if (keys) {
        const given = keys.filter((k) => (value as Record<string, unknown>)[k] !== undefined);
        if (given.length !== 1) return `must have exactly one of: ${keys.join(', ')}`;
      }
      return null;
    })(target, property);
  };

/**
 * The pair "either `periodYears` or `declassifyOn`" (contract §5): put on `periodYears`, it is required unless
 * `declassifyOn` is given; put on `declassifyOn`, it refuses to be given together with `periodYears`.
 */
export const EitherPeriodYears = (): PropertyDecorator => (target, propertyKey) => {
  const property = propertyKey as string;
  recordSchema(target, property, { required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } });
  validateIf(
    (o: Record<string, unknown>) =>
      o.periodYears !== undefined || (o.declassifyOn === undefined && o.longTerm !== true),
  )(target, property);
  constraint('isPeriodYears', (value, object) => {
    if (value === undefined) return 'is required unless declassifyOn or longTerm is given';
    if (object.longTerm === true) return 'must not be given together with longTerm';
    if (typeof value !== 'number') return `must be a number, not ${kindOf(value)}`;
    return Number.isInteger(value) && value >= 1 && value <= 100 ? null : 'must be an integer from 1 to 100';
  })(target, property);
};

/**
 * `longTerm: true` (长期, contract §5.1 point 5) instead of `periodYears` or `declassifyOn`. Only `true` means anything, so
 * `false` is refused rather than silently read as "a period follows".
 */
export const OrLongTerm = (): PropertyDecorator => (target, propertyKey) => {
  const property = propertyKey as string;
  recordSchema(target, property, {
    required: false,
    schema: { type: 'boolean', enum: [true], description: '长期: instead of periodYears or declassifyOn' },
  });
  validateIf((_o, value) => value !== undefined)(target, property);
  constraint('isLongTerm', (value, object) => {
    if (value !== true) return `must be true when given, not ${JSON.stringify(value)}`;
    if (object.declassifyOn !== undefined) return 'must not be given together with declassifyOn';
    return null;
  })(target, property);
};

export const OrDeclassifyOn = (): PropertyDecorator => (target, propertyKey) => {
  const property = propertyKey as string;
  recordSchema(target, property, {
    required: false,
    schema: { type: 'string', description: 'instead of periodYears: a date (2036-03-02, 00:00 UTC) or a date-time' },
  });
  validateIf((_o, value) => value !== undefined)(target, property);
  constraint('isDeclassifyOn', (value, object) => {
    if (object.periodYears !== undefined) return 'must not be given together with periodYears';
    return dateOrDateTimeReason(value);
  })(target, property);
};
