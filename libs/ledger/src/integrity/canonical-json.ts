/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). The hash chain and checkpoint signatures are computed over these
 * bytes, so the output must be identical on every machine and after a JSON round trip through any store.
 */

// Deep enough for any event payload; a cyclic structure hits it instead of overflowing the stack.
const MAX_DEPTH = 256;

/** Thrown for input that has no RFC 8785 representation (NaN, Infinity, bigint, functions, class instances, …). */
export class CanonicalizationError extends Error {
  /** Where in the value the problem is, e.g. `$.data.items[2]`. */
  path: string;
  constructor(
    readonly problem: string,
    path = '$',
  ) {
    super(`${path}: ${problem}`);
    this.name = 'CanonicalizationError';
    this.path = path;
  }

  /** Re-throws with the path of the enclosing member, so the message names the offending field. */
  static within(error: unknown, segment: string): never {
    if (error instanceof CanonicalizationError) {
      throw new CanonicalizationError(error.problem, '$' + segment + error.path.slice(1));
    }
    throw error;
  }
}

// String.prototype.isWellFormed is ES2024 (Node >= 20); the regex is the fallback for older runtimes.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
const isWellFormed: (s: string) => boolean = hasIsWellFormed
  ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
  : (s) => !LONE_SURROGATE.test(s);

/**
 * JSON.stringify escapes strings exactly as RFC 8785 §3.2.2.2 asks (\b \t \n \f \r, other controls as lowercase
 * \u00xx, `"` and `\`, everything else verbatim) — except that it escapes lone surrogates where JCS requires an error.
 */
// Characters that need escaping or a well-formedness check; most strings have none and are copied verbatim.
// eslint-disable-next-line no-control-regex -- finding the control characters JSON must escape is the point here.
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  if (!NEEDS_CARE.test(s)) return '"' + s + '"';
  if (!isWellFormed(s)) throw new CanonicalizationError('string contains a lone surrogate');
  return JSON.stringify(s);
}

// Insertion sort with `<`, which compares strings by UTF-16 code units (RFC 8785 §3.2.3); for the handful of
// keys an event object has it beats Array.prototype.sort, and already-sorted keys cost one pass.
function sortKeys(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    if (!(key < keys[j])) continue;
    while (j >= 0 && key < keys[j]) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function isPlainObject(value: object): boolean {
  // Accepts objects from any realm (jest contexts, worker messages): their prototype is some realm's
  // Object.prototype, whose own prototype is null. Class instances, Dates, Maps and Buffers are refused.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      // JSON.stringify of a finite number is the ECMAScript shortest round-trip form that JCS mandates (-0 → "0").
      if (!Number.isFinite(value)) throw new CanonicalizationError(`${value} is not a JSON number`);
      // For finite numbers JSON.stringify is Number::toString, so String() gives the same text, faster.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new CanonicalizationError(`a ${typeof value} has no JSON form`);
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw new CanonicalizationError(`nested deeper than ${MAX_DEPTH} (cyclic?)`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      // Holes and undefined become null, as JSON.stringify does: the stored (re-parsed) event then hashes the same.
      if (item === undefined) out += 'null';
      else {
        try {
          out += serialize(item, depth + 1);
        } catch (e) {
          CanonicalizationError.within(e, `[${i}]`);
        }
      }
    }
    return out + ']';
  }
  if (!isPlainObject(value)) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new CanonicalizationError(`a ${name} is not plain JSON data`);
  }
  return serializeObject(value as Record<string, unknown>, depth, undefined);
}

function serializeObject(record: Record<string, unknown>, depth: number, omit: string | undefined): string {
  const keys = sortKeys(Object.keys(record));
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    // Omitted like JSON.stringify omits it, so an event hashes the same before and after the store round trip.
    if (item === undefined || key === omit) continue;
    if (!first) out += ',';
    first = false;
    try {
      out += quote(key);
      out += ':';
      out += serialize(item, depth + 1);
    } catch (e) {
      CanonicalizationError.within(e, `.${key}`);
    }
  }
  return out + '}';
}

/**
 * Serializes `value` per RFC 8785 (JCS): object members sorted by UTF-16 code units, no whitespace, numbers in
 * ECMAScript shortest form, strings escaped as JCS specifies. `undefined` members are omitted (array slots become
 * `null`), as JSON.stringify does. Throws {@link CanonicalizationError} for NaN/±Infinity, bigint, symbols,
 * functions, non-plain objects (class instances, Date, Map, Buffer), lone surrogates, and cycles.
 */
export function canonicalize(value: unknown): string {
  if (value === undefined) throw new CanonicalizationError('undefined has no JSON form');
  return serialize(value, 0);
}

/**
 * `canonicalize(value)` of a plain object as if its member `omit` were absent, without copying the object
 * (the hash chain hashes metadata without its own `hash`).
 */
export function canonicalizeWithout(value: Record<string, unknown>, omit: string): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !isPlainObject(value)) {
    return canonicalize(value);
  }
  return serializeObject(value, 0, omit);
}
