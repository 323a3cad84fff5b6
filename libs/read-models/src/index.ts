export * from './read-models';
export * from './db/read-model-db';
export * from './runner/projection';
export * from './runner/projection-runner';
export * from './custody/custody.queries';
export * from './violations/violations.queries';
export * from './incidents/incidents.queries';
