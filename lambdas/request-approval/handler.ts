/**
 * request-approval: invoked by the workflow with `.waitForTaskToken`. Stores the approval record
 * (the only place the task token is kept), announces the request on SNS and returns at once; the
 * workflow waits until a human answers through `lambdas/shared/approvals.ts` (SendTaskSuccess)
 * or the task times out.
 *
 * Env: TABLE_NAME (approval records), TOPIC_ARN (notifications), APPROVAL_URL (optional: the
 * approval page), APPROVAL_SIGNING_SECRET_ARN (the key that signs page links; without it, or when
 * it cannot be read, the notification has no link and names the CLI), AWS_REGION (control Region:
 * clients and the console link).
 *
 * With `action: "supersede"` (invoked directly, not with a token) it withdraws a pending verdict
 * question of the database instead: a new trigger found the lease held by the run that asked, and
 * that run verifies again (lambdas/shared/approvals.ts supersedeVerdictApprovals).
 *
 * With `action: "watch"` (the run's own probes while its verdict question waits) it says whether
 * that question still waits, and withdraws it the same way when the probes found the primary
 * confirmed down: no new alarm comes when the alarms are already in ALARM (once more than new
 * triggers may: MAX_REVERIFICATIONS_BY_OWN_PROBES). With `question: "promote-unfenced"` it
 * watches the run's unfenced-promotion question instead, and withdraws it when the run's fence,
 * tried again while it waits, is confirmed now (the old primary crashed, or its failover ended):
 * the run verifies again and promotes fenced, with no human needed for a fence that works.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod/mini';
import { signingKeyFrom } from '../shared/approval-links.js';
import { approvalKey } from '../shared/approval-key.js';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import {
  requestApprovalOutput,
  supersedeApprovalsOutput,
  watchApprovalOutput,
  RDS_FAILURE_EVENT_IDS,
  requestApprovalInput,
  supersedeApprovalsInput,
  watchApprovalInput,
} from '../shared/contracts.js';
import { lazy } from '../shared/lazy.js';
import { defineActionHandler, defineHandler, type HandlerContext } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { planApprovalRequest } from './core.js';

const secretsSdk = lazy(() => import('@aws-sdk/client-secrets-manager'));
const snsSdk = lazy(() => import('@aws-sdk/client-sns'));
const sfnSdk = lazy(() => import('@aws-sdk/client-sfn'));
/** Listing and superseding pending approvals: the supersede and watch actions only, never the request itself. */
const approvals = lazy(() => import('../shared/approvals.js'));

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const TOPIC_ARN = process.env.TOPIC_ARN ?? '';
const APPROVAL_URL = process.env.APPROVAL_URL || undefined;
const SECRET_ARN = process.env.APPROVAL_SIGNING_SECRET_ARN || undefined;
/** How long an emailed link works (config approvals.linkLifetimeMinutes); unset: until the approval expires. */
const LINK_LIFETIME_SECONDS = Number(process.env.APPROVAL_LINK_LIFETIME_SECONDS) || undefined;
const REGION = ownRegion();

let signingKey: Uint8Array | undefined;
/** The link-signing key (read once), or undefined when there is no page or it cannot be read. */
async function linkKey(): Promise<Uint8Array | undefined> {
  if (!APPROVAL_URL || !SECRET_ARN) return undefined;
  if (signingKey) return signingKey;
  try {
    const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(SECRET_ARN)?.[1] ?? REGION;
    const { GetSecretValueCommand, SecretsManagerClient } = await secretsSdk();
    const out = await regional(SecretsManagerClient, region).send(new GetSecretValueCommand({ SecretId: SECRET_ARN }));
    if (out.SecretString) signingKey = signingKeyFrom(out.SecretString);
  } catch (err) {
    logger.warn('the approval signing key could not be read: the notification names the CLI only', { error: awsErrorName(err) });
  }
  return signingKey;
}

/** 32 random bytes, base64url: unguessable, single-use approval id. */
export const newApprovalId = (): string => randomBytes(32).toString('base64url');

const requestHandler = defineHandler('request-approval', { input: requestApprovalInput, output: requestApprovalOutput }, async (input) => {
  const ddb = regional(DynamoDBClient, REGION);
  const { PublishCommand, SNSClient } = await snsSdk();
  const sns = regional(SNSClient, REGION);

  const key = await linkKey();
  const plan = planApprovalRequest(input, {
    approvalId: newApprovalId(),
    now: new Date(),
    approvalUrl: APPROVAL_URL,
    signingKey: key,
    region: REGION,
    linkLifetimeSeconds: LINK_LIFETIME_SECONDS,
  });
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
});

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

/** What supersede and watch use; the Step Functions client is imported by these actions only. */
async function approvalDeps(): Promise<{ ddb: DynamoDBClient; sfn: SFNClient; tableName: string }> {
  const { SFNClient } = await sfnSdk();
  return { ddb: regional(DynamoDBClient, REGION), sfn: regional(SFNClient, REGION), tableName: TABLE_NAME };
}

/** A new trigger withdraws the database's pending verdict question (see the header). */
const supersede = defineActionHandler('request-approval', 'supersede', { input: supersedeApprovalsInput, output: supersedeApprovalsOutput }, async (input) => {
  const deps = await approvalDeps();
  const { supersedeVerdictApprovals } = await approvals();
  // Only real triggers supersede (a drill never withdraws another run's question): they outrank a drill's question.
  const failureEvent = input.triggerKind === 'rds-event' && (RDS_FAILURE_EVENT_IDS as readonly string[]).includes(input.triggerSource ?? '');
  const superseded = await supersedeVerdictApprovals(deps, {
    database: input.database.name,
    trigger: input.trigger,
    now: new Date(),
    outranksDrills: true,
    failureEvent,
  });
  logger.info('pending verdict questions withdrawn by a new trigger', { database: input.database.name, superseded: superseded.length });
  return { superseded };
});

/** The run's probes (or fence attempts) while its verdict (or unfenced) question waits (see the header). */
const watch = defineActionHandler('request-approval', 'watch', { input: watchApprovalInput, output: watchApprovalOutput }, async (input) => {
  const { database, incidentId, question, verdict, reason, fence } = input;
  const deps = await approvalDeps();
  const { listPendingApprovals, supersedeVerdictApprovals } = await approvals();
  const now = new Date();
  if (question === 'promote-unfenced' && fence?.confirmed) {
    const how = fence.actions.map((a) => `${a.action} ${a.result}`).join(', ');
    const trigger =
      `the run fenced the old primary again while its unfenced question waited: confirmed${fence.deferred ? ' while it is down (fenced again as soon as it answers)' : ''}` +
      `${how ? ` (${how})` : ''}`;
    const superseded = await supersedeVerdictApprovals(deps, { database: database.name, trigger, now, byOwnProbes: true, unfencedOf: incidentId });
    logger.info('pending unfenced question withdrawn: the old primary is confirmed fenced now', {
      database: database.name,
      incidentId,
      superseded: superseded.length,
    });
    return { watching: false, superseded };
  }
  if (question === 'promote' && verdict === 'confirmed-down') {
    const trigger = `the run probed again while its question waited: ${reason ?? 'the primary is confirmed down'}`;
    const superseded = await supersedeVerdictApprovals(deps, { database: database.name, trigger, now, byOwnProbes: true });
    logger.info('pending verdict question withdrawn: the primary is confirmed down now', {
      database: database.name,
      incidentId,
      superseded: superseded.length,
    });
    return { watching: false, superseded };
  }
  const pending = await listPendingApprovals(deps, database.name, { now });
  const waiting = pending.some((p) => p.incidentId === incidentId && p.step === 'failover' && p.decision === question);
  return { watching: waiting, superseded: [] };
});

/**
 * The approval request; `action` "supersede" or "watch" (see the header) selects the other two
 * inputs, each with its own contract (lambdas/shared/contracts.ts CONTRACTS["request-approval"]).
 */
export async function handler(event: { action: 'supersede' }, context?: HandlerContext): Promise<z.output<typeof supersedeApprovalsOutput>>;
export async function handler(event: { action: 'watch' }, context?: HandlerContext): Promise<z.output<typeof watchApprovalOutput>>;
export async function handler(event: unknown, context?: HandlerContext): Promise<z.output<typeof requestApprovalOutput>>;
export async function handler(
  event: unknown,
  context?: HandlerContext,
): Promise<z.output<typeof requestApprovalOutput> | z.output<typeof supersedeApprovalsOutput> | z.output<typeof watchApprovalOutput>> {
  const action = (event as { action?: unknown } | null)?.action;
  if (action === 'supersede') return supersede(event, context);
  if (action === 'watch') return watch(event, context);
  return requestHandler(event, context);
}
