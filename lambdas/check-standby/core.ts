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

/** Hot/warm (and cold, once the stack is done): writable, and at the promoted class for scale-up. */
export function instanceReadiness(i: InstanceView, e: InstanceExpectations): CheckStandbyOutput {
  const promoted = !i.source;
  const scaleTarget = e.readiness === 'warm' ? e.promotedInstanceClass : undefined;
  const needsScaleUp = scaleTarget !== undefined && i.instanceClass !== scaleTarget;
  const scaled = e.phase !== 'scale-up' || scaleTarget === undefined || (i.instanceClass === scaleTarget && !i.pendingClass);
  return {
    ready: i.status === 'available' && promoted && scaled,
    status: i.status,
    endpoint: i.endpoint ?? null,
    needsScaleUp,
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
