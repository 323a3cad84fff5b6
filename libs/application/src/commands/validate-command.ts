/**
 * Request validation for `POST /api/commands/{name}`: the envelope `{ data, occurredAt?, commandId? }` and the
 * command's `data` against its DTO (commands/dto). Both return field errors instead of throwing, on any input
 * whatsoever: the body is untrusted JSON, and a validator that throws would turn a bad request into a 500.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { COMMAND_DTOS, isPublicCommandName, PUBLIC_COMMAND_NAMES, type PublicCommandName } from './dto';
import {
  planOf,
  LONE_SURROGATE_REASON,
  NESTED_OBJECT,
  dateTimeReason,
  hasLoneSurrogate,
  idReason,
  kindOf,
} from './dto/validators';

export interface FieldError {
  /** Dotted path from the request body, e.g. `data.scope.persons[1]` or `body.occurredAt`. */
  field: string;
  reason: string;
}

export type CommandDataValidation =
  | { ok: true; command: PublicCommandName; data: Record<string, unknown> }
  | { ok: false; errors: FieldError[] }
  /** No public command has that name (FireDeadline is the scheduler's): the API answers 404 UNKNOWN_COMMAND. */
  | { ok: false; unknownCommand: string };

export type EnvelopeValidation =
  | { ok: true; data: Record<string, unknown>; occurredAt?: string; commandId?: string }
  | { ok: false; errors: FieldError[] };

/** Deeper than any command needs (`data.scope.persons[0]` is 3 levels); deeper input is refused unread. */
export const MAX_DATA_DEPTH = 8;
const MAX_DEPTH = MAX_DATA_DEPTH;
/** Far more values than any command needs (three lists of 1,000 ids); stops a huge body before it is transformed. */
const MAX_VALUES = 20_000;
/** At most this many field errors are listed; the rest are counted. */
const MAX_ERRORS = 100;

const ENVELOPE_FIELDS = new Set(['data', 'occurredAt', 'commandId']);

/** What JSON.parse makes of `{…}` (in any realm: jest, vm or structuredClone objects have another Object.prototype). */
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]')
    return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `a.b`, `a["odd key"]`; absurdly long keys are cut so an error list stays small. */
const child = (path: string, key: string): string => {
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return IDENTIFIER.test(key) ? `${path}.${shown}` : `${path}[${JSON.stringify(shown)}]`;
};
const childOf = (path: string, property: string): string =>
  /^\d+$/.test(property) ? `${path}[${property}]` : child(path, property);

/**
 * Keys that name something every object inherits (`__proto__`, `constructor`, `hasOwnProperty`, …) or `prototype`.
 * No command has such a field, and handing them to class-transformer would set the instance's prototype or shadow
 * the methods class-validator calls, so they are refused before anything else looks at the data.
 */
const isReservedKey = (key: string): boolean => key === 'prototype' || key in Object.prototype;

/** What must be refused before the data is given to class-transformer: reserved keys, non-JSON values, size. */
const screen = (value: unknown, path: string): FieldError[] => {
  const errors: FieldError[] = [];
  let values = 0;
  const walk = (v: unknown, p: string, depth: number): void => {
    if (errors.length >= MAX_ERRORS) return;
    if (++values > MAX_VALUES) {
      if (values === MAX_VALUES + 1)
        errors.push({ field: path, reason: `must not hold more than ${MAX_VALUES} values` });
      return;
    }
    if (typeof v === 'string') {
      // Any text anywhere in the data: a lone surrogate would pass a type check and then break sealing (a 500).
      if (hasLoneSurrogate(v)) errors.push({ field: p, reason: LONE_SURROGATE_REASON });
      return;
    }
    if (v === null || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) errors.push({ field: p, reason: 'must be a finite number' });
      return;
    }
    if (typeof v !== 'object') {
      errors.push({ field: p, reason: `must be a JSON value, not a ${typeof v}` });
      return;
    }
    if (depth >= MAX_DEPTH) {
      errors.push({ field: p, reason: 'is nested too deeply' });
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && errors.length < MAX_ERRORS && values <= MAX_VALUES; i++)
        walk(v[i], `${p}[${i}]`, depth + 1);
      return;
    }
    if (!isPlainObject(v)) {
      errors.push({ field: p, reason: 'must be a JSON object' });
      return;
    }
    for (const key of Object.keys(v)) {
      if (errors.length >= MAX_ERRORS || values > MAX_VALUES) return;
      if (isReservedKey(key)) errors.push({ field: child(p, key), reason: 'is not an allowed field' });
      else walk(v[key], child(p, key), depth + 1);
    }
  };
  walk(value, path, 0);
  return errors;
};

const REASONS: Record<string, string> = {
  whitelistValidation: 'is not an allowed field',
  unknownValue: 'could not be validated',
  nestedValidation: 'must be an object',
};

/** class-validator's error tree → flat field errors. List rules give one line per bad element: `[i] reason`. */
const flatten = (errors: ValidationError[], path: string, out: FieldError[]): void => {
  for (const e of errors) {
    const field = childOf(path, e.property);
    const constraints = e.constraints ?? {};
    const entries = Object.entries(constraints);
    // A nested field that is not an object: say so once, and ignore what ValidateNested made of it.
    const notObject = constraints[NESTED_OBJECT];
    for (const [name, message] of notObject ? [[NESTED_OBJECT, notObject]] : entries) {
      if (!notObject && name === 'nestedValidation' && entries.length > 1) continue;
      for (const line of (REASONS[name] ?? message).split('\n')) {
        const element = /^\[(\d+)\] (.*)$/s.exec(line);
        out.push(element ? { field: `${field}[${element[1]}]`, reason: element[2] } : { field, reason: line });
      }
    }
    if (!notObject && e.children?.length) flatten(e.children, field, out);
  }
};

const capped = (errors: FieldError[], path: string): FieldError[] =>
  errors.length <= MAX_ERRORS
    ? errors
    : [...errors.slice(0, MAX_ERRORS), { field: path, reason: `and ${errors.length - MAX_ERRORS} more errors` }];

type DtoClass = new () => object;

/**
 * Whether the compiled plan of a DTO (validators.ts records one step beside each class-validator metadata entry it
 * registers) holds every metadata entry class-validator has for it and for its nested DTOs, one step each. Only then
 * may {@link planAccepts} stand in for class-validator; a rule added some other way switches the DTO back to it.
 */
const planCovers = (dto: DtoClass, seen = new Set<DtoClass>()): boolean => {
  if (seen.has(dto)) return true;
  seen.add(dto);
  const plan = planOf(dto);
  if (!plan) return false;
  const counts = new Map<string, number>();
  // The arguments class-validator's executor passes for the options validateCommandData uses.
  for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false))
    counts.set(m.propertyName, (counts.get(m.propertyName) ?? 0) + 1);
  if (counts.size !== plan.size) return false;
  for (const [property, steps] of plan) {
    if (counts.get(property) !== steps.length) return false;
    for (const step of steps) if ('nested' in step && !planCovers(step.nested(), seen)) return false;
  }
  return true;
};

/**
 * The verdict of class-validator (with the options below: whitelist, forbidNonWhitelisted) on screened JSON data, by
 * running the DTO's own checks and conditions directly: no class-transformer instance, no metadata lookup per call
 * (together ~70 % of a valid command's validation). Only the verdict: a refused command is validated again by
 * class-validator, so every error list stays exactly what it was.
 */
export const planAccepts = (dto: DtoClass, object: Record<string, unknown>): boolean => {
  const plan = planOf(dto)!;
  for (const key of Object.keys(object)) if (!plan.has(key)) return false;
  for (const [property, steps] of plan) {
    const value = object[property];
    // Any false condition skips every rule of the property, nested ones too (class-validator's ValidateIf).
    if (steps.some((step) => 'when' in step && !step.when(object, value))) continue;
    for (const step of steps) {
      if ('check' in step && step.check(value, object) !== null) return false;
      if ('nested' in step && !(isPlainObject(value) && planAccepts(step.nested(), value))) return false;
    }
  }
  return true;
};

/** The commands whose DTOs the plan covers entirely (all of them, test/…/validate-command.spec.ts says). */
export const COMPILED_COMMANDS: ReadonlySet<PublicCommandName> = new Set(
  PUBLIC_COMMAND_NAMES.filter((name) => planCovers(COMMAND_DTOS[name])),
);

/** A copy of screened data (plain JSON values only: screen refused everything else), cheaper than structuredClone. */
const copyJson = (value: unknown): unknown => {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyJson((value as Record<string, unknown>)[key]);
  return out;
};

/**
 * Validates a command's `data` against the DTO of the command `name`. Unknown fields are errors naming the field;
 * nothing is converted (a number sent as a string is an error). Never throws.
 */
export const validateCommandData = (name: string, data: unknown): CommandDataValidation => {
  if (typeof name !== 'string' || !isPublicCommandName(name)) return { ok: false, unknownCommand: String(name) };
  const path = 'data';
  try {
    if (!isPlainObject(data)) {
      return {
        ok: false,
        errors: [
          { field: path, reason: data === undefined ? 'is required' : `must be an object, not ${kindOf(data)}` },
        ],
      };
    }
    const screened = screen(data, path);
    if (screened.length) return { ok: false, errors: capped(screened, path) };
    if (COMPILED_COMMANDS.has(name) && planAccepts(COMMAND_DTOS[name], data))
      return { ok: true, command: name, data: copyJson(data) as Record<string, unknown> };

    const instance = plainToInstance<object, Record<string, unknown>>(COMMAND_DTOS[name], data);
    const failures = validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: true },
    });
    if (failures.length) {
      const errors: FieldError[] = [];
      flatten(failures, path, errors);
      return { ok: false, errors: capped(errors, path) };
    }
    // A copy of the input, not the class instance: the command travels as plain JSON (and is hashed as such).
    return { ok: true, command: name, data: structuredClone(data) };
  } catch {
    // Screening makes this unreachable for JSON input; a validator bug must still not become a 500 with a stack.
    return { ok: false, errors: [{ field: path, reason: 'could not be validated' }] };
  }
};

/** Validates the request body `{ data: object, occurredAt?: ISO-8601, commandId?: id }`, nothing else. Never throws. */
export const validateEnvelope = (body: unknown): EnvelopeValidation => {
  if (!isPlainObject(body)) {
    const got = body === undefined ? 'nothing' : kindOf(body);
    return {
      ok: false,
      errors: [{ field: 'body', reason: `must be a JSON object { data, occurredAt?, commandId? }, not ${got}` }],
    };
  }
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!ENVELOPE_FIELDS.has(key)) errors.push({ field: child('body', key), reason: 'is not an allowed field' });
  }
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(body, key);
  const data = has('data') ? body.data : undefined;
  if (data === undefined) errors.push({ field: 'body.data', reason: 'is required' });
  else if (!isPlainObject(data)) {
    errors.push({ field: 'body.data', reason: `must be an object, not ${kindOf(data)}` });
  }
  const occurredAt = has('occurredAt') ? body.occurredAt : undefined;
  const occurredAtReason = occurredAt === undefined ? null : dateTimeReason(occurredAt);
  if (occurredAtReason) errors.push({ field: 'body.occurredAt', reason: occurredAtReason });
  const commandId = has('commandId') ? body.commandId : undefined;
  const commandIdReason = commandId === undefined ? null : idReason(commandId);
  if (commandIdReason) errors.push({ field: 'body.commandId', reason: commandIdReason });
  if (errors.length) return { ok: false, errors: capped(errors, 'body') };
  return {
    ok: true,
    data: data as Record<string, unknown>,
    ...(occurredAt !== undefined ? { occurredAt: occurredAt as string } : {}),
    ...(commandId !== undefined ? { commandId: commandId as string } : {}),
  };
};
