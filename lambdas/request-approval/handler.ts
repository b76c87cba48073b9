/**
 * request-approval: invoked by the workflow with `.waitForTaskToken`. Stores the approval record
 * (the only place the task token is kept), announces the request on SNS and returns at once; the
 * workflow waits until a human answers through `lambdas/shared/approvals.ts` (SendTaskSuccess)
 * or the task times out.
 *
 * Env: TABLE_NAME (approval records), TOPIC_ARN (notifications), APPROVAL_URL (optional: the
 * approval page), AWS_REGION (control Region: clients and the console link).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { approvalKey } from '../shared/approvals.js';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { requestApprovalInput, requestApprovalOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { planApprovalRequest } from './core.js';

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const TOPIC_ARN = process.env.TOPIC_ARN ?? '';
const APPROVAL_URL = process.env.APPROVAL_URL || undefined;
const REGION = ownRegion();

/** 32 random bytes, base64url: unguessable, single-use approval id. */
export const newApprovalId = (): string => randomBytes(32).toString('base64url');

export const handler = async (event: unknown): Promise<z.output<typeof requestApprovalOutput>> => {
  const parsed = requestApprovalInput.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`request-approval: invalid input: ${z.prettifyError(parsed.error)}`);
  const input = parsed.data;
  const ddb = regional<DynamoDBClient>(DynamoDBClient as never, REGION);
  const sns = regional<SNSClient>(SNSClient as never, REGION);

  const plan = planApprovalRequest(input, { approvalId: newApprovalId(), now: new Date(), approvalUrl: APPROVAL_URL, region: REGION });
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE_NAME,
        Item: marshall(plan.record, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB PutItem (approval)');
  }

  try {
    await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Subject: plan.subject, Message: plan.message }));
  } catch (err) {
    // Nobody was told: withdraw this request (the retried step creates a new one with a new token).
    await abandon(ddb, plan.approvalId);
    throw toFailoverError(err, 'SNS Publish (approval request)');
  }

  logger.info('approval requested', {
    approvalId: plan.approvalId,
    database: input.database.name,
    incidentId: input.incidentId,
    step: input.step,
    decision: input.decision,
    expiresAt: plan.expiresAt,
  });
  return { approvalId: plan.approvalId, expiresAt: plan.expiresAt };
};

async function abandon(ddb: DynamoDBClient, approvalId: string): Promise<void> {
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall(approvalKey(approvalId)),
        UpdateExpression: 'SET #status = :abandoned REMOVE pendingDatabase, taskToken',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':abandoned': 'abandoned', ':pending': 'pending' }),
      }),
    );
  } catch (err) {
    logger.warn('could not withdraw the unannounced approval request', { approvalId, error: awsErrorName(err) });
  }
}
