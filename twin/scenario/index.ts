/** Scenario files: schema, loading, the default game day (docs/scenarios.md). */
export * from './duration.js';
export * from './schema.js';
export * from './load.js';
export * from './game-day.js';
