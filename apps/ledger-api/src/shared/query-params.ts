import { RequestValidationError } from '@app/application';

/** An optional ISO-8601 instant from a query parameter; a malformed one is a 400 naming the parameter. */
export const optionalInstant = (name: string, value: string | undefined): string | undefined => {
  if (value === undefined || value === '') return undefined;
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(t)) {
    throw new RequestValidationError([{ field: name, reason: 'must be an ISO-8601 date-time' }]);
  }
  return new Date(t).toISOString();
};

export const optionalEnum = <T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined => {
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T))
    throw new RequestValidationError([{ field: name, reason: `must be one of ${allowed.join(', ')}` }]);
  return value as T;
};

export const optionalBoolean = (name: string, value: string | undefined): boolean | undefined => {
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new RequestValidationError([{ field: name, reason: 'must be true or false' }]);
};

export const optionalString = (name: string, value: unknown): string | undefined => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 200)
    throw new RequestValidationError([{ field: name, reason: 'must be a string of at most 200 characters' }]);
  return value;
};
