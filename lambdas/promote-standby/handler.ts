/**
 * promote-standby: makes the standby writable, idempotently (a re-run after the work was done
 * or started reports `started: false`).
 *  - hot/warm, phase promote: PromoteReadReplica (backups turned on: replicas start without);
 *  - warm, phase scale-up: ModifyDBInstance to `promotedInstanceClass`, applied immediately;
 *  - Aurora: FailoverGlobalCluster to the standby cluster (global cluster APIs in the standby Region);
 *  - cold: UpdateStack of the cold-standby stack with its activation parameter.
 * Busy states are ResourceBusyError, throttling TransientAwsError (both retried); a standby that
 * cannot be promoted (missing, access denied, wrong state) is PromotionFailedError.
 *
 * Env: none beyond AWS_REGION. Clients: RDS and CloudFormation in the standby's Region.
 */
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type * as z from 'zod/mini';
import { awsErrorName, toFailoverError, type AwsErrorLike } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import { promoteInput, promoteOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { AwsCallFailedError, PromotionFailedError, ResourceBusyError, type FailoverError } from '../shared/errors.js';
import { lazy } from '../shared/lazy.js';
import { logger } from '../shared/logger.js';
import {
  coldStackParameters,
  decideAfterNotAReplica,
  decideColdStack,
  decideGlobalFailover,
  decideInstancePromotion,
  decideScaleUp,
  isNoUpdatesMessage,
  isNotAReplicaMessage,
  type Decision,
  type InstanceFacts,
  type StackFacts,
} from './core.js';

const cloudFormationSdk = lazy(() => import('@aws-sdk/client-cloudformation'));

type PromoteInput = z.output<typeof promoteInput>;
type PromoteOutput = z.output<typeof promoteOutput>;

/** Backups kept on the promoted standby (a replica has none; the new primary needs them). */
export const PROMOTED_BACKUP_RETENTION_DAYS = 7;

/** Transient stays transient, busy stays busy, every other AWS failure means the standby cannot be promoted. */
export function toPromoteError(err: unknown, operation: string): FailoverError {
  const e = toFailoverError(err, operation, true);
  return e instanceof AwsCallFailedError ? new PromotionFailedError(e.message, e.details, { cause: e.cause }) : e;
}

/** Turns a non-call decision into the output (done) or the error (busy, fail). */
function settle(decision: Decision, action: PromoteOutput['action'], target: PromoteOutput['target']): PromoteOutput {
  if (decision.kind === 'busy') throw new ResourceBusyError(decision.detail, { target: target.id });
  if (decision.kind === 'fail') throw new PromotionFailedError(decision.detail, { target: target.id });
  return { action, started: false, target, detail: decision.detail };
}

export const handler = defineHandler('promote-standby', { input: promoteInput, output: promoteOutput }, async (input) => {
  const db = input.database;
  const out = isAurora(db.engine)
    ? await promoteAurora(input)
    : db.standby.readiness === 'cold'
      ? await promoteCold(input)
      : input.phase === 'scale-up'
        ? await scaleUp(db)
        : await promoteReplica(db);
  logger.info('promote-standby', { database: db.name, incidentId: input.incidentId, epoch: input.epoch, phase: input.phase, ...out });
  return out;
});

async function describeInstance(rds: RDSClient, id: string): Promise<InstanceFacts> {
  let found;
  try {
    found = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    throw toPromoteError(err, `DescribeDBInstances ${id}`);
  }
  if (!found) throw new PromotionFailedError(`DescribeDBInstances ${id} returned no instance`);
  return {
    id,
    status: found.DBInstanceStatus ?? 'unknown',
    source: found.ReadReplicaSourceDBInstanceIdentifier || undefined,
    instanceClass: found.DBInstanceClass,
    pendingClass: found.PendingModifiedValues?.DBInstanceClass,
  };
}

function standbyInstanceId(db: DatabaseConfig): string {
  if (!db.standby.instanceId) throw new PromotionFailedError(`database ${db.name}: the standby has no instanceId configured`);
  return db.standby.instanceId;
}

async function promoteReplica(db: DatabaseConfig): Promise<PromoteOutput> {
  const id = standbyInstanceId(db);
  const rds = regional(RDSClient, db.standby.region);
  const target = { region: db.standby.region, id };
  const decision = decideInstancePromotion(await describeInstance(rds, id));
  if (decision.kind !== 'call') return settle(decision, 'PromoteReadReplica', target);
  try {
    await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: id, BackupRetentionPeriod: PROMOTED_BACKUP_RETENTION_DAYS }));
  } catch (err) {
    const name = awsErrorName(err);
    if ((name === 'InvalidDBInstanceStateFault' || name === 'InvalidDBInstanceState') && isNotAReplicaMessage((err as AwsErrorLike).message)) {
      return settle(decideAfterNotAReplica(await describeInstance(rds, id)), 'PromoteReadReplica', target);
    }
    throw toPromoteError(err, `PromoteReadReplica ${id}`);
  }
  return { action: 'PromoteReadReplica', started: true, target, detail: decision.detail };
}

async function scaleUp(db: DatabaseConfig): Promise<PromoteOutput> {
  const id = standbyInstanceId(db);
  const target = { region: db.standby.region, id };
  const targetClass = db.standby.promotedInstanceClass;
  if (db.standby.readiness !== 'warm' || !targetClass) {
    return { action: 'none', started: false, target, detail: `${db.standby.readiness} standby without promotedInstanceClass: no scale-up` };
  }
  const rds = regional(RDSClient, db.standby.region);
  const decision = decideScaleUp(await describeInstance(rds, id), targetClass);
  if (decision.kind !== 'call') return settle(decision, 'ModifyDBInstance', target);
  try {
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DBInstanceClass: targetClass, ApplyImmediately: true }));
  } catch (err) {
    throw toPromoteError(err, `ModifyDBInstance ${id}`);
  }
  return { action: 'ModifyDBInstance', started: true, target, detail: decision.detail };
}

async function promoteAurora(input: PromoteInput): Promise<PromoteOutput> {
  const db = input.database;
  const clusterId = db.standby.clusterId;
  const globalId = db.standby.globalClusterId ?? db.primary.globalClusterId;
  if (!clusterId || !globalId) throw new PromotionFailedError(`database ${db.name}: Aurora needs standby.clusterId and globalClusterId`);
  const target = { region: db.standby.region, id: clusterId };
  if (input.phase === 'scale-up') return { action: 'none', started: false, target, detail: 'Aurora: no scale-up phase' };
  const rds = regional(RDSClient, db.standby.region);

  let standbyArn: string | undefined;
  try {
    standbyArn = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }))).DBClusters?.[0]?.DBClusterArn;
  } catch (err) {
    throw toPromoteError(err, `DescribeDBClusters ${clusterId}`);
  }
  if (!standbyArn) throw new PromotionFailedError(`DescribeDBClusters ${clusterId} returned no cluster ARN`);

  let global;
  try {
    global = (await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }))).GlobalClusters?.[0];
  } catch (err) {
    throw toPromoteError(err, `DescribeGlobalClusters ${globalId}`);
  }
  if (!global) throw new PromotionFailedError(`DescribeGlobalClusters ${globalId} returned no global cluster`);
  const decision = decideGlobalFailover(
    {
      id: globalId,
      failoverStatus: global.FailoverState?.Status || undefined,
      failoverTo: global.FailoverState?.ToDbClusterArn || undefined,
      members: (global.GlobalClusterMembers ?? []).map((m) => ({ arn: m.DBClusterArn ?? '', isWriter: m.IsWriter === true })),
    },
    standbyArn,
  );
  if (decision.kind !== 'call') return settle(decision, 'FailoverGlobalCluster', target);
  try {
    await rds.send(
      // AllowDataLoss and Switchover together are refused (InvalidParameterCombination): exactly
      // one of them, so the meaning is explicit (docs/aws-behaviour.md, "Aurora global failover").
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: globalId,
        TargetDbClusterIdentifier: standbyArn,
        ...(input.allowDataLoss ? { AllowDataLoss: true } : { Switchover: true }),
      }),
    );
  } catch (err) {
    throw toPromoteError(err, `FailoverGlobalCluster ${globalId}`);
  }
  return { action: 'FailoverGlobalCluster', started: true, target, detail: `${decision.detail}${input.allowDataLoss ? ' (data loss allowed)' : ''}` };
}

async function promoteCold(input: PromoteInput): Promise<PromoteOutput> {
  const db = input.database;
  const cold = db.standby.coldStandby;
  if (!cold) throw new PromotionFailedError(`database ${db.name}: a cold standby needs standby.coldStandby.stackName`);
  const target = { region: db.standby.region, id: cold.stackName };
  if (input.phase === 'scale-up') return { action: 'none', started: false, target, detail: 'cold standby: no scale-up phase' };
  // Only a cold standby has a stack to activate: the CloudFormation client is imported here alone.
  const { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } = await cloudFormationSdk();
  const cfn = regional(CloudFormationClient, db.standby.region);

  let stack;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: cold.stackName }))).Stacks?.[0];
  } catch (err) {
    throw toPromoteError(err, `DescribeStacks ${cold.stackName}`);
  }
  if (!stack) throw new PromotionFailedError(`DescribeStacks ${cold.stackName} returned no stack`);
  const facts: StackFacts = {
    name: cold.stackName,
    status: stack.StackStatus ?? 'UNKNOWN',
    parameters: (stack.Parameters ?? []).map((p) => ({ key: p.ParameterKey ?? '', value: p.ParameterValue })),
  };
  const decision = decideColdStack(facts, cold);
  if (decision.kind === 'done' && db.standby.instanceId) {
    // An active stack whose instance a failback rebuilt as a replica of the original site (its new
    // standby): activating the stack again changes nothing; the replica itself is promoted.
    const rds = regional(RDSClient, db.standby.region);
    const instance = await describeInstance(rds, db.standby.instanceId).catch(() => undefined);
    if (instance?.source) return promoteReplica(db);
  }
  if (decision.kind !== 'call') return settle(decision, 'UpdateStack', target);
  try {
    await cfn.send(
      new UpdateStackCommand({
        StackName: cold.stackName,
        UsePreviousTemplate: true,
        Parameters: coldStackParameters(facts, cold),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
        // The update restores the database as this service role, not with this function's own
        // narrow permissions (docs/aws-behaviour.md "CloudFormation service roles").
        ...(cold.serviceRoleArn ? { RoleARN: cold.serviceRoleArn } : {}),
      }),
    );
  } catch (err) {
    if (awsErrorName(err) === 'ValidationError' && isNoUpdatesMessage((err as AwsErrorLike).message)) {
      return { action: 'UpdateStack', started: false, target, detail: `stack ${cold.stackName}: no updates to perform (already active)` };
    }
    if (awsErrorName(err) === 'ValidationError' && /_IN_PROGRESS state/i.test((err as AwsErrorLike).message ?? '')) {
      throw new ResourceBusyError(`UpdateStack ${cold.stackName}: ${(err as AwsErrorLike).message}`, { target: cold.stackName });
    }
    throw toPromoteError(err, `UpdateStack ${cold.stackName}`);
  }
  return { action: 'UpdateStack', started: true, target, detail: decision.detail };
}
