/** Input checks shared by the person, place, incident, inventory and violation deciders (400/404, never facts). */
import type { DecisionContext, DomainEvent, StreamEvents } from '../shared/command';
import { InvalidCommand, UnknownReference } from '../shared/errors';
import { isInstant } from '../shared/calendar';

/** A required, non-blank string field. */
export const requireText = (data: Record<string, unknown>, field: string): string => {
  const v = data[field];
  if (typeof v !== 'string' || v.trim() === '') throw new InvalidCommand(field, 'is required');
  return v;
};

/** A required ISO-8601 instant. */
export const requireInstant = (data: Record<string, unknown>, field: string): string => {
  const v = data[field];
  if (!isInstant(v)) throw new InvalidCommand(field, 'must be an ISO-8601 instant');
  return v;
};

/** One of a closed vocabulary. */
export const requireOneOf = <T extends string>(
  data: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T => {
  const v = data[field];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidCommand(field, `must be one of ${allowed.join(', ')}`);
  }
  return v as T;
};

/** A stream that was loaded and has at least one event (revision -1: it does not exist). */
export const streamExists = (ctx: DecisionContext, streamId: string): boolean =>
  (ctx.streams[streamId]?.revision ?? -1) >= 0;

/** The folded state of a loaded stream (the caller's plan asked for it). */
export const stateOf = <S>(ctx: DecisionContext, streamId: string): S => {
  const loaded = ctx.streams[streamId];
  if (!loaded) throw new Error(`stream ${streamId} was not loaded: the plan must ask for it`);
  return loaded.state as S;
};

/** Throws UnknownReference unless the stream exists. */
export const requireStream = (
  ctx: DecisionContext,
  streamId: string,
  code: UnknownReference['code'],
  field: string,
  id: string,
): void => {
  if (!streamExists(ctx, streamId)) throw new UnknownReference(code, field, id);
};

/**
 * One stream's write, or none when there is nothing to append. Typed events (whose data are interfaces) are
 * widened here, once, to the store's `DomainEvent`.
 */
export const writeTo = (streamId: string, events: ReadonlyArray<{ type: string; data: object }>): StreamEvents[] =>
  events.length === 0 ? [] : [{ streamId, events: events as unknown as DomainEvent[] }];
