import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.TOPIC_ARN = 'arn:aws:sns:us-west-2:123456789012:failover-notifications';
process.env.EVENT_BUS_NAME = 'failover-bus';
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/record-incident/handler.js');

const ddb = mockClient(DynamoDBClient);
const events = mockClient(EventBridgeClient);
const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const KEY = { pk: { S: 'INCIDENT#inc-7' }, sk: { S: 'INCIDENT' } };
const NOW = '2026-03-01T12:00:00.000Z';

const event = (over: Record<string, unknown> = {}) => ({ database: hotDb(), incidentId: 'inc-7', epoch: 3, phase: 'promoted', detail: {}, ...over });
const ccf = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  for (const m of [ddb, events, cw, sns]) m.reset();
  ddb.on(UpdateItemCommand).resolves({});
  ddb.on(GetItemCommand).resolves({});
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  cw.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => vi.useRealTimers());

describe('record-incident handler', () => {
  it('appends to the timeline once per key, then publishes the event and marks it delivered', async () => {
    expect(await handler(event({ detail: { action: 'PromoteReadReplica' } }))).toEqual({ recorded: true, at: NOW });
    expect(ddb).toHaveReceivedNthCommandWith(UpdateItemCommand, 1, {
      TableName: 'failover-state',
      Key: KEY,
      UpdateExpression:
        'SET #database = :database, openedAt = if_not_exists(openedAt, :now), lastPhase = :phase, updatedAt = :now, timeline = list_append(if_not_exists(timeline, :empty), :entry), epoch = :epoch ADD #keys :keys',
      ConditionExpression: 'attribute_not_exists(#keys) OR NOT contains(#keys, :key)',
      ExpressionAttributeNames: { '#database': 'database', '#keys': 'keys' },
    });
    const values = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues!;
    expect(values[':keys']).toEqual({ SS: ['promoted'] });
    expect(values[':key']).toEqual({ S: 'promoted' });
    const { ':keys': _k, ...rest } = values;
    expect(unmarshall(rest)).toEqual({
      ':database': 'orders',
      ':now': NOW,
      ':phase': 'promoted',
      ':empty': [],
      ':entry': [{ at: NOW, phase: 'promoted', detail: { action: 'PromoteReadReplica' } }],
      ':key': 'promoted',
      ':epoch': 3,
    });
    expect(events).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'failover-bus',
          Source: 'rds-failover',
          DetailType: 'Failover Phase Changed',
          Detail: JSON.stringify({ database: 'orders', incidentId: 'inc-7', epoch: 3, phase: 'promoted', detail: { action: 'PromoteReadReplica' }, at: NOW }),
          Time: new Date(NOW),
        },
      ],
    });
    expect(ddb).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, {
      Key: KEY,
      UpdateExpression: 'ADD deliveredKeys :keys',
      ExpressionAttributeValues: { ':keys': { SS: ['promoted'] } },
    });
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(await regionsOf(events, PutEventsCommand)).toEqual(['us-west-2']);
  });

  it("a drill run: stores the marker on the record and publishes the drill's metrics when it closes", async () => {
    const drill = { requestedFor: 'orders-prod', fault: 'reboot-with-failover', scheduled: false, objectives: { rtoSeconds: 600, rpoSeconds: 30 } };
    await handler(
      event({ phase: 'failed-over', drill, detail: { triggeredAt: '2026-03-01T11:55:00.000Z', writesVerifiedAt: '2026-03-01T12:00:00.000Z', lagSeconds: 5 } }),
    );
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toContain(', drill = if_not_exists(drill, :drill)');
    expect(unmarshall({ d: input.ExpressionAttributeValues![':drill']! }).d).toEqual(drill);
    const data = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input;
    expect(data.Namespace).toBe('RdsFailover');
    expect(data.MetricData?.filter((d) => d.MetricName?.startsWith('Drill')).map((d) => [d.MetricName, d.Value, d.Dimensions])).toEqual([
      ['DrillRtoSeconds', 300, [{ Name: 'Database', Value: 'orders-prod' }]],
      ['DrillDataLossSeconds', 5, [{ Name: 'Database', Value: 'orders-prod' }]],
      ['DrillObjectivesMet', 1, [{ Name: 'Database', Value: 'orders-prod' }]],
    ]);
  });

  it("a drill that started a fault experiment: its RTO counts from the experiment's start, read from the record's fault-started entry", async () => {
    const drill = { requestedFor: 'orders-prod', fault: 'disrupt-connectivity', scheduled: true, objectives: { rtoSeconds: 600, rpoSeconds: 30 } };
    const timeline = [
      { at: '2026-03-01T11:55:00.500Z', phase: 'drill-started', detail: {} },
      { at: '2026-03-01T11:55:01.000Z', phase: 'fault-started', detail: { experimentId: 'EXP1', startedAt: '2026-03-01T11:55:01.000Z' } },
    ];
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'INCIDENT#inc-7', sk: 'INCIDENT', timeline }) });
    await handler(
      event({ phase: 'failed-over', drill, detail: { triggeredAt: '2026-03-01T11:55:00.000Z', writesVerifiedAt: '2026-03-01T12:00:00.000Z', lagSeconds: 5 } }),
    );
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { Key: KEY, ConsistentRead: true });
    const data = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData!;
    expect(data.find((d) => d.MetricName === 'DrillRtoSeconds')?.Value).toBe(299);
    expect(data.find((d) => d.MetricName === 'FailoverRtoSeconds')?.Value).toBe(300);
    const entry = unmarshall({ e: ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues![':entry']! }).e as {
      detail: Record<string, unknown>;
    }[];
    expect(entry[0]!.detail.drillRto).toEqual({ seconds: 299, from: 'fault-onset', since: '2026-03-01T11:55:01.000Z' });
  });

  it("only a drill's failed-over reads the record first", async () => {
    await handler(event({ phase: 'failed-over', detail: { triggeredAt: '2026-03-01T11:55:00.000Z', writesVerifiedAt: '2026-03-01T12:00:00.000Z' } }));
    await handler(event({ phase: 'promoted', drill: { requestedFor: 'orders', fault: null, scheduled: false } }));
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('leaves the epoch out when none is given', async () => {
    await handler(event({ epoch: null, phase: 'detected' }));
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).not.toContain('epoch');
    expect(input.ExpressionAttributeValues![':epoch']).toBeUndefined();
  });

  it('uses the given key for idempotency', async () => {
    await handler(event({ phase: 'verdict', key: 'verdict-round-2', detail: { verdict: 'ambiguous' } }));
    expect(ddb).toHaveReceivedNthCommandWith(UpdateItemCommand, 1, {
      ExpressionAttributeValues: expect.objectContaining({ ':keys': { SS: ['verdict-round-2'] }, ':key': { S: 'verdict-round-2' } }),
    });
  });

  it('already recorded and delivered -> recorded, nothing sent again', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf());
    ddb
      .on(GetItemCommand)
      .resolves({ Item: marshall({ pk: 'INCIDENT#inc-7', sk: 'INCIDENT', keys: new Set(['promoted']), deliveredKeys: new Set(['promoted']) }) });
    expect(await handler(event({ notify: true, detail: { lagSeconds: 3 } }))).toEqual({ recorded: true, at: NOW });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'failover-state', Key: KEY, ConsistentRead: true });
    expect(events).not.toHaveReceivedAnyCommand();
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('recorded by a call that failed before publishing -> publishes now (the retry delivers), without a second timeline entry', async () => {
    ddb.on(UpdateItemCommand).callsFake((input: { UpdateExpression: string }) => {
      if (input.UpdateExpression.includes('list_append')) throw ccf();
      return {};
    });
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'INCIDENT#inc-7', sk: 'INCIDENT', keys: new Set(['promoted']) }) });
    await handler(event());
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, { UpdateExpression: 'ADD deliveredKeys :keys' });
  });

  it('FailedEntryCount > 0 -> TransientAwsError, not marked delivered', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(handler(event())).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('InternalFailure') });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it.each([
    ['detected', {}, [{ MetricName: 'Incident', Value: 1, Unit: 'Count' }]],
    [
      'verdict',
      { verdict: 'confirmed-down' },
      [
        {
          MetricName: 'Verdict',
          Value: 1,
          Unit: 'Count',
          Dimensions: [
            { Name: 'Database', Value: 'orders' },
            { Name: 'Verdict', Value: 'confirmed-down' },
          ],
        },
      ],
    ],
    ['failed-over', { rtoSeconds: 212 }, [{ MetricName: 'FailoverRtoSeconds', Value: 212, Unit: 'Seconds' }]],
    ['approval-requested', { lagSeconds: 95 }, [{ MetricName: 'ReplicaLagAtDecisionSeconds', Value: 95, Unit: 'Seconds' }]],
  ])('%s puts its metrics in the RdsFailover namespace with the Database dimension', async (phase, detail, data) => {
    await handler(event({ phase, detail }));
    expect(cw).toHaveReceivedCommandExactlyOnceWith(PutMetricDataCommand, {
      Namespace: 'RdsFailover',
      MetricData: data.map((d) => expect.objectContaining({ Dimensions: [{ Name: 'Database', Value: 'orders' }], ...d })),
    });
  });

  it('notifies when asked, with a clear subject and body', async () => {
    await handler(event({ phase: 'escalated', notify: true, detail: { error: 'PromotionFailedError', cause: 'orders-replica is failed' } }));
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:us-west-2:123456789012:failover-notifications',
      Subject: '[rds-failover] orders: ESCALATED: the workflow stopped and needs a human',
      Message: expect.stringContaining('  cause: orders-replica is failed'),
    });
  });

  it('strips tokens, secrets and passwords from the record, the event and the notification', async () => {
    await handler(
      event({
        phase: 'approval-requested',
        notify: true,
        detail: { approvalId: 'a-1', taskToken: 'TT-SECRET', nested: { password: 'PW-SECRET' }, dbSecretArn: 'ARN-SECRET' },
      }),
    );
    const sent = [
      JSON.stringify(unmarshall(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues!)),
      JSON.stringify(events.commandCalls(PutEventsCommand)[0]!.args[0].input),
      JSON.stringify(sns.commandCalls(PublishCommand)[0]!.args[0].input),
    ];
    for (const text of sent) {
      expect(text).toContain('a-1');
      for (const secret of ['TT-SECRET', 'PW-SECRET', 'ARN-SECRET']) expect(text).not.toContain(secret);
    }
  });

  it.each([
    [
      'the timeline write',
      () =>
        ddb
          .on(UpdateItemCommand)
          .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } })),
      'TransientAwsError',
    ],
    [
      'PutEvents',
      () => events.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } })),
      'AwsCallFailedError',
    ],
    [
      'PutMetricData',
      () => cw.on(PutMetricDataCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServiceError', $metadata: { httpStatusCode: 500 } })),
      'TransientAwsError',
    ],
  ])('%s failing -> %s', async (_name, arrange, name) => {
    arrange();
    await expect(handler(event({ phase: 'detected' }))).rejects.toMatchObject({ name });
  });

  it('refuses a malformed input before doing anything', async () => {
    await expect(handler(event({ phase: 'exploded' }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(ddb).not.toHaveReceivedAnyCommand();
    expect(events).not.toHaveReceivedAnyCommand();
  });
});

describe('record-incident handler: drill runs', () => {
  const drill = { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true };

  it("stores the drill marker as the record's top-level `drill`, and the event and the notification say DRILL", async () => {
    await handler(
      event({ phase: 'drill-started', notify: true, drill, detail: { execution: 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:d-1' } }),
    );
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toContain(', drill = if_not_exists(drill, :drill)');
    expect(unmarshall({ ':drill': input.ExpressionAttributeValues![':drill']! })).toEqual({ ':drill': drill });
    expect(JSON.parse(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!)).toMatchObject({ phase: 'drill-started', drill });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toMatch(/^\[rds-failover\] DRILL orders: drill starting/);
  });

  it('a null marker (not a drill) stores nothing of drills', async () => {
    await handler(event({ drill: null }));
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.UpdateExpression).not.toContain('drill');
  });

  it('refuses a malformed marker', async () => {
    await expect(handler(event({ drill: { requestedFor: 'orders', fault: 'pull-the-plug', scheduled: true } }))).rejects.toThrow(/invalid input/);
  });
});
