/** The kit both workflow builders are made of (lib/workflow/failover.ts, lib/workflow/failback.ts). */
export * from './approval.js';
export * from './escalation.js';
export * from './loop.js';
export * from './names.js';
export * from './phases.js';
export * from './redelivery.js';
export * from './step.js';
