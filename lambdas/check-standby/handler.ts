/**
 * check-standby: is the promoted standby writable yet (and, for a warm standby's scale-up, at its
 * production class)? Polled by the workflow after promote-standby. Never throws for "not ready
 * yet"; throttling is TransientAwsError; a cold-standby stack that rolled back or failed, or a
 * standby that does not exist, is PromotionFailedError.
 *
 * Env: none beyond AWS_REGION. Clients: RDS and CloudFormation in the standby's Region.
 */
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import type * as z from 'zod/mini';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import { checkStandbyInput, type CheckStandbyOutput, checkStandbyOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { PromotionFailedError, type FailoverError } from '../shared/errors.js';
import { lazy } from '../shared/lazy.js';
import { logger } from '../shared/logger.js';
import { auroraReadiness, coldStackState, instanceReadiness, type InstanceView } from './core.js';

const cloudFormationSdk = lazy(() => import('@aws-sdk/client-cloudformation'));

type CheckInput = z.output<typeof checkStandbyInput>;

const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound', 'DBClusterNotFoundFault', 'DBClusterNotFound', 'GlobalClusterNotFoundFault']);

/** A missing standby will not appear by waiting: PromotionFailedError; the rest as classified. */
function toCheckError(err: unknown, operation: string): FailoverError {
  if (NOT_FOUND.has(awsErrorName(err)))
    return new PromotionFailedError(`${operation} failed: the standby does not exist (${awsErrorName(err)})`, { operation }, { cause: err });
  if (awsErrorName(err) === 'ValidationError' && /does not exist/i.test((err as Error).message ?? '')) {
    return new PromotionFailedError(`${operation} failed: ${(err as Error).message}`, { operation }, { cause: err });
  }
  return toFailoverError(err, operation);
}

export const handler = defineHandler('check-standby', { input: checkStandbyInput, output: checkStandbyOutput }, async (input) => {
  const db = input.database;
  const out = isAurora(db.engine) ? await checkAurora(db) : db.standby.readiness === 'cold' ? await checkCold(input) : await checkInstance(input);
  logger.info('standby checked', { database: db.name, phase: input.phase, ...out });
  return out;
});

async function describeInstance(rds: RDSClient, id: string): Promise<InstanceView> {
  let found;
  try {
    found = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    throw toCheckError(err, `DescribeDBInstances ${id}`);
  }
  if (!found) throw new PromotionFailedError(`DescribeDBInstances ${id} returned no instance`);
  return {
    status: found.DBInstanceStatus ?? 'unknown',
    source: found.ReadReplicaSourceDBInstanceIdentifier || undefined,
    instanceClass: found.DBInstanceClass,
    pendingClass: found.PendingModifiedValues?.DBInstanceClass,
    endpoint: found.Endpoint?.Address,
  };
}

function standbyInstanceId(db: DatabaseConfig): string {
  if (!db.standby.instanceId) throw new PromotionFailedError(`database ${db.name}: the standby has no instanceId configured`);
  return db.standby.instanceId;
}

async function checkInstance(input: CheckInput): Promise<CheckStandbyOutput> {
  const db = input.database;
  const view = await describeInstance(regional(RDSClient, db.standby.region), standbyInstanceId(db));
  return instanceReadiness(view, { readiness: db.standby.readiness, promotedInstanceClass: db.standby.promotedInstanceClass, phase: input.phase });
}

async function checkAurora(db: DatabaseConfig): Promise<CheckStandbyOutput> {
  const clusterId = db.standby.clusterId;
  const globalId = db.standby.globalClusterId ?? db.primary.globalClusterId;
  if (!clusterId || !globalId) throw new PromotionFailedError(`database ${db.name}: Aurora needs standby.clusterId and globalClusterId`);
  const rds = regional(RDSClient, db.standby.region);
  let cluster;
  let global;
  try {
    cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }))).DBClusters?.[0];
  } catch (err) {
    throw toCheckError(err, `DescribeDBClusters ${clusterId}`);
  }
  if (!cluster) throw new PromotionFailedError(`DescribeDBClusters ${clusterId} returned no cluster`);
  try {
    global = (await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }))).GlobalClusters?.[0];
  } catch (err) {
    throw toCheckError(err, `DescribeGlobalClusters ${globalId}`);
  }
  const member = global?.GlobalClusterMembers?.find((m) => m.DBClusterArn === cluster.DBClusterArn);
  return auroraReadiness({
    isWriter: member?.IsWriter === true,
    failoverStatus: global?.FailoverState?.Status || undefined,
    clusterStatus: cluster.Status ?? 'unknown',
    endpoint: cluster.Endpoint,
  });
}

async function checkCold(input: CheckInput): Promise<CheckStandbyOutput> {
  const db = input.database;
  const cold = db.standby.coldStandby;
  if (!cold) throw new PromotionFailedError(`database ${db.name}: a cold standby needs standby.coldStandby.stackName`);
  // Only a cold standby has a stack to read: the CloudFormation client is imported here alone.
  const { CloudFormationClient, DescribeStacksCommand } = await cloudFormationSdk();
  const cfn = regional(CloudFormationClient, db.standby.region);
  let stack;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: cold.stackName }))).Stacks?.[0];
  } catch (err) {
    throw toCheckError(err, `DescribeStacks ${cold.stackName}`);
  }
  if (!stack) throw new PromotionFailedError(`DescribeStacks ${cold.stackName} returned no stack`);
  const status = stack.StackStatus ?? 'UNKNOWN';
  const active = (stack.Parameters ?? []).some((p) => p.ParameterKey === cold.parameterName && p.ParameterValue === cold.activeValue);
  const state = coldStackState(status, active);
  if (state === 'failed') {
    throw new PromotionFailedError(`cold standby stack ${cold.stackName} is ${status}${stack.StackStatusReason ? `: ${stack.StackStatusReason}` : ''}`, {
      stack: cold.stackName,
      status,
    });
  }
  if (state === 'waiting')
    return {
      ready: false,
      status: active ? status : `${status} (${cold.parameterName} not yet ${cold.activeValue})`,
      endpoint: null,
      needsScaleUp: false,
      writable: false,
    };
  const view = await describeInstance(regional(RDSClient, db.standby.region), standbyInstanceId(db));
  // A replica (the instance a failback rebuilt as the new standby) takes no writes until promoted.
  const standalone = view.status === 'available' && !view.source;
  return {
    ready: standalone,
    status: view.source ? `${view.status} (still a read replica)` : view.status,
    endpoint: view.endpoint ?? null,
    needsScaleUp: false,
    writable: standalone,
  };
}
