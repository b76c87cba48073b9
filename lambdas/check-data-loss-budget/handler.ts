/**
 * check-data-loss-budget: reads how much data the standby was behind when the failure began and
 * compares it with `rpoBudgetSeconds`. The onset is the end of the last heartbeat period in which a
 * heartbeat committed (HeartbeatSuccess of both heartbeat sites: the in-Region one in the primary's
 * Region, the cross-Region one in this Region); the figure is the last metric period ended by then.
 * Only for a confirmed-down primary: with any other verdict the primary may still take writes and
 * the figure is the last period ended by now.
 * - RDS instances (hot/warm): CloudWatch AWS/RDS ReplicaLag of the standby (standby Region), plus
 *   DescribeDBInstances of the standby (a terminated replication or a non-replica has no usable
 *   lag; a missing standby, or one in a state no promotion leaves, is `unpromotable`: the workflow
 *   then changes nothing); for PostgreSQL also OldestReplicationSlotLag of the primary (primary Region; when that
 *   Region does not answer, ReplicaLag alone, which can only over-estimate);
 * - Aurora (hot/warm): AWS/RDS AuroraGlobalDBRPOLag (ms) of the standby cluster, after
 *   DescribeDBClusters of it (missing, or in a state no failover leaves: `unpromotable`);
 * - cold standbys: the latest restorable time of the primary's automated backups replicated to the
 *   standby Region (DescribeDBInstanceAutomatedBackups).
 * AWS errors are wrapped with toFailoverError (throttling → TransientAwsError, denied → AwsCallFailedError).
 *
 * Env: AWS_REGION (the control Region: the cross-Region heartbeat's metrics); other Regions come
 * from the database config.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import { METRICS, type CheckBudgetOutput, checkBudgetInput, checkBudgetOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { defineHandler } from '../shared/handler.js';
import type { HeartbeatSite } from '../shared/names.js';
import { HEARTBEAT_TIMEOUT_SECONDS, heartbeatDimensions, WAL_BYTES_BEHIND_METRIC } from '../heartbeat/core.js';
import { auroraDataBehind, instanceDataBehind } from '../shared/data-behind.js';
import { logger } from '../shared/logger.js';
import {
  decideFromBackups,
  decideFromFigures,
  decideNoFigure,
  decideUnusableReplica,
  heartbeatWindow,
  latestCommitOf,
  type LatestCommit,
  metricWindow,
  onsetOf,
  PERIOD_SECONDS,
  clusterObstacle,
  type ClusterFacts,
  promotionObstacle,
  type HeartbeatRecord,
  type Onset,
  replicaProblem,
  type BackupFacts,
  type Datapoint,
  type ReplicaFacts,
} from './core.js';

const cloudWatch = (region: string) => regional(CloudWatchClient, region);
const rds = (region: string) => regional(RDSClient, region);

async function lagDatapoints(
  region: string,
  metric: 'ReplicaLag' | 'AuroraGlobalDBRPOLag' | 'OldestReplicationSlotLag' | typeof METRICS.heartbeat | typeof WAL_BYTES_BEHIND_METRIC,
  dimension: { Name: string; Value: string } | { Name: string; Value: string }[],
  window: { start: Date; end: Date },
  namespace = 'AWS/RDS',
  period = PERIOD_SECONDS,
): Promise<Datapoint[]> {
  const { start, end } = window;
  try {
    const out = await cloudWatch(region).send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: {
              Metric: { Namespace: namespace, MetricName: metric, Dimensions: Array.isArray(dimension) ? dimension : [dimension] },
              Period: period,
              Stat: 'Maximum',
            },
            ReturnData: true,
          },
        ],
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampDescending',
      }),
    );
    const result = out.MetricDataResults?.find((r) => r.Id === 'lag');
    const timestamps = result?.Timestamps ?? [];
    const values = result?.Values ?? [];
    return timestamps.map((t, i) => ({ timestamp: new Date(t), value: values[i] ?? Number.NaN }));
  } catch (err) {
    throw toFailoverError(err, 'cloudwatch:GetMetricData');
  }
}

/**
 * The primary's OldestReplicationSlotLag (PostgreSQL), or why it could not be read: its Region may
 * be the one that failed. Without it the heartbeats' WalBytesBehind says when nothing was behind;
 * else the figure is ReplicaLag (never an under-estimate).
 */
async function slotLag(region: string, primaryId: string, onset: Onset): Promise<{ points: Datapoint[]; note?: string }> {
  try {
    return { points: await lagDatapoints(region, 'OldestReplicationSlotLag', { Name: 'DBInstanceIdentifier', Value: primaryId }, metricWindow(onset.at)) };
  } catch (err) {
    const name = String((err as { details?: { awsError?: unknown } }).details?.awsError ?? awsErrorName(err));
    logger.warn('OldestReplicationSlotLag of the primary could not be read', { region, primaryId, error: name });
    return {
      points: [],
      note: `OldestReplicationSlotLag of ${primaryId} could not be read in ${region} (${name}): the heartbeats' WalBytesBehind, else ReplicaLag.`,
    };
  }
}

/** The two heartbeat sites and the Region each publishes in: the primary's, and this (the control) Region. */
const heartbeatSites = (database: DatabaseConfig): Array<{ site: HeartbeatSite; region: string }> => [
  { site: 'in-region', region: database.primary.region },
  { site: 'cross-region', region: ownRegion() },
];

/**
 * The heartbeats' WalBytesBehind (PostgreSQL) from both sites, in the same window: the
 * cross-Region site's stays readable when the primary's Region is out. A site whose metric
 * cannot be read adds nothing.
 */
async function walBehind(database: DatabaseConfig, onset: Onset): Promise<Datapoint[]> {
  const sites = heartbeatSites(database);
  const out: Datapoint[] = [];
  for (const { site, region } of sites) {
    try {
      out.push(...(await lagDatapoints(region, WAL_BYTES_BEHIND_METRIC, heartbeatDimensions(database.name, site), metricWindow(onset.at), METRICS.namespace)));
    } catch (err) {
      logger.warn('WalBytesBehind could not be read', {
        site,
        region,
        error: String((err as { details?: { awsError?: unknown } }).details?.awsError ?? awsErrorName(err)),
      });
    }
  }
  return out;
}

/**
 * The HeartbeatSuccess record of both heartbeat sites (the in-Region one in the primary's Region,
 * the cross-Region one in this, the control, Region): when the primary last committed a heartbeat.
 * A site whose metric cannot be read (its Region may be the one that failed) has no record.
 */
async function heartbeats(database: DatabaseConfig, triggeredAt: Date): Promise<HeartbeatRecord[]> {
  const period = PERIOD_SECONDS;
  const sites = heartbeatSites(database);
  const out: HeartbeatRecord[] = [];
  for (const { site, region } of sites) {
    try {
      const points = await lagDatapoints(
        region,
        METRICS.heartbeat,
        heartbeatDimensions(database.name, site),
        heartbeatWindow(triggeredAt, database.detection.heartbeat),
        METRICS.namespace,
        period,
      );
      out.push({ site, points });
    } catch (err) {
      logger.warn('the heartbeat record could not be read', {
        site,
        region,
        error: String((err as { details?: { awsError?: unknown } }).details?.awsError ?? awsErrorName(err)),
      });
      out.push({ site });
    }
  }
  return out;
}

async function describeReplica(region: string, instanceId: string): Promise<ReplicaFacts> {
  try {
    const out = await rds(region).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
    const instance = out.DBInstances?.[0];
    if (!instance) return { found: false };
    return {
      found: true,
      source: instance.ReadReplicaSourceDBInstanceIdentifier,
      replicationStatus: instance.StatusInfos?.find((s) => s.StatusType === 'read replication')?.Status,
      status: instance.DBInstanceStatus,
    };
  } catch (err) {
    if (['DBInstanceNotFoundFault', 'DBInstanceNotFound'].includes(awsErrorName(err))) return { found: false };
    throw toFailoverError(err, 'rds:DescribeDBInstances');
  }
}

async function describeCluster(region: string, clusterId: string): Promise<ClusterFacts> {
  try {
    const out = await rds(region).send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }));
    const cluster = out.DBClusters?.[0];
    return cluster ? { found: true, status: cluster.Status } : { found: false };
  } catch (err) {
    if (['DBClusterNotFoundFault', 'DBClusterNotFound'].includes(awsErrorName(err))) return { found: false };
    throw toFailoverError(err, 'rds:DescribeDBClusters');
  }
}

async function replicatedBackups(region: string, primaryId: string): Promise<BackupFacts[]> {
  try {
    const out = await rds(region).send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: primaryId }));
    return (out.DBInstanceAutomatedBackups ?? [])
      .filter((b) => !b.DBInstanceIdentifier || b.DBInstanceIdentifier.toLowerCase() === primaryId.toLowerCase())
      .map((b) => ({ identifier: b.DBInstanceIdentifier, status: b.Status, latestRestorableTime: b.RestoreWindow?.LatestTime }));
  } catch (err) {
    if (['DBInstanceAutomatedBackupNotFoundFault', 'DBInstanceAutomatedBackupNotFound'].includes(awsErrorName(err))) return [];
    throw toFailoverError(err, 'rds:DescribeDBInstanceAutomatedBackups');
  }
}

async function check(database: DatabaseConfig, triggeredAt: Date, verdict: string | undefined, triggerKind?: string): Promise<CheckBudgetOutput> {
  const { standby, primary } = database;
  const budget = database.failover.rpoBudgetSeconds;
  // A primary not confirmed down may still take writes: what a promotion would lose is the data
  // behind now, not at the onset.
  const estimate = database.failover.rpoEstimate;
  const now = new Date();
  const stillWriting = verdict !== undefined && verdict !== 'confirmed-down';
  // When the failure began (the figure is read as of then) and the latest moment the primary can
  // have committed (the end of what that figure cannot see).
  const onset = async (): Promise<{ onset: Onset; latestCommit: LatestCommit }> => {
    if (stillWriting) {
      return {
        onset: { at: now, basis: `the verdict is ${verdict}, not confirmed-down: the primary may still take writes, so the data behind is read up to now` },
        latestCommit: { at: now, basis: `now: the verdict is ${verdict}, the primary may still take writes` },
      };
    }
    const periodSeconds = PERIOD_SECONDS;
    const records = await heartbeats(database, triggeredAt);
    const at = onsetOf(records, triggeredAt, periodSeconds);
    return { onset: at, latestCommit: latestCommitOf(records, at, triggeredAt, periodSeconds, HEARTBEAT_TIMEOUT_SECONDS, triggerKind === 'heartbeat') };
  };
  if (standby.readiness === 'cold') {
    if (isAurora(database.engine) || !primary.instanceId) {
      return decideNoFigure(
        `A cold ${database.engine} standby has no replicated backups to measure: the data loss cannot be known, so it counts as over budget.`,
        budget,
        estimate,
      );
    }
    return decideFromBackups(
      await replicatedBackups(standby.region, primary.instanceId),
      primary.instanceId,
      { triggeredAt, now, stillWriting },
      budget,
      estimate,
    );
  }
  if (isAurora(database.engine)) {
    if (!standby.clusterId) return decideNoFigure('No clusterId is configured for the standby: the RPO lag cannot be read.', budget, estimate);
    const obstacle = clusterObstacle(standby.clusterId, await describeCluster(standby.region, standby.clusterId));
    if (obstacle) return { ...decideNoFigure(obstacle, budget, estimate), unpromotable: obstacle };
    const at = await onset();
    const points = await lagDatapoints(
      standby.region,
      'AuroraGlobalDBRPOLag',
      { Name: 'DBClusterIdentifier', Value: standby.clusterId },
      metricWindow(at.onset.at),
    );
    return decideFromFigures({
      metric: 'AuroraGlobalDBRPOLag',
      resource: standby.clusterId,
      figures: auroraDataBehind('AuroraGlobalDBRPOLag', points),
      triggeredAt,
      onset: at.onset,
      latestCommit: at.latestCommit,
      estimate,
      budgetSeconds: budget,
    });
  }
  if (!standby.instanceId) return decideNoFigure('No instanceId is configured for the standby: the replica lag cannot be read.', budget, estimate);
  const replica = await describeReplica(standby.region, standby.instanceId);
  const obstacle = promotionObstacle(standby.instanceId, replica);
  if (obstacle) return { ...decideUnusableReplica(obstacle, budget, estimate), unpromotable: obstacle };
  const problem = replicaProblem(standby.instanceId, replica);
  if (problem) return decideUnusableReplica(problem, budget, estimate);
  const { onset: at, latestCommit } = await onset();
  const points = await lagDatapoints(standby.region, 'ReplicaLag', { Name: 'DBInstanceIdentifier', Value: standby.instanceId }, metricWindow(at.at));
  const postgres = database.engine.includes('postgres');
  const slot = postgres && primary.instanceId ? await slotLag(primary.region, primary.instanceId, at) : { points: [] };
  const wal = postgres ? await walBehind(database, at) : [];
  const notes = [
    ...(replica.replicationStatus && replica.replicationStatus !== 'replicating' ? [`Replication status now: ${replica.replicationStatus}.`] : []),
    ...(slot.note ? [slot.note] : []),
  ];
  const figures = instanceDataBehind({ engine: database.engine, replicaLag: points, slotLag: slot.points, walBytesBehind: wal });
  return decideFromFigures({
    metric: 'ReplicaLag',
    resource: standby.instanceId,
    figures,
    triggeredAt,
    onset: at,
    latestCommit,
    estimate,
    budgetSeconds: budget,
    note: notes.join(' ') || undefined,
  });
}

export const handler = defineHandler('check-data-loss-budget', { input: checkBudgetInput, output: checkBudgetOutput }, async (input) => {
  const triggeredAt = new Date(input.triggeredAt);
  if (Number.isNaN(triggeredAt.getTime())) throw new InvalidInputError(`check-data-loss-budget: triggeredAt "${input.triggeredAt}" is not a timestamp`);
  return await check(input.database, triggeredAt, input.verdict, input.triggerKind);
});
