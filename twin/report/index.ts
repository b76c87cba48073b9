/** Drill reports: types, judging, terminal and HTML rendering (docs/scenarios.md "Report"). */
export * from './types.js';
export * from './judge.js';
export * from './phases.js';
export * from './config-summary.js';
export * from './text.js';
export * from './html.js';
