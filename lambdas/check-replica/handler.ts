/**
 * check-replica: reads the rebuilt replica of one site (or the Aurora secondary) and reports its
 * health, the stability window (healthySince, relapses) and, in `drained` mode, whether every
 * write of the fenced source has reached it. Read-only; "not yet" is never an error.
 *
 * With `reach` (the failback's stability window) an available replica is also probed as its
 * clients would reach it: every vantage point's probe function connects to its endpoint and runs
 * SELECT 1 (no write); a replica RDS calls available that no vantage point reaches is not
 * healthy, so the failback never switches the writer back to a site cut off from its clients.
 *
 * Env: RESOURCE_PREFIX (the heartbeat alarm's and the probe function's names), PROBE_FUNCTION_NAME
 * (default `${RESOURCE_PREFIX}-probe`), AWS_REGION.
 * Clients: RDS and CloudWatch in the site's Region; CloudWatch in the source's Region
 * (OldestReplicationSlotLag of a PostgreSQL source); Lambda in each vantage point's Region (the
 * probes, loaded on first use). Lag is the data behind (lambdas/shared/data-behind.ts), the same
 * figure for the stability window and the drain.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import type * as z from 'zod/mini';
import { awsErrorName, isTransient, isUnreachable, toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import { checkReplicaInput, type CheckReplicaOutput, checkReplicaOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { alarmName, probeFunctionName } from '../shared/names.js';
import { invokeProbe } from '../shared/probe-invoke.js';
import { buildProbeInput, remoteObservation } from '../probe-vantage/core.js';
import { otherRole } from '../shared/roles.js';
import { auroraDataBehind, instanceDataBehind, latestFigure, type DataBehind } from '../shared/data-behind.js';
import { drainedVerdict, FRESH_LAG_MS, healthVerdict, type AuroraSecondary, type InstanceReplica, type LagPoint, type Reach } from './core.js';

const PREFIX = process.env.RESOURCE_PREFIX || 'failover';
const PROBE_FUNCTION_NAME = process.env.PROBE_FUNCTION_NAME || probeFunctionName(PREFIX);
const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound', 'DBClusterNotFoundFault', 'DBClusterNotFound']);
const unreachable = (err: unknown): boolean => isUnreachable(err) || isTransient(err);

type CheckInput = z.output<typeof checkReplicaInput>;

/** One metric period: the query window is widened by it on both sides (CloudWatch refuses StartTime >= EndTime). */
const PERIOD_MS = 60_000;

/**
 * Datapoints (1-minute Maximum) of one RDS metric around [start, end]. The window is padded by a
 * period each side, so a first check made right after the fence (start = end = now) is a valid
 * query; callers keep only the datapoints whose period began at or after `since`.
 */
async function metric(region: string, name: string, dimension: { Name: string; Value: string }, start: Date, end: Date): Promise<LagPoint[]> {
  const cw = regional(CloudWatchClient, region);
  start = new Date(start.getTime() - PERIOD_MS);
  end = new Date(end.getTime() + PERIOD_MS);
  try {
    const out = await cw.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: name, Dimensions: [dimension] }, Period: 60, Stat: 'Maximum' },
            ReturnData: true,
          },
        ],
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampDescending',
      }),
    );
    const r = out.MetricDataResults?.find((x) => x.Id === 'lag');
    return (r?.Timestamps ?? []).map((t, i) => ({ timestamp: new Date(t), value: r?.Values?.[i] ?? NaN }));
  } catch (err) {
    throw toFailoverError(err, `cloudwatch:GetMetricData ${name}`);
  }
}

async function alarmState(region: string, name: string): Promise<string> {
  const cw = regional(CloudWatchClient, region);
  try {
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }));
    return out.MetricAlarms?.[0]?.StateValue ?? 'absent';
  } catch (err) {
    logger.warn('could not read the heartbeat alarm', { name, region, error: awsErrorName(err) });
    return 'unknown';
  }
}

async function readInstance(rds: RDSClient, id: string): Promise<InstanceReplica | 'unreachable'> {
  try {
    const i = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    if (!i) return { kind: 'instance', id, found: false };
    return {
      kind: 'instance',
      id,
      found: true,
      status: i.DBInstanceStatus ?? 'unknown',
      source: i.ReadReplicaSourceDBInstanceIdentifier || undefined,
      replication: i.StatusInfos?.find((s) => s.StatusType === 'read replication')?.Status,
      endpoint: i.Endpoint?.Address,
    };
  } catch (err) {
    if (NOT_FOUND.has(awsErrorName(err))) return { kind: 'instance', id, found: false };
    if (unreachable(err)) return 'unreachable';
    throw toFailoverError(err, `DescribeDBInstances ${id}`);
  }
}

async function readAurora(rds: RDSClient, id: string, globalId: string): Promise<AuroraSecondary | 'unreachable'> {
  try {
    const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
    if (!c) return { kind: 'aurora', id, found: false };
    const g = (await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }))).GlobalClusters?.[0];
    const m = g?.GlobalClusterMembers?.find((x) => x.DBClusterArn === c.DBClusterArn);
    return { kind: 'aurora', id, found: true, status: c.Status ?? 'unknown', member: m ? { isWriter: m.IsWriter === true } : undefined, endpoint: c.Endpoint };
  } catch (err) {
    if (NOT_FOUND.has(awsErrorName(err))) return { kind: 'aurora', id, found: false };
    if (unreachable(err)) return 'unreachable';
    throw toFailoverError(err, `DescribeDBClusters ${id}`);
  }
}

/**
 * Whether clients reach the replica's endpoint: the probe function of every vantage point connects
 * at once and runs SELECT 1, writing nothing. One that answers is enough: a partition between some
 * vantage points and the site says nothing of its clients, while a site no vantage point reaches
 * cannot be observed (nor writes there verified). The answer names a vantage point that reached it
 * (else the first, those in the site's Region first).
 */
async function probe(db: DatabaseConfig, role: 'primary' | 'standby', endpoint: string): Promise<Reach | undefined> {
  const site = db[role];
  const vantages = [...db.detection.vantagePoints].sort((a, b) => Number(b.region === site.region) - Number(a.region === site.region));
  if (vantages.length === 0) return undefined;
  const seen = await Promise.all(
    vantages.map(async (vantage) => {
      const input = buildProbeInput(db, vantage.name, { host: endpoint, ...(site.port ? { port: site.port } : {}), write: false });
      return { vantage, seen: remoteObservation(vantage, 1, await invokeProbe(PROBE_FUNCTION_NAME, vantage.region, input), 0) };
    }),
  );
  const pick = seen.find((x) => x.seen.status === 'up') ?? seen[0]!;
  const reach: Reach = { status: pick.seen.status, vantage: pick.vantage.name, endpoint, ...(pick.seen.error ? { error: pick.seen.error } : {}) };
  if (reach.status !== 'up') logger.warn('no vantage point reaches the replica', { database: db.name, site: role, vantagePoints: seen.length, ...reach });
  return reach;
}

export const handler = defineHandler('check-replica', { input: checkReplicaInput, output: checkReplicaOutput }, async (input) => {
  const out = await check(input, new Date());
  logger.info('replica checked', { database: input.database.name, site: input.site, mode: input.mode, ...out });
  return out;
});

async function check(input: CheckInput, now: Date): Promise<CheckReplicaOutput> {
  const db: DatabaseConfig = input.database;
  const site = db[input.site];
  const other = db[otherRole(input.site)];
  const aurora = isAurora(db.engine);
  const id = aurora ? site.clusterId : site.instanceId;
  const sourceId = aurora ? other.clusterId : other.instanceId;
  if (!id || !sourceId) throw new InvalidInputError(`check-replica: both sites need ${aurora ? 'a clusterId' : 'an instanceId'}`);
  const rds = regional(RDSClient, site.region);
  const read = aurora ? await readAurora(rds, id, site.globalClusterId ?? db.primary.globalClusterId ?? '') : await readInstance(rds, id);
  const replica = read === 'unreachable' ? ({ kind: aurora ? 'aurora' : 'instance', id, found: false } as InstanceReplica | AuroraSecondary) : read;
  const lagMetric = aurora ? 'AuroraGlobalDBReplicationLag' : 'ReplicaLag';
  const dimension = { Name: aurora ? 'DBClusterIdentifier' : 'DBInstanceIdentifier', Value: id };
  const name = alarmName(PREFIX, db.name, 'in-region');

  /**
   * The data behind per period from `from` (shared/data-behind.ts), the same measure for the
   * stability window and the drain: ReplicaLag of the replica; for PostgreSQL, the source's
   * OldestReplicationSlotLag of 0 overrules it (ReplicaLag is the time since the last replayed
   * commit, which grows on a quiet source).
   */
  const figuresFrom = async (from: Date): Promise<DataBehind[]> => {
    if (read === 'unreachable') return [];
    const points = await metric(site.region, lagMetric, dimension, from, now);
    if (aurora) return auroraDataBehind('AuroraGlobalDBReplicationLag', points);
    // The source's Region may not answer: then ReplicaLag alone (it can only over-estimate).
    const slot = db.engine.includes('postgres')
      ? await metric(other.region, 'OldestReplicationSlotLag', { Name: 'DBInstanceIdentifier', Value: sourceId }, from, now).catch((err: unknown) => {
          logger.warn('OldestReplicationSlotLag of the source could not be read', { region: other.region, sourceId, error: awsErrorName(err) });
          return [] as LagPoint[];
        })
      : [];
    return instanceDataBehind({ engine: db.engine, replicaLag: points, slotLag: slot });
  };

  if (input.mode === 'drained') {
    if (aurora) throw new InvalidInputError('check-replica: drained mode is for instance replicas (an Aurora switchover synchronizes by itself)');
    const since = input.since ? new Date(input.since) : now;
    if (!Number.isFinite(since.getTime())) throw new InvalidInputError(`check-replica: since is not a time: ${input.since}`);
    const figure = latestFigure(await figuresFrom(since), { notBefore: since });
    return drainedVerdict({ replica, regionAnswers: read !== 'unreachable', figure, since, relapses: input.relapses });
  }

  const fresh = new Date(now.getTime() - FRESH_LAG_MS);
  const figure = latestFigure(await figuresFrom(fresh), { notBefore: fresh });
  const alarm = read === 'unreachable' ? 'unknown' : await alarmState(site.region, name);
  const reach =
    input.reach && read !== 'unreachable' && read.found && read.status === 'available' && read.endpoint
      ? await probe(db, input.site, read.endpoint)
      : undefined;
  return healthVerdict({
    reach,
    replica,
    source: { region: other.region, id: sourceId },
    figure,
    lagMetric,
    maxLagSeconds: db.failback.maxLagSeconds,
    alarm,
    alarmName: name,
    regionAnswers: read !== 'unreachable',
    healthySince: input.healthySince,
    relapses: input.relapses,
    now,
    windowSeconds: db.failback.stabilityMinutes * 60,
  });
}
