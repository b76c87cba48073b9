/**
 * record-incident: appends a phase to the incident's timeline (`INCIDENT#<incidentId>`), then
 * publishes it: an EventBridge event (detail-type "Failover Phase Changed"), CloudWatch metrics,
 * and an SNS notification when asked. Idempotent per `key` (default: the phase): the timeline
 * write is conditional on the key not being recorded yet, and the side effects are marked
 * delivered afterwards, so a retry neither duplicates the entry nor loses the event.
 *
 * Env: TABLE_NAME, EVENT_BUS_NAME (default "default"), TOPIC_ARN (notifications), AWS_REGION
 * (control Region: every client). The CloudWatch and SNS clients are imported only by the phases
 * that have metrics or a notification (lib/bundling.ts).
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { METRICS, recordIncidentInput, recordIncidentOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { TransientAwsError } from '../shared/errors.js';
import { lazy } from '../shared/lazy.js';
import { logger } from '../shared/logger.js';
import { cleanDetail, incidentKey, phaseEvent, phaseMetrics, timelineEntry, type IncidentFacts } from './core.js';

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const TOPIC_ARN = process.env.TOPIC_ARN ?? '';
const EVENT_BUS_NAME = process.env.EVENT_BUS_NAME || 'default';
const REGION = ownRegion();

const cloudWatchSdk = lazy(() => import('@aws-sdk/client-cloudwatch'));
const snsSdk = lazy(() => import('@aws-sdk/client-sns'));
/** The notification's text: only the invocations that notify need it. */
const notificationText = lazy(() => import('./notification.js'));

const isConditionFailure = (err: unknown): boolean => err instanceof ConditionalCheckFailedException || awsErrorName(err) === 'ConditionalCheckFailedException';

export const handler = defineHandler('record-incident', { input: recordIncidentInput, output: recordIncidentOutput }, async (input) => {
  const key = input.key ?? input.phase;
  const at = new Date().toISOString();
  const facts: IncidentFacts = {
    database: input.database,
    incidentId: input.incidentId,
    epoch: input.epoch,
    phase: input.phase,
    detail: cleanDetail(input.detail),
    at,
    ...(input.drill ? { drill: input.drill } : {}),
  };
  const ddb = regional(DynamoDBClient, REGION);
  // A drill that started a fault experiment measures its RTO from the fault's onset (core.ts, drillRtoOf).
  if (facts.drill && facts.phase === 'failed-over') facts.faultStartedAt = await faultOnset(ddb, input.incidentId);

  const recorded = await appendToTimeline(ddb, facts, key);
  if (!recorded && (await alreadyDelivered(ddb, input.incidentId, key))) {
    logger.info('incident phase already recorded', { database: input.database.name, incidentId: input.incidentId, phase: input.phase, key });
    return { recorded: true, at };
  }

  await publish(facts, input.notify);
  await markDelivered(ddb, input.incidentId, key);
  logger.info('incident phase recorded', { database: input.database.name, incidentId: input.incidentId, phase: input.phase, key, epoch: input.epoch });
  return { recorded: true, at };
});

/** Appends the entry unless `key` is already recorded. Returns false when it was. */
async function appendToTimeline(ddb: DynamoDBClient, f: IncidentFacts, key: string): Promise<boolean> {
  const values: Record<string, unknown> = {
    ':database': f.database.name,
    ':now': f.at,
    ':phase': f.phase,
    ':empty': [],
    ':entry': [timelineEntry(f)],
    ':key': key,
  };
  let set =
    '#database = :database, openedAt = if_not_exists(openedAt, :now), lastPhase = :phase, updatedAt = :now, timeline = list_append(if_not_exists(timeline, :empty), :entry)';
  if (f.epoch !== null) {
    set += ', epoch = :epoch';
    values[':epoch'] = f.epoch;
  }
  if (f.drill) {
    // The drill marker, top-level on the record (what `failover report` reads).
    set += ', drill = if_not_exists(drill, :drill)';
    values[':drill'] = f.drill;
  }
  const attributeValues = marshall(values, { removeUndefinedValues: true, convertClassInstanceToMap: true });
  attributeValues[':keys'] = { SS: [key] };
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall(incidentKey(f.incidentId)),
        UpdateExpression: `SET ${set} ADD #keys :keys`,
        ConditionExpression: 'attribute_not_exists(#keys) OR NOT contains(#keys, :key)',
        ExpressionAttributeNames: { '#database': 'database', '#keys': 'keys' },
        ExpressionAttributeValues: attributeValues,
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw toFailoverError(err, 'DynamoDB UpdateItem (incident timeline)');
  }
}

/** The `startedAt` of the incident's `fault-started` entry (its drill's fault experiment), or null. */
async function faultOnset(ddb: DynamoDBClient, incidentId: string): Promise<string | null> {
  let item;
  try {
    item = (await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(incidentKey(incidentId)), ConsistentRead: true }))).Item;
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (incident)');
  }
  const timeline = item ? (unmarshall(item).timeline as Array<{ phase?: string; detail?: { startedAt?: unknown } }> | undefined) : undefined;
  const started = (timeline ?? []).find((e) => e.phase === 'fault-started')?.detail?.startedAt;
  return typeof started === 'string' ? started : null;
}

/** True when the side effects of `key` were delivered by an earlier call. */
async function alreadyDelivered(ddb: DynamoDBClient, incidentId: string, key: string): Promise<boolean> {
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(incidentKey(incidentId)), ConsistentRead: true }));
    const delivered = out.Item ? unmarshall(out.Item).deliveredKeys : undefined;
    return delivered instanceof Set ? delivered.has(key) : Array.isArray(delivered) && delivered.includes(key);
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (incident)');
  }
}

async function markDelivered(ddb: DynamoDBClient, incidentId: string, key: string): Promise<void> {
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall(incidentKey(incidentId)),
        UpdateExpression: 'ADD deliveredKeys :keys',
        ExpressionAttributeValues: { ':keys': { SS: [key] } },
      }),
    );
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB UpdateItem (incident delivery)');
  }
}

async function publish(f: IncidentFacts, notify: boolean): Promise<void> {
  const events = regional(EventBridgeClient, REGION);
  let put;
  try {
    put = await events.send(new PutEventsCommand({ Entries: [{ ...phaseEvent(f), EventBusName: EVENT_BUS_NAME }] }));
  } catch (err) {
    throw toFailoverError(err, 'EventBridge PutEvents');
  }
  if ((put.FailedEntryCount ?? 0) > 0) {
    const failed = put.Entries?.find((e) => e.ErrorCode);
    throw new TransientAwsError(
      `EventBridge PutEvents failed for ${put.FailedEntryCount} entry: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim(),
      {
        operation: 'PutEvents',
        awsError: failed?.ErrorCode,
      },
    );
  }

  const data = phaseMetrics(f);
  if (data.length > 0) {
    try {
      const { CloudWatchClient, PutMetricDataCommand } = await cloudWatchSdk();
      await regional(CloudWatchClient, REGION).send(new PutMetricDataCommand({ Namespace: METRICS.namespace, MetricData: data }));
    } catch (err) {
      throw toFailoverError(err, 'CloudWatch PutMetricData');
    }
  }

  if (notify) {
    const { subject, message } = (await notificationText()).notification(f);
    try {
      const { PublishCommand, SNSClient } = await snsSdk();
      await regional(SNSClient, REGION).send(new PublishCommand({ TopicArn: TOPIC_ARN, Subject: subject, Message: message }));
    } catch (err) {
      throw toFailoverError(err, 'SNS Publish (incident)');
    }
  }
}
