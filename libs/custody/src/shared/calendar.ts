/**
 * Date arithmetic on ISO-8601 instants, pure (no clock). Hours are exact; months and years are UTC calendar
 * arithmetic, clamped to the last day of a shorter month (31 Jan + 1 month = 28/29 Feb).
 */

/**
 * An instant as the ledger stores it: a calendar date alone (`2026-09-01`, for a field that names a day such as
 * `probationUntil`) is that day's 00:00 UTC; anything else is kept as given.
 */
export const dayOrInstant = (s: string): string =>
  /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00Z`).toISOString() : s;

/** Milliseconds since the epoch of an ISO-8601 instant. */
export const ms = (iso: string): number => new Date(iso).getTime();

/** Exactly `hours` later. */
export const addHours = (iso: string, hours: number): string => new Date(ms(iso) + hours * 3_600_000).toISOString();

export const addMonths = (iso: string, months: number): string => {
  const d = new Date(iso);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.toISOString();
};

/** Whether `a` is strictly later than `b`, whatever their ISO spelling (`Z` or `.000Z`). */
export const isAfter = (a: string, b: string): boolean => ms(a) > ms(b);

export const isInstant = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && !Number.isNaN(ms(s));

/** Calendar years in UTC, clamped to the end of a shorter month (29 Feb + 1 year = 28 Feb): twelve months each. */
export const addYears = (iso: string, years: number): string => addMonths(iso, 12 * years);
