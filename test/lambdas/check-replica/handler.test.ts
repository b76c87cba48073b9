import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
process.env.RESOURCE_PREFIX = 'failover';
const { handler } = await import('../../../lambdas/check-replica/handler.js');
const rds = mockClient(RDSClient);
const cw = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);
/** The probe function's answer for the replica's endpoint. */
/** Every vantage point's probe answers `status`, except those named in `up` (they answer up). */
const probeAnswers = (status: 'up' | 'down', error?: string, up: string[] = []) =>
  lambda.on(InvokeCommand).callsFake((input: { Payload: Uint8Array }) => {
    const { vantage } = JSON.parse(new TextDecoder().decode(input.Payload)) as { vantage: string };
    const region = view.detection.vantagePoints.find((v) => v.name === vantage)!.region;
    const answer = up.includes(vantage) ? 'up' : status;
    return {
      StatusCode: 200,
      Payload: new TextEncoder().encode(
        JSON.stringify({ vantage, region, status: answer, wrote: false, tcp: answer === 'up', latencyMs: 12, ...(error && answer !== 'up' ? { error } : {}) }),
      ) as unknown as InvokeCommandOutput['Payload'],
    };
  });
const NOW = new Date('2026-04-01T12:30:00.000Z');
const SOURCE_ARN = 'arn:aws:rds:us-west-2:123456789012:db:orders-replica';
const view = currentRoles(hotDb(), 'standby');
const event = (over: Record<string, unknown> = {}) => ({ database: view, site: 'standby', ...over });
const metric = (byName: Record<string, Array<[string, number]>>) =>
  cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: Array<{ MetricStat: { Metric: { MetricName: string } } }> }) => {
    const pts = byName[input.MetricDataQueries[0]!.MetricStat.Metric.MetricName] ?? [];
    return { MetricDataResults: [{ Id: 'lag', Timestamps: pts.map(([t]) => new Date(t)), Values: pts.map(([, v]) => v) }] };
  });

beforeEach(() => {
  rds.reset();
  cw.reset();
  lambda.reset();
  probeAnswers('up');
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'orders-primary',
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN,
        StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
        Endpoint: { Address: 'orders-primary.abc.us-east-1.rds.amazonaws.com' },
      },
    ],
  });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'failover-orders-heartbeat-in-region', StateValue: 'OK' }] });
});
afterEach(() => vi.useRealTimers());

describe('check-replica: health and the stability window', () => {
  it('healthy: available replica of the current primary, recent lag within maxLagSeconds, heartbeat alarm OK', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 1]] });
    await expect(handler(event({ healthySince: '2026-04-01T12:00:00.000Z' }))).resolves.toEqual({
      status: 'available',
      lagSeconds: 1,
      lagSource: 'ReplicaLag',
      alarm: 'OK',
      healthy: true,
      reasons: [],
      healthySince: '2026-04-01T12:00:00.000Z',
      relapses: 0,
      stable: true,
      drained: false,
      since: null,
      endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com',
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['failover-orders-heartbeat-in-region'] });
    expect(await regionsOf(rds, DescribeDBInstancesCommand)).toEqual(['us-east-1']);
    expect(await regionsOf(cw, DescribeAlarmsCommand)).toEqual(['us-east-1']);
  });

  it('the stability window (reach): available to RDS but no vantage point reaches it (all probed at once, no write): not healthy, the window restarts', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 1]] });
    probeAnswers('down', 'connect ETIMEDOUT orders-primary.abc.us-east-1.rds.amazonaws.com:5432');
    await expect(handler(event({ healthySince: '2026-04-01T12:00:00.000Z', reach: true }))).resolves.toMatchObject({
      status: 'available',
      healthy: false,
      reasons: [
        'orders-primary does not answer clients: orders-primary.abc.us-east-1.rds.amazonaws.com probed from use1-a: connect ETIMEDOUT orders-primary.abc.us-east-1.rds.amazonaws.com:5432',
      ],
      healthySince: null,
      relapses: 1,
      stable: false,
    });
    const sent = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(sent.map((x) => x.FunctionName)).toEqual(['failover-probe', 'failover-probe', 'failover-probe']);
    expect(sent.map((x) => JSON.parse(new TextDecoder().decode(x.Payload as Uint8Array)))).toEqual([
      expect.objectContaining({ host: 'orders-primary.abc.us-east-1.rds.amazonaws.com', port: 5432, write: false, vantage: 'use1-a' }),
      expect.objectContaining({ write: false, vantage: 'usw2' }),
      expect.objectContaining({ write: false, vantage: 'euw1' }),
    ]);
    expect((await regionsOf(lambda, InvokeCommand)).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
  });

  it('the stability window (reach): one vantage point that reaches it is enough (a partition between the others and the site says nothing of its clients)', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 1]] });
    probeAnswers('down', 'connect ETIMEDOUT', ['euw1']);
    await expect(handler(event({ healthySince: '2026-04-01T12:00:00.000Z', reach: true }))).resolves.toMatchObject({
      healthy: true,
      reasons: [],
    });
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
  });

  it('the stability window (reach) with the replica answering its probe: healthy; without reach (the catch-up) nothing is probed', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 1]] });
    await expect(handler(event({ healthySince: '2026-04-01T12:00:00.000Z', reach: true }))).resolves.toMatchObject({ healthy: true, reasons: [] });
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
    probeAnswers('down', 'connect ETIMEDOUT');
    await expect(handler(event({ healthySince: '2026-04-01T12:00:00.000Z' }))).resolves.toMatchObject({ healthy: true, reasons: [] });
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
  });

  it("PostgreSQL, quiet source: ReplicaLag of 45 s (time since the last commit) with the source's slot lag at 0 bytes is 0 s behind: healthy", async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 45]], OldestReplicationSlotLag: [['2026-04-01T12:28:00.000Z', 0]] });
    await expect(handler(event({ healthySince: '2026-04-01T12:00:00.000Z' }))).resolves.toMatchObject({
      healthy: true,
      stable: true,
      lagSeconds: 0,
      lagSource: 'OldestReplicationSlotLag',
      reasons: [],
    });
    // ReplicaLag of the rebuilt replica in its Region, OldestReplicationSlotLag of its source (the current primary) in the source's
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: { Namespace: 'AWS/RDS', MetricName: 'OldestReplicationSlotLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-replica' }] },
          }),
        }),
      ],
    });
    expect(await regionsOf(cw, GetMetricDataCommand)).toEqual(['us-east-1', 'us-west-2']);
  });

  it('PostgreSQL, WAL not all received: ReplicaLag stands and is over maxLagSeconds', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 45]], OldestReplicationSlotLag: [['2026-04-01T12:28:00.000Z', 4096]] });
    await expect(handler(event())).resolves.toMatchObject({
      healthy: false,
      lagSeconds: 45,
      lagSource: 'ReplicaLag',
      reasons: ['ReplicaLag is 45 s, over 5 s'],
    });
  });

  it("the source's Region does not answer for the slot metric: ReplicaLag alone, never an error", async () => {
    cw.on(GetMetricDataCommand).callsFake(async (input: { MetricDataQueries: Array<{ MetricStat: { Metric: { MetricName: string } } }> }) => {
      if (input.MetricDataQueries[0]!.MetricStat.Metric.MetricName === 'OldestReplicationSlotLag')
        throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
      return { MetricDataResults: [{ Id: 'lag', Timestamps: [new Date('2026-04-01T12:28:00.000Z')], Values: [1] }] };
    });
    await expect(handler(event())).resolves.toMatchObject({ healthy: true, lagSeconds: 1, lagSource: 'ReplicaLag' });
  });

  it('a relapse (the heartbeat alarm in ALARM) clears healthySince and counts', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:28:00.000Z', 1]] });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'failover-orders-heartbeat-in-region', StateValue: 'ALARM' }] });
    await expect(handler(event({ healthySince: '2026-04-01T12:20:00.000Z', relapses: 1 }))).resolves.toMatchObject({
      healthy: false,
      healthySince: null,
      relapses: 2,
      stable: false,
    });
  });

  it('a Region that times out is unhealthy, never an error', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
    await expect(handler(event())).resolves.toMatchObject({
      healthy: false,
      alarm: 'unknown',
      reasons: expect.arrayContaining(["the replica's Region does not answer"]),
    });
    expect(cw).not.toHaveReceivedCommand(GetMetricDataCommand);
  });
});

describe('check-replica: drained after the fence', () => {
  it("PostgreSQL: the source's OldestReplicationSlotLag of 0 after the fence proves every write reached the replica (ReplicaLag 240 s is time since the last commit)", async () => {
    metric({ OldestReplicationSlotLag: [['2026-04-01T12:25:00.000Z', 0]], ReplicaLag: [['2026-04-01T12:25:00.000Z', 240]] });
    await expect(handler(event({ mode: 'drained', since: '2026-04-01T12:24:00.000Z' }))).resolves.toMatchObject({
      drained: true,
      lagSeconds: 0,
      lagSource: 'OldestReplicationSlotLag',
      since: '2026-04-01T12:24:00.000Z',
    });
    const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries![0]!.MetricStat!);
    expect(calls[0]).toMatchObject({
      Metric: { Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-primary' }] },
      Stat: 'Maximum',
    });
    expect(calls[1]).toMatchObject({
      Metric: { Namespace: 'AWS/RDS', MetricName: 'OldestReplicationSlotLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-replica' }] },
      Stat: 'Maximum',
    });
    expect(await regionsOf(cw, GetMetricDataCommand)).toEqual(['us-east-1', 'us-west-2']);
  });

  it('PostgreSQL: the same measure as the stability window: slot lag above 0 leaves ReplicaLag, not drained', async () => {
    metric({ OldestReplicationSlotLag: [['2026-04-01T12:25:00.000Z', 512]], ReplicaLag: [['2026-04-01T12:25:00.000Z', 0.4]] });
    await expect(handler(event({ mode: 'drained', since: '2026-04-01T12:24:00.000Z' }))).resolves.toMatchObject({
      drained: false,
      lagSeconds: 0.4,
      lagSource: 'ReplicaLag',
      reasons: ['ReplicaLag is 0.4 s'],
    });
  });

  it('falls back to ReplicaLag when the slot metric has no datapoint; the first check sets `since` to its own time', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:31:00.000Z', 0]] });
    const first = await handler(event({ mode: 'drained', since: null }));
    expect(first).toMatchObject({ since: NOW.toISOString(), drained: true, lagSource: 'ReplicaLag', lagSeconds: 0 });
  });

  it('the first check right after the fence sends a valid window (StartTime before EndTime), padded by one period', async () => {
    metric({});
    await handler(event({ mode: 'drained', since: null }));
    for (const call of cw.commandCalls(GetMetricDataCommand)) {
      const { StartTime, EndTime } = call.args[0].input as { StartTime: Date; EndTime: Date };
      expect(StartTime.getTime()).toBe(NOW.getTime() - 60_000);
      expect(EndTime.getTime()).toBe(NOW.getTime() + 60_000);
    }
    expect(cw.commandCalls(GetMetricDataCommand).length).toBeGreaterThan(0);
  });

  it('lag still above 0: not drained, with the reason', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:29:00.000Z', 2]] });
    await expect(handler(event({ mode: 'drained', since: '2026-04-01T12:28:00.000Z' }))).resolves.toMatchObject({
      drained: false,
      reasons: ['ReplicaLag is 2 s'],
    });
  });

  it('no datapoint since the fence yet: not drained', async () => {
    metric({ ReplicaLag: [['2026-04-01T12:20:00.000Z', 0]] });
    await expect(handler(event({ mode: 'drained', since: '2026-04-01T12:28:00.000Z' }))).resolves.toMatchObject({ drained: false, lagSource: 'none' });
  });
});
