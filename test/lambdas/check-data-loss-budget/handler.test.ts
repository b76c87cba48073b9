import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DBClusterNotFoundFault,
  DBInstanceAutomatedBackupNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/check-data-loss-budget/handler.js';
import { auroraDatabase, exampleDatabase } from '../shared/database-fixture.js';

process.env.AWS_REGION = 'us-west-2'; // the control Region: the cross-Region heartbeat's metrics
const cw = mockClient(CloudWatchClient);
const rds = mockClient(RDSClient);
beforeEach(() => {
  cw.reset();
  rds.reset();
});

const db = exampleDatabase();
const triggeredAt = '2026-06-01T10:00:30.000Z';
const replica = (extra: object = {}) => ({
  DBInstances: [
    {
      DBInstanceIdentifier: 'orders-replica',
      DBInstanceStatus: 'available',
      ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary',
      StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }],
      ...extra,
    },
  ],
});
const metric = (points: [string, number][]) => ({
  MetricDataResults: [
    { Id: 'lag', Label: 'ReplicaLag', StatusCode: 'Complete' as const, Timestamps: points.map(([t]) => new Date(t)), Values: points.map(([, v]) => v) },
  ],
});
type Query = { MetricDataQueries: Array<{ MetricStat: { Metric: { MetricName: string } } }> };
/**
 * GetMetricData answers per metric name, recording `<metric>:<Region>` of each call. HeartbeatSuccess
 * defaults to heartbeats that committed until the 09:55 period and failed after it: the onset is 09:56.
 */
const HEARTBEATS: [string, number][] = [
  ['2026-06-01T09:54:00Z', 1],
  ['2026-06-01T09:55:00Z', 1],
  ['2026-06-01T09:56:00Z', 0],
  ['2026-06-01T09:57:00Z', 0],
];
const byMetric = (points: Record<string, [string, number][] | Error>, regions: string[] = []) =>
  cw.on(GetMetricDataCommand).callsFake(async (input: Query, getClient) => {
    const name = input.MetricDataQueries[0]!.MetricStat.Metric.MetricName;
    regions.push(`${name}:${await getClient().config.region()}`);
    const answer = points[name] ?? (name === 'HeartbeatSuccess' ? HEARTBEATS : []);
    if (answer instanceof Error) throw answer;
    return metric(answer);
  });
const onset = '2026-06-01T09:56:00.000Z';
const timeout = () => Object.assign(new Error('connect timeout'), { name: 'TimeoutError' });

describe('check-data-loss-budget: RDS instances', () => {
  it('rpoEstimate strict holds the bound (the figure plus what its sample cannot see) against the budget', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    byMetric({ ReplicaLag: [['2026-06-01T09:54:00Z', 4]] });
    const strict = (budget: number) => ({ ...db, failover: { ...db.failover, rpoEstimate: 'strict' as const, rpoBudgetSeconds: budget } });
    await expect(handler({ database: strict(30), triggeredAt })).resolves.toMatchObject({
      lagSeconds: 4,
      boundSeconds: 214,
      unseenSeconds: 210,
      estimate: 'strict',
      withinBudget: false,
    });
    await expect(handler({ database: strict(214), triggeredAt })).resolves.toMatchObject({ boundSeconds: 214, withinBudget: true });
  });

  it('a run a failed heartbeat triggered counts the heartbeat timeout past its trigger (the attempt started then)', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    // no failed heartbeat on record after the onset: the trigger (10:00:30) bounds it, plus 30 s for a heartbeat trigger
    byMetric({ ReplicaLag: [['2026-06-01T09:54:00Z', 4]], HeartbeatSuccess: [['2026-06-01T09:55:00Z', 1]] });
    await expect(handler({ database: db, triggeredAt, triggerKind: 'alarm' })).resolves.toMatchObject({ unseenSeconds: 390 });
    await expect(handler({ database: db, triggeredAt, triggerKind: 'heartbeat' })).resolves.toMatchObject({ unseenSeconds: 420 });
  });

  it('reads ReplicaLag of the standby (standby Region) and OldestReplicationSlotLag of the PostgreSQL primary (primary Region) before the onset', async () => {
    const regions: string[] = [];
    rds.on(DescribeDBInstancesCommand).callsFake(async (_i, getClient) => {
      regions.push(`rds:${await getClient().config.region()}`);
      return replica();
    });
    byMetric(
      {
        ReplicaLag: [
          ['2026-06-01T10:00:00Z', 500],
          ['2026-06-01T09:57:00Z', 90],
          ['2026-06-01T09:55:00Z', 4],
          ['2026-06-01T09:54:00Z', 3],
        ],
        OldestReplicationSlotLag: [['2026-06-01T09:55:00Z', 1024]],
      },
      regions,
    );
    // The 09:55 minute is the last committed heartbeat's: the replica's lag in it may be after the failure.
    await expect(handler({ database: db, triggeredAt })).resolves.toEqual({
      lagSeconds: 3,
      boundSeconds: 213,
      unseenSeconds: 210,
      estimate: 'last-sample',
      budgetSeconds: 30,
      withinBudget: true,
      source: 'ReplicaLag',
      detail:
        'Within the 30 s budget: orders-replica was 3 s behind at 2026-06-01T09:54:00.000Z (ReplicaLag), ' +
        "the last period that ended by the start of the last committed heartbeat's period (2026-06-01T09:55:00.000Z), so before the failure: the replica's lag grows after it " +
        '(onset 2026-06-01T09:56:00.000Z: the last in-region heartbeat period with a committed heartbeat ended then; trigger at 2026-06-01T10:00:30.000Z). ' +
        "Lag that grew after that sample is not in it (rpoEstimate last-sample): at most 213 s can have been lost: the figure plus the 210 s from its period's start to 2026-06-01T09:57:30.000Z, " +
        'the latest moment the primary can have committed (the in-region heartbeat that started in the period from 2026-06-01T09:56:00.000Z failed, within its 30 s timeout), which the sample cannot see.',
    });

    expect(regions).toEqual([
      'rds:us-west-2',
      'HeartbeatSuccess:us-east-1',
      'HeartbeatSuccess:us-west-2',
      'ReplicaLag:us-west-2',
      'OldestReplicationSlotLag:us-east-1',
      'WalBytesBehind:us-east-1',
      'WalBytesBehind:us-west-2',
    ]);
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-replica' });
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: { Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-replica' }] },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date('2026-06-01T09:46:00.000Z'),
      EndTime: new Date(onset),
    });
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: {
              Namespace: 'RdsFailover',
              MetricName: 'HeartbeatSuccess',
              Dimensions: [
                { Name: 'Database', Value: 'orders' },
                { Name: 'Site', Value: 'cross-region' },
              ],
            },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date('2026-05-31T10:00:00.000Z'),
      EndTime: new Date('2026-06-01T10:01:00.000Z'),
    });
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: { Namespace: 'AWS/RDS', MetricName: 'OldestReplicationSlotLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-primary' }] },
          }),
        }),
      ],
    });
  });

  it('a quiet PostgreSQL source: ReplicaLag of 280 s with a slot lag of 0 bytes is 0 s behind', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    byMetric({ ReplicaLag: [['2026-06-01T09:55:00Z', 280]], OldestReplicationSlotLag: [['2026-06-01T09:55:00Z', 0]] });
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({ lagSeconds: 0, withinBudget: true, source: 'OldestReplicationSlotLag' });
  });

  it('a Region outage of the primary: its heartbeat record and slot metric do not answer; ReplicaLag before the onset, noted, never an error', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica({ StatusInfos: [{ StatusType: 'read replication', Normal: false, Status: 'error' }] }));
    const regions: string[] = [];
    cw.on(GetMetricDataCommand).callsFake(async (input: Query, getClient) => {
      const region = await getClient().config.region();
      const name = input.MetricDataQueries[0]!.MetricStat.Metric.MetricName;
      regions.push(`${name}:${region}`);
      if (region === 'us-east-1') throw timeout();
      // after the failure PostgreSQL's ReplicaLag grows with the time the source has been unreachable:
      // from the minute of the last committed heartbeat (09:55) on, it may be that
      return metric(
        name === 'HeartbeatSuccess'
          ? HEARTBEATS
          : [
              ['2026-06-01T09:54:00Z', 0.7],
              ['2026-06-01T09:55:00Z', 30],
              ['2026-06-01T09:58:00Z', 120],
            ],
      );
    });
    const out = await handler({ database: db, triggeredAt });
    expect(regions).toEqual([
      'HeartbeatSuccess:us-east-1',
      'HeartbeatSuccess:us-west-2',
      'ReplicaLag:us-west-2',
      'OldestReplicationSlotLag:us-east-1',
      'WalBytesBehind:us-east-1',
      'WalBytesBehind:us-west-2',
    ]);
    expect(out).toMatchObject({ lagSeconds: 0.7, withinBudget: true, source: 'ReplicaLag' });
    expect(out.detail).toContain('onset 2026-06-01T09:56:00.000Z: the last cross-region heartbeat period with a committed heartbeat ended then');
    expect(out.detail).toMatch(
      /Replication status now: error\. OldestReplicationSlotLag of orders-primary could not be read in us-east-1 \(TimeoutError\): the heartbeats' WalBytesBehind, else ReplicaLag\.$/,
    );
  });

  it("a Region outage of a quiet PostgreSQL primary: the cross-Region heartbeat's WalBytesBehind of 0 bytes (control Region) makes a ReplicaLag of 40 s 0 s behind", async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    const asked: string[] = [];
    cw.on(GetMetricDataCommand).callsFake(
      async (input: Query & { MetricDataQueries: Array<{ MetricStat: { Metric: { Namespace: string; Dimensions: unknown[] } } }> }, getClient) => {
        const region = await getClient().config.region();
        const m = input.MetricDataQueries[0]!.MetricStat.Metric;
        if (region === 'us-east-1') throw timeout();
        asked.push(`${m.Namespace}/${m.MetricName}:${JSON.stringify(m.Dimensions)}`);
        if (m.MetricName === 'HeartbeatSuccess') return metric(HEARTBEATS);
        if (m.MetricName === 'WalBytesBehind')
          return metric([
            ['2026-06-01T09:54:00Z', 0],
            ['2026-06-01T09:55:00Z', 0],
          ]);
        return metric([
          ['2026-06-01T09:55:00Z', 40],
          ['2026-06-01T09:57:00Z', 160],
        ]);
      },
    );
    const out = await handler({ database: db, triggeredAt });
    expect(out).toMatchObject({ lagSeconds: 0, withinBudget: true, source: 'WalBytesBehind' });
    expect(out.detail).toContain('the heartbeat read 0 bytes of WAL the replica had not flushed');
    expect(asked).toContain('RdsFailover/WalBytesBehind:[{"Name":"Database","Value":"orders"},{"Name":"Site","Value":"cross-region"}]');
    // WAL still to flush in that period: ReplicaLag stands.
    cw.on(GetMetricDataCommand).callsFake(async (input: Query, getClient) => {
      const region = await getClient().config.region();
      const name = input.MetricDataQueries[0]!.MetricStat.Metric.MetricName;
      if (region === 'us-east-1') throw timeout();
      if (name === 'HeartbeatSuccess') return metric(HEARTBEATS);
      if (name === 'WalBytesBehind') return metric([['2026-06-01T09:54:00Z', 8192]]);
      return metric([['2026-06-01T09:54:00Z', 40]]);
    });
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({ lagSeconds: 40, withinBudget: false, source: 'ReplicaLag' });
  });

  it('MySQL reads no slot metric', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    const regions: string[] = [];
    byMetric({ ReplicaLag: [['2026-06-01T09:54:00Z', 40]] }, regions);
    await expect(handler({ database: exampleDatabase({ engine: 'mysql' }), triggeredAt })).resolves.toMatchObject({ lagSeconds: 40, withinBudget: false });
    expect(regions).toEqual(['HeartbeatSuccess:us-east-1', 'HeartbeatSuccess:us-west-2', 'ReplicaLag:us-west-2']);
  });

  it('no heartbeat record at all: the onset is the trigger (a lag that grew after the failure may count: over, never under)', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    byMetric({
      HeartbeatSuccess: timeout(),
      ReplicaLag: [
        ['2026-06-01T09:55:00Z', 1],
        ['2026-06-01T09:59:00Z', 150],
      ],
    });
    const out = await handler({ database: db, triggeredAt });
    expect(out).toMatchObject({ lagSeconds: 150, withinBudget: false });
    expect(out.detail).toContain('no successful heartbeat on record before the trigger (in-region, cross-region not readable)');
  });

  it('a verdict that is not confirmed-down (a partition: the primary may still take writes) reads the data behind up to now, not as of the onset', async () => {
    vi.useFakeTimers({ now: new Date('2026-06-01T10:20:30.000Z'), toFake: ['Date'] });
    try {
      rds.on(DescribeDBInstancesCommand).resolves(replica());
      // 0 s behind before the onset (09:56); the replica fell an hour behind while the primary kept writing.
      byMetric({
        ReplicaLag: [
          ['2026-06-01T09:54:00Z', 0],
          ['2026-06-01T10:19:00Z', 3600],
        ],
      });
      const asOfOnset = await handler({ database: db, triggeredAt, verdict: 'confirmed-down' });
      expect(asOfOnset).toMatchObject({ lagSeconds: 0, withinBudget: true });
      const upToNow = await handler({ database: db, triggeredAt, verdict: 'ambiguous' });
      expect(upToNow).toMatchObject({ lagSeconds: 3600, withinBudget: false });
      expect(upToNow.detail).toContain('the verdict is ambiguous, not confirmed-down: the primary may still take writes');
      // The heartbeat record is not even read: the onset does not matter.
      const windows = cw
        .commandCalls(GetMetricDataCommand)
        .slice(-2)
        .map((c) => c.args[0].input.EndTime);
      expect(windows.every((t) => new Date(t!).toISOString() === '2026-06-01T10:20:30.000Z')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('within budget', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    byMetric({ ReplicaLag: [['2026-06-01T09:54:00Z', 4]] });
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({ lagSeconds: 4, withinBudget: true });
  });

  it('only -1 datapoints: null, over budget, with the replication status noted', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica({ StatusInfos: [{ StatusType: 'read replication', Normal: false, Status: 'error' }] }));
    byMetric({ ReplicaLag: [['2026-06-01T09:55:00Z', -1]] });
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({
      lagSeconds: null,
      withinBudget: false,
      detail: expect.stringMatching(/No valid ReplicaLag datapoint.*Replication status now: error\.$/),
    });
  });

  it('terminated replication: null without reading the metric', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica({ StatusInfos: [{ StatusType: 'read replication', Normal: false, Status: 'terminated' }] }));
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({
      lagSeconds: null,
      withinBudget: false,
      detail: expect.stringContaining('terminated'),
    });
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it('a standby that is not a replica: null', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica({ ReadReplicaSourceDBInstanceIdentifier: undefined, StatusInfos: [] }));
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({ lagSeconds: null, detail: expect.stringContaining('is not a read replica') });
  });

  it('a missing standby: null, and unpromotable', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-replica not found.', $metadata: { httpStatusCode: 404 } }));
    await expect(handler({ database: db, triggeredAt })).resolves.toMatchObject({
      lagSeconds: null,
      withinBudget: false,
      detail: expect.stringContaining('does not exist'),
      unpromotable: 'The standby orders-replica does not exist in its Region: there is nothing to promote.',
    });
  });

  it('a failed standby: unpromotable, without reading the metric', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica({ DBInstanceStatus: 'failed' }));
    await expect(handler({ database: db, triggeredAt, verdict: 'healthy', triggerKind: 'operator' })).resolves.toMatchObject({
      lagSeconds: null,
      withinBudget: false,
      unpromotable: 'The standby orders-replica is failed: it cannot be promoted, and waiting will not change that.',
    });
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it.each(['available', 'backing-up', 'modifying', 'rebooting'])('a standby %s can be promoted (now or by waiting): no unpromotable', async (status) => {
    rds.on(DescribeDBInstancesCommand).resolves(replica({ DBInstanceStatus: status }));
    byMetric({ ReplicaLag: [['2026-06-01T09:54:00Z', 2]] });
    const out = await handler({ database: db, triggeredAt });
    expect(out.unpromotable).toBeUndefined();
    expect(out).toMatchObject({ lagSeconds: 2, withinBudget: true });
  });

  it('RDS throttling after the SDK retries is TransientAwsError', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));
    await expect(handler({ database: db, triggeredAt })).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('rds:DescribeDBInstances failed: Throttling'),
    });
  });

  it('CloudWatch access denied is AwsCallFailedError', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    cw.on(GetMetricDataCommand).rejects(
      new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized' }),
    );
    await expect(handler({ database: db, triggeredAt })).rejects.toMatchObject({
      name: 'AwsCallFailedError',
      message: expect.stringContaining('cloudwatch:GetMetricData failed: AccessDenied'),
    });
  });

  it('CloudWatch throttling is TransientAwsError', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(replica());
    cw.on(GetMetricDataCommand).rejects(
      new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
    );
    await expect(handler({ database: db, triggeredAt })).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('check-data-loss-budget: Aurora', () => {
  it('reads AuroraGlobalDBRPOLag (ms) of the standby cluster', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-west', Status: 'available' }] });
    byMetric({
      AuroraGlobalDBRPOLag: [
        ['2026-06-01T09:54:00Z', 2500],
        ['2026-06-01T09:59:00Z', 60_000],
      ],
    });
    await expect(handler({ database: auroraDatabase(), triggeredAt })).resolves.toMatchObject({
      lagSeconds: 2.5,
      withinBudget: true,
      source: 'AuroraGlobalDBRPOLag',
    });
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraGlobalDBRPOLag', Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-west' }] },
          }),
        }),
      ],
    });
    // The standby cluster is described first (in its Region): it can be failed over to.
    expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-west' });
  });

  it.each([
    ['failed', 'The standby cluster orders-west is failed: the global database cannot fail over to it, and waiting will not change that.'],
    [
      'inaccessible-encryption-credentials',
      'The standby cluster orders-west is inaccessible-encryption-credentials: the global database cannot fail over to it, and waiting will not change that.',
    ],
  ])('a standby cluster %s is unpromotable, without reading the metric', async (status, message) => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-west', Status: status }] });
    await expect(handler({ database: auroraDatabase(), triggeredAt })).resolves.toMatchObject({ lagSeconds: null, withinBudget: false, unpromotable: message });
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it('a missing standby cluster is unpromotable', async () => {
    rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'DBCluster orders-west not found.', $metadata: { httpStatusCode: 404 } }));
    await expect(handler({ database: auroraDatabase(), triggeredAt })).resolves.toMatchObject({
      unpromotable: 'The standby cluster orders-west does not exist in its Region: there is nothing to fail over to.',
    });
  });

  it('RDS throttling of the cluster describe is TransientAwsError', async () => {
    rds
      .on(DescribeDBClustersCommand)
      .rejects(new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));
    await expect(handler({ database: auroraDatabase(), triggeredAt })).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('check-data-loss-budget: cold standbys', () => {
  const cold = exampleDatabase({
    standby: {
      region: 'us-west-2',
      readiness: 'cold',
      instanceId: undefined,
      coldStandby: { stackName: 'orders-cold', parameterName: 'Mode', activeValue: 'active' },
    },
    failover: { rpoBudgetSeconds: 600 },
  });

  it('uses the latest restorable time of the replicated backups in the standby Region', async () => {
    let region: string | undefined;
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).callsFake(async (_i, getClient) => {
      region = await getClient().config.region();
      return {
        DBInstanceAutomatedBackups: [
          {
            DBInstanceIdentifier: 'orders-primary',
            Status: 'replicating',
            RestoreWindow: { EarliestTime: new Date('2026-05-25T00:00:00Z'), LatestTime: new Date('2026-06-01T09:55:30Z') },
          },
          { DBInstanceIdentifier: 'someone-else', Status: 'replicating', RestoreWindow: { LatestTime: new Date('2026-06-01T10:00:30Z') } },
        ],
      };
    });
    await expect(handler({ database: cold, triggeredAt })).resolves.toMatchObject({ lagSeconds: 300, withinBudget: true, source: 'automated-backups' });
    expect(region).toBe('us-west-2');
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstanceAutomatedBackupsCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it('no replicated backups: null', async () => {
    rds
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .rejects(new DBInstanceAutomatedBackupNotFoundFault({ message: 'not found', $metadata: { httpStatusCode: 404 } }));
    await expect(handler({ database: cold, triggeredAt })).resolves.toMatchObject({ lagSeconds: null, withinBudget: false });
  });
});

describe('check-data-loss-budget invalid input', () => {
  it.each([
    ['a triggeredAt that is not a time', { database: db, triggeredAt: 'yesterday' }],
    ['no triggeredAt', { database: db }],
    ['no database', { triggeredAt }],
  ])('%s: InvalidInputError, nothing sent', async (_label, event) => {
    await expect(handler(event)).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(rds).not.toHaveReceivedAnyCommand();
    expect(cw).not.toHaveReceivedAnyCommand();
  });
});
