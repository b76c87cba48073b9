/**
 * The failback's numbers, derived once from the config (JSONPath cannot multiply): the approval
 * timeout in seconds, and the bounds of every wait loop. Each loop has a fixed number of checks
 * (lambdas/shared/history-budget.ts) and the interval between them grows with the configured time,
 * so the whole failback stays well inside Step Functions' 25,000-event history for every setting:
 * the rebuild checks once a minute (longer for rebuildTimeoutMinutes over 75), the stability window
 * about 60 checks per window and at most 360 in all (6 windows, at least 6 hours, relapses
 * included), the drain once a minute (longer for drains over 4 hours in all).
 */
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import type { PlanFailbackOutput } from '../shared/contracts.js';
import { drainIntervalSeconds, rebuildIntervalSeconds } from '../shared/history-budget.js';

/** Stability checks: at most one a minute, and at most {@link MAX_STABILITY_CHECKS} in all (about 60 per window). */
export const MIN_STABILITY_INTERVAL_SECONDS = 60;
export const MAX_STABILITY_CHECKS = 360;
/** How long the stability phase may last (relapses included): 6 windows, at least 6 hours. */
export const STABILITY_LIMIT_WINDOWS = 6;
export const MIN_STABILITY_LIMIT_SECONDS = 6 * 3600;

/** The plan of one database's failback. */
export function planFailback(db: DatabaseConfig): PlanFailbackOutput {
  const fb = db.failback;
  const windowSeconds = fb.stabilityMinutes * 60;
  const limitSeconds = Math.max(MIN_STABILITY_LIMIT_SECONDS, STABILITY_LIMIT_WINDOWS * windowSeconds);
  const intervalSeconds = Math.max(MIN_STABILITY_INTERVAL_SECONDS, Math.ceil(limitSeconds / MAX_STABILITY_CHECKS));
  const traffic = db.traffic;
  const rebuildInterval = rebuildIntervalSeconds(fb.rebuildTimeoutMinutes);
  const steps = traffic?.drainSteps ?? [];
  const drainInterval = drainIntervalSeconds(steps.length, traffic?.stepObservationMinutes ?? 0);
  return {
    aurora: isAurora(db.engine),
    approvalTimeoutSeconds: fb.approvalTimeoutHours * 3600,
    rebuild: { intervalSeconds: rebuildInterval, checks: Math.ceil((fb.rebuildTimeoutMinutes * 60) / rebuildInterval) },
    stability: { windowSeconds, intervalSeconds, checks: Math.ceil(limitSeconds / intervalSeconds) },
    drain: {
      intervalSeconds: drainInterval,
      steps: steps.map((percent, index) => ({
        step: index + 1,
        percent,
        checks: Math.max(1, Math.ceil((traffic!.stepObservationMinutes * 60) / drainInterval)),
      })),
    },
    hasTraffic: traffic !== undefined,
  };
}
