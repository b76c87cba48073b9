/**
 * The failback's numbers, derived once from the config (JSONPath cannot multiply): the approval
 * timeout in seconds, and the bounds of every wait loop. The bounds keep a whole failback well
 * inside Step Functions' 25,000-event history (about 11 events per loop iteration): waiting for
 * the original site ≤ ~170 checks (5 min doubling to 1 h over maxWaitHours), the rebuild one check a
 * minute, the stability window about 60 checks per window and at most 360 in all (6 windows, at
 * least 6 hours, relapses included).
 */
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-schema.js';
import type { PlanFailbackOutput } from '../shared/contracts.js';

/** Seconds between two checks of the rebuilt replica. */
export const REBUILD_CHECK_INTERVAL_SECONDS = 60;
/** Seconds between two alarm checks while a traffic step is observed. */
export const DRAIN_CHECK_INTERVAL_SECONDS = 60;
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
  return {
    aurora: isAurora(db.engine),
    approvalTimeoutSeconds: fb.approvalTimeoutHours * 3600,
    rebuild: { intervalSeconds: REBUILD_CHECK_INTERVAL_SECONDS, checks: Math.ceil((fb.rebuildTimeoutMinutes * 60) / REBUILD_CHECK_INTERVAL_SECONDS) },
    stability: { windowSeconds, intervalSeconds, checks: Math.ceil(limitSeconds / intervalSeconds) },
    drain: {
      intervalSeconds: DRAIN_CHECK_INTERVAL_SECONDS,
      steps: (traffic?.drainSteps ?? []).map((percent, index) => ({
        step: index + 1,
        percent,
        checks: Math.max(1, Math.ceil((traffic!.stepObservationMinutes * 60) / DRAIN_CHECK_INTERVAL_SECONDS)),
      })),
    },
    hasTraffic: traffic !== undefined,
  };
}
