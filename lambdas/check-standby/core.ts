/**
 * Is the promoted standby ready to take writes? Pure readings of what RDS and CloudFormation
 * report. "Not ready yet" is an answer (`ready: false`), never an error: the workflow waits and asks
 * again. Only a stack that rolled back or failed is an error (the standby will not come).
 */
import type { CheckStandbyOutput } from '../shared/contracts.js';

export interface InstanceView {
  status: string;
  /** ReadReplicaSourceDBInstanceIdentifier: set while promotion has not finished. */
  source?: string;
  instanceClass?: string;
  pendingClass?: string;
  endpoint?: string;
}

export interface InstanceExpectations {
  readiness: 'hot' | 'warm' | 'cold';
  promotedInstanceClass?: string;
  phase: 'promote' | 'scale-up';
}

/**
 * Statuses in which an instance that is no longer a read replica takes writes: it runs, and its
 * promotion's reboot is over. `backing-up` is the backup RDS takes as part of a promotion when
 * backups are turned on (docs/aws-behaviour.md, "Promotion and its backup"): the promotion is not
 * finished, but the database takes writes and the DNS name may follow it. Not `rebooting`,
 * `renaming` (its DNS name changes), nor any status where the database is down.
 */
export const WRITABLE_STATUSES: ReadonlySet<string> = new Set([
  'available',
  'backing-up',
  'modifying',
  'storage-optimization',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'maintenance',
]);

/** Hot/warm (and cold, once the stack is done): writable, and at the promoted class for scale-up. */
export function instanceReadiness(i: InstanceView, e: InstanceExpectations): CheckStandbyOutput {
  const promoted = !i.source;
  const scaleTarget = e.readiness === 'warm' ? e.promotedInstanceClass : undefined;
  const needsScaleUp = scaleTarget !== undefined && i.instanceClass !== scaleTarget;
  const scaled = e.phase !== 'scale-up' || scaleTarget === undefined || (i.instanceClass === scaleTarget && !i.pendingClass);
  const ready = i.status === 'available' && promoted && scaled;
  return {
    ready,
    status: i.status,
    endpoint: i.endpoint ?? null,
    needsScaleUp,
    writable: ready || (promoted && WRITABLE_STATUSES.has(i.status) && !!i.endpoint),
  };
}

export interface AuroraView {
  /** The standby cluster is the global cluster's writer. */
  isWriter: boolean;
  /** FailoverState.Status of the global cluster, absent when nothing runs. */
  failoverStatus?: string;
  clusterStatus: string;
  endpoint?: string;
}

/** Aurora: the standby cluster writes, no global failover is running, and the cluster is available. */
export function auroraReadiness(a: AuroraView): CheckStandbyOutput {
  return {
    ready: a.isWriter && !a.failoverStatus && a.clusterStatus === 'available',
    status: a.failoverStatus ? `global-${a.failoverStatus}` : a.isWriter ? a.clusterStatus : `${a.clusterStatus} (not yet the writer)`,
    endpoint: a.endpoint ?? null,
    needsScaleUp: false,
    writable: a.isWriter && !a.failoverStatus && a.clusterStatus === 'available',
  };
}

export type StackState = 'complete' | 'waiting' | 'failed';

/**
 * Cold standby stack: `failed` on any rollback or failure, `complete` once an operation finished
 * with the activation parameter set, `waiting` otherwise.
 */
export function coldStackState(status: string, parameterActive: boolean): StackState {
  if (status.includes('ROLLBACK') || status.includes('FAILED') || status.startsWith('DELETE_')) return 'failed';
  if (status.endsWith('_COMPLETE') && parameterActive) return 'complete';
  return 'waiting';
}
