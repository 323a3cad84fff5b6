import type { Reflector } from '@nestjs/core';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- handlers and classes are what Nest keys metadata on
export type Target = Function;

/**
 * `reflector.getAllAndOverride(key, [handler, class])`, remembered per handler and class. Route metadata is written
 * by decorators when the classes are defined, before the application starts, and never changes afterwards; looking it
 * up walks both prototype chains through reflect-metadata, which the guards did several times on every request.
 */
export const routeMetadata = <T>(reflector: Reflector, key: string): ((handler: Target, classRef: Target) => T) => {
  const byHandler = new WeakMap<Target, Map<Target, T>>();
  return (handler, classRef) => {
    let byClass = byHandler.get(handler);
    if (byClass === undefined) byHandler.set(handler, (byClass = new Map<Target, T>()));
    if (byClass.has(classRef)) return byClass.get(classRef)!;
    const value = reflector.getAllAndOverride<T>(key, [handler, classRef]);
    byClass.set(classRef, value);
    return value;
  };
};
