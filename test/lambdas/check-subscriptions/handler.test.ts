import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListSubscriptionsByTopicCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

process.env.AWS_REGION = 'us-west-2';
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:failover-notifications';
process.env.TOPIC_ARN = TOPIC;
const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/check-subscriptions/handler.js'));
});
beforeEach(() => {
  cw.reset();
  sns.reset();
  cw.on(PutMetricDataCommand).resolves({});
});

const sub = (email: string, arn: string) => ({ Protocol: 'email', Endpoint: email, SubscriptionArn: arn, TopicArn: TOPIC, Owner: '123456789012' });
const published = () => cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);

describe('check-subscriptions handler', () => {
  it('reads every page of the topic (NextToken) and publishes how many configured emails receive nothing', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC })
      .resolves({ Subscriptions: [sub('a@x.com', `${TOPIC}:1`)], NextToken: 'page-2' })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: 'page-2' })
      .resolves({ Subscriptions: [sub('b@x.com', 'PendingConfirmation')] });
    const out = await handler({ emails: ['a@x.com', 'b@x.com', 'c@x.com'] });
    expect(out).toEqual({ confirmed: ['a@x.com'], pending: ['b@x.com'], missing: ['c@x.com'] });
    expect(sns).toHaveReceivedCommandTimes(ListSubscriptionsByTopicCommand, 2);
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand).map((c) => c.args[0].input)).toEqual([
      { TopicArn: TOPIC },
      { TopicArn: TOPIC, NextToken: 'page-2' },
    ]);
    expect(published()).toEqual([
      { Namespace: 'RdsFailover', MetricData: [expect.objectContaining({ MetricName: 'UnconfirmedEmailSubscriptions', Value: 2, Unit: 'Count' })] },
    ]);
  });

  it('publishes 0 when every configured email is confirmed (the alarm stays OK)', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [sub('a@x.com', `${TOPIC}:1`)] });
    await handler({ emails: ['a@x.com'] });
    expect(published()[0]!.MetricData![0]!.Value).toBe(0);
  });

  it('throws a typed error and publishes nothing when the topic cannot be listed (the missing datapoint is breaching)', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand)
      .rejects(new SNSServiceException({ name: 'AuthorizationErrorException', $fault: 'client', $metadata: {}, message: 'not authorized' }));
    await expect(handler({ emails: ['a@x.com'] })).rejects.toMatchObject({
      name: 'AwsCallFailedError',
      message: expect.stringContaining('sns:ListSubscriptionsByTopic'),
    });
    expect(cw).not.toHaveReceivedCommand(PutMetricDataCommand);
  });

  it('refuses an input without the emails list', async () => {
    await expect(handler({})).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});
