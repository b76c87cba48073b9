/**
 * check-subscriptions: scheduled (hourly, in the control Region). Lists the notification topic's
 * subscriptions (every page), compares them with the configured emails (the schedule's constant
 * input) and publishes `UnconfirmedEmailSubscriptions` (no dimensions), which an automation alarm
 * watches. Any AWS failure throws (wrapped with toFailoverError): a missing datapoint is breaching
 * for that alarm, so a broken check is seen too.
 *
 * Env: TOPIC_ARN, AWS_REGION.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { METRICS, checkSubscriptionsInput, checkSubscriptionsOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { compareSubscriptions, unconfirmedDatum, type ListedSubscription } from './core.js';

const REGION = ownRegion();
const sns = regional(SNSClient, REGION);
const cloudWatch = regional(CloudWatchClient, REGION);

/** Every subscription of the topic (ListSubscriptionsByTopic returns up to 100 per page). */
async function listAll(topicArn: string): Promise<ListedSubscription[]> {
  const all: ListedSubscription[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(NextToken ? { NextToken } : {}) }));
    all.push(...(page.Subscriptions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

export const handler = defineHandler('check-subscriptions', { input: checkSubscriptionsInput, output: checkSubscriptionsOutput }, async (input) => {
  const topicArn = process.env.TOPIC_ARN;
  if (!topicArn) throw new InvalidInputError('check-subscriptions: TOPIC_ARN is not set');
  let subscriptions: ListedSubscription[];
  try {
    subscriptions = await listAll(topicArn);
  } catch (err) {
    throw toFailoverError(err, 'sns:ListSubscriptionsByTopic');
  }
  const report = compareSubscriptions(input.emails, subscriptions);
  if (report.pending.length + report.missing.length > 0) logger.warn('email subscriptions not confirmed', { pending: report.pending, missing: report.missing });
  try {
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: METRICS.namespace, MetricData: [unconfirmedDatum(report, new Date())] }));
  } catch (err) {
    throw toFailoverError(err, 'cloudwatch:PutMetricData');
  }
  return report;
});
