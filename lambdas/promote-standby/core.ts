/**
 * Promotion decisions, from what the standby looks like now. Every decision is idempotent: work
 * already done (or under way) is reported as `done` so a re-run after a crash or a redrive
 * succeeds without calling the API again.
 */
import type { StandbyConfig } from '../shared/config-schema.js';
import { isTerminalStatus } from '../shared/instance-states.js';

/** The cold-standby settings of a standby (defaults applied). */
export type ColdStandbyConfig = NonNullable<StandbyConfig['coldStandby']>;

/** What to do next. `call` = make the API call; `done` = nothing to do (already done or under way). */
export type Decision =
  { kind: 'call'; detail: string } | { kind: 'done'; detail: string } | { kind: 'busy'; detail: string } | { kind: 'fail'; detail: string };

/** The facts of a DB instance that promotion decisions need. */
export interface InstanceFacts {
  id: string;
  status: string;
  /** ReadReplicaSourceDBInstanceIdentifier: set while the instance is still a replica. */
  source?: string;
  instanceClass?: string;
  pendingClass?: string;
}

/** States in which PromoteReadReplica is refused for now (docs/aws-behaviour.md §1: no promotion while backing-up). */
const BUSY_STATUSES = new Set(['backing-up', 'modifying']);

/** Hot/warm `promote`: promote the read replica unless it is no longer one. */
export function decideInstancePromotion(i: InstanceFacts): Decision {
  if (!i.source) return { kind: 'done', detail: `${i.id} is already promoted (no longer a read replica; status ${i.status})` };
  if (BUSY_STATUSES.has(i.status)) return { kind: 'busy', detail: `${i.id} is ${i.status}: promotion must wait` };
  if (isTerminalStatus(i.status)) return { kind: 'fail', detail: `${i.id} is ${i.status}: it cannot be promoted` };
  return { kind: 'call', detail: `promoting ${i.id} (replica of ${i.source}, status ${i.status})` };
}

/** PromoteReadReplica said "not a read replica": success if the instance is indeed promoted now. */
export function decideAfterNotAReplica(i: InstanceFacts): Decision {
  return i.source
    ? { kind: 'fail', detail: `${i.id} is refused as "not a read replica" but still reports source ${i.source}` }
    : { kind: 'done', detail: `${i.id} is already promoted (no longer a read replica; status ${i.status})` };
}

export const isNotAReplicaMessage = (message: string | undefined): boolean => /not a read replica/i.test(message ?? '');

/** Warm `scale-up`: move the promoted standby to its production class, once. */
export function decideScaleUp(i: InstanceFacts, targetClass: string): Decision {
  if (i.instanceClass === targetClass) return { kind: 'done', detail: `${i.id} is already ${targetClass}` };
  if (i.pendingClass === targetClass) return { kind: 'done', detail: `${i.id}: change to ${targetClass} already requested` };
  if (isTerminalStatus(i.status)) return { kind: 'fail', detail: `${i.id} is ${i.status}: it cannot be scaled up` };
  return { kind: 'call', detail: `scaling ${i.id} from ${i.instanceClass ?? 'unknown'} to ${targetClass}` };
}

/** The facts of an Aurora global cluster that a failover decision needs. */
export interface GlobalClusterFacts {
  id: string;
  /** FailoverState.Status; absent when no operation is running. */
  failoverStatus?: string;
  failoverTo?: string;
  members: { arn: string; isWriter: boolean }[];
}

/** Aurora: fail the global cluster over to the standby cluster unless it is the writer or a failover to it runs. */
export function decideGlobalFailover(g: GlobalClusterFacts, standbyArn: string): Decision {
  const member = g.members.find((m) => m.arn === standbyArn);
  if (g.failoverStatus) {
    if (g.failoverStatus === 'cancelling') return { kind: 'busy', detail: `a failover of ${g.id} is being cancelled` };
    if (!g.failoverTo || g.failoverTo === standbyArn) return { kind: 'done', detail: `failover of ${g.id} to ${standbyArn} already ${g.failoverStatus}` };
    return { kind: 'fail', detail: `a failover of ${g.id} to another cluster (${g.failoverTo}) is ${g.failoverStatus}` };
  }
  if (!member) return { kind: 'fail', detail: `${standbyArn} is not a member of global cluster ${g.id}` };
  if (member.isWriter) return { kind: 'done', detail: `${standbyArn} is already the writer of ${g.id}` };
  return { kind: 'call', detail: `failing ${g.id} over to ${standbyArn}` };
}

/** The facts of the cold-standby stack. */
export interface StackFacts {
  name: string;
  status: string;
  parameters: { key: string; value?: string }[];
}

/** Cold: update the stack to its active value unless it already has it. */
export function decideColdStack(s: StackFacts, cold: ColdStandbyConfig): Decision {
  const current = s.parameters.find((p) => p.key === cold.parameterName);
  if (current?.value === cold.activeValue)
    return { kind: 'done', detail: `stack ${s.name} already has ${cold.parameterName}=${cold.activeValue} (${s.status})` };
  if (!current) return { kind: 'fail', detail: `stack ${s.name} has no parameter ${cold.parameterName}` };
  if (s.status.endsWith('_IN_PROGRESS')) return { kind: 'busy', detail: `stack ${s.name} is ${s.status}` };
  if (s.status.includes('FAILED') || s.status === 'ROLLBACK_COMPLETE' || s.status.startsWith('DELETE_')) {
    return { kind: 'fail', detail: `stack ${s.name} is ${s.status}: it cannot be updated` };
  }
  return { kind: 'call', detail: `updating stack ${s.name}: ${cold.parameterName} ${current.value ?? '(empty)'} -> ${cold.activeValue}` };
}

/** UpdateStack parameters: every parameter keeps its value, except the one that activates the standby. */
export function coldStackParameters(s: StackFacts, cold: ColdStandbyConfig): { ParameterKey: string; ParameterValue?: string; UsePreviousValue?: boolean }[] {
  return s.parameters.map((p) =>
    p.key === cold.parameterName ? { ParameterKey: p.key, ParameterValue: cold.activeValue } : { ParameterKey: p.key, UsePreviousValue: true },
  );
}

/** CloudFormation's answer to an update that changes nothing. */
export const isNoUpdatesMessage = (message: string | undefined): boolean => /No updates are to be performed/i.test(message ?? '');
