/**
 * The errors the workflows raise themselves (a Fail state's Error, or the `Error` a Pass puts at
 * `$.error` before the escalation) and the failback's endings (`$.ending.outcome`): typed constants,
 * so the builders, the tests and the twin name them one way. The functions' own errors, which
 * Retry/Catch use, are in lambdas/shared/errors.ts (ERROR_NAMES).
 */
export const WORKFLOW_ERRORS = {
  /** An approval question expired unanswered (nothing changed; the lease is released). */
  approvalTimedOut: 'ApprovalTimedOut',
  /** The lease is held by a run that has stopped (crashed, stopped by hand, escalated). */
  leaseHeldByStoppedRun: 'LeaseHeldByStoppedRun',
  /** No standby to promote: the former primary was not rebuilt as a replica yet. */
  noStandby: 'NoStandby',
  /** The standby cannot be promoted (missing, failed, storage-full, ...): nothing was changed. */
  standbyUnpromotable: 'StandbyUnpromotable',
  /** The standby did not take writes (or scale up) within its bound. */
  standbyNotReady: 'StandbyNotReady',
  /** The original site did not answer within failback.maxWaitHours. */
  originalSiteDidNotComeBack: 'OriginalSiteDidNotComeBack',
  /** The original site never stayed healthy for the whole stability window. */
  originalSiteNotStable: 'OriginalSiteNotStable',
  /** The failback could not take the lease again to act: another run held it throughout. */
  leaseStillTaken: 'LeaseStillTaken',
  /** The rebuilt replica did not catch up within failback.rebuildTimeoutMinutes. */
  replicaNotCaughtUp: 'ReplicaNotCaughtUp',
  /** A replica did not get its parameter group in time (the rebuilt original site). */
  replicaParameterGroupNotApplied: 'ReplicaParameterGroupNotApplied',
  /** The new standby (the other side, rebuilt after the failback) did not get its parameter group in time. */
  newStandbyParameterGroupNotApplied: 'NewStandbyParameterGroupNotApplied',
  /** The new standby did not become healthy in time. */
  newStandbyNotReady: 'NewStandbyNotReady',
  /** An old primary was not preserved (snapshot, rename) in time. */
  oldPrimaryNotPreserved: 'OldPrimaryNotPreserved',
  /** A fence the run needs could not be confirmed. */
  fenceNotConfirmed: 'FenceNotConfirmed',
  /** The replica did not show a lag of 0 after the switchover's fence. */
  replicaNotDrained: 'ReplicaNotDrained',
  /** The original site did not take writes within the bounded checks. */
  originalSiteNotWritable: 'OriginalSiteNotWritable',
  /** An alarm fired while traffic was shifted back (the drain rolls back). */
  trafficAlarm: 'TrafficAlarm',
} as const;
export type WorkflowError = (typeof WORKFLOW_ERRORS)[keyof typeof WORKFLOW_ERRORS];

/** How a failback run ends once it holds the lease (`$.ending.outcome`; the lease is released). */
export const FAILBACK_ENDINGS = {
  failedBack: 'failed-back',
  swapped: 'swapped',
  rejected: 'rejected',
  rolledBack: 'rolled-back',
  rolesChanged: 'roles-changed',
  /** Anything else: the run fails with `$.ending.Error` (nothing half-done). */
  stopped: 'stopped',
} as const;
export type FailbackEnding = (typeof FAILBACK_ENDINGS)[keyof typeof FAILBACK_ENDINGS];
