/**
 * manage-lease: takes, releases and records the per-database lease (one incident at a time, with
 * an epoch as fencing token) in the state table, and reports the current roles: every output
 * carries `current`, the input database with its sites swapped when the configured standby takes
 * writes. Every action is idempotent: a re-run after a crash or redrive gives the same result;
 * `read` changes nothing. Every output also says whether the other site is a standby
 * (`standbyReady`): after a recorded failover or failback the former writer is not, until the
 * failback rebuilt it as a replica and recorded it (`record-standby`); `standbyDetail` says why,
 * and what promoting it would lose.
 *
 * A lease held by another execution is checked with Step Functions (DescribeExecution): a holder
 * that has stopped (crashed, stopped by hand, timed out, escalated) is reported as
 * `held-by-stopped-run`, or taken over when an operator asked for a failover (`takeOverStopped`).
 * A trigger that stands down because another run holds the lease is kept on the lease item
 * (`pendingTrigger`); the holder's release hands it back (and clears it) for the workflow to
 * re-deliver, and a recorded failover drops it (docs/design.md "No trigger is lost to a lease").
 *
 * Env: TABLE_NAME (the state table), AWS_REGION (the table's Region: the control Region).
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ResourceBusyError } from '../shared/errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { manageLeaseInput, manageLeaseOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { lazy } from '../shared/lazy.js';
import { databaseStateKey } from '../shared/names.js';
import { currentRoles, standbyNotReadyDetail } from '../shared/roles.js';
import { logger } from '../shared/logger.js';
import {
  acquiredOutcome,
  asksRdsAboutStandby,
  standbyFoundOutcome,
  stoppedHolderDecision,
  holderToAsk,
  isExecutionArn,
  readDecision,
  readOutcome,
  takenOverOutcome,
  takeOverPlan,
  type HolderStatus,
  acquirePlan,
  acquireRefused,
  recordedAfterUpdate,
  recordFailover,
  recordRefused,
  recordStandby,
  recordStandbyRefused,
  releasedAfterUpdate,
  releasedOutcome,
  keepTriggerPlan,
  triggerToKeep,
  standbyRecordedAfterUpdate,
  releasePlan,
  clearWaitingPlan,
  type LeaseItem,
  type LeaseOutcome,
  type LeaseRequest,
  type UpdatePlan,
} from './core.js';

const sfnSdk = lazy(() => import('@aws-sdk/client-sfn'));
// Only when the record says no standby (after a failover, until the failback records one).
const replicaCheck = lazy(() => import('./replica-check.js'));

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const ddb = regional(DynamoDBClient, ownRegion());

/** How the holder's execution stands; a holder that is not an execution ARN counts as running (never taken over). */
async function holderStatus(holder: string): Promise<HolderStatus> {
  if (!isExecutionArn(holder)) return 'RUNNING';
  try {
    // Asked only when a lease is held by another run: the Step Functions client is imported here.
    const { DescribeExecutionCommand, SFNClient } = await sfnSdk();
    const out = await regional(SFNClient, ownRegion()).send(new DescribeExecutionCommand({ executionArn: holder }));
    return (out.status ?? 'RUNNING') as HolderStatus;
  } catch (err) {
    if (awsErrorName(err) === 'ExecutionDoesNotExist') return 'GONE';
    throw toFailoverError(err, 'states:DescribeExecution');
  }
}

type Outcome = { ok: true; item: LeaseItem } | { ok: false; old: LeaseItem | undefined };

const toItem = (attrs: Record<string, AttributeValue> | undefined): LeaseItem | undefined =>
  attrs && Object.keys(attrs).length > 0 ? (unmarshall(attrs) as LeaseItem) : undefined;

async function getItem(key: Record<string, AttributeValue>): Promise<LeaseItem | undefined> {
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: key, ConsistentRead: true }));
    return toItem(out.Item);
  } catch (err) {
    throw toFailoverError(err, 'dynamodb:GetItem');
  }
}

/** Sends a conditional update; a failed condition returns the item as it was (ALL_OLD, else read back). */
async function conditionalUpdate(key: Record<string, AttributeValue>, plan: UpdatePlan): Promise<Outcome> {
  try {
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: key,
        UpdateExpression: plan.UpdateExpression,
        ConditionExpression: plan.ConditionExpression,
        ExpressionAttributeNames: plan.ExpressionAttributeNames,
        ExpressionAttributeValues: marshall(plan.ExpressionAttributeValues),
        ReturnValues: plan.ReturnValues ?? 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { ok: true, item: toItem(out.Attributes) ?? {} };
  } catch (err) {
    if (awsErrorName(err) !== 'ConditionalCheckFailedException') throw toFailoverError(err, 'dynamodb:UpdateItem');
    const returned = (err as { Item?: Record<string, AttributeValue> }).Item;
    return { ok: false, old: returned ? toItem(returned) : await getItem(key) };
  }
}

export const handler = defineHandler('manage-lease', { input: manageLeaseInput, output: manageLeaseOutput }, async (input) => {
  const key = marshall(databaseStateKey(input.database.name));
  const request: LeaseRequest = {
    holder: input.holder,
    incidentId: input.incidentId,
    ignoreCooldown: input.ignoreCooldown,
    cooldownMinutes: input.database.failover.cooldownMinutes,
    ...(input.triggeredAt ? { triggeredAt: new Date(input.triggeredAt).toISOString() } : {}),
    ...(input.trigger && (input.trigger.kind === 'drill' || (input.trigger.drill !== undefined && input.trigger.drill !== null)) ? { drill: true } : {}),
    ...(input.waiting ? { waiting: true } : {}),
  };
  const now = new Date();
  let output: LeaseOutcome;
  switch (input.action) {
    case 'acquire': {
      const result = await conditionalUpdate(key, acquirePlan(request, now));
      output = result.ok ? acquiredOutcome(result.item) : acquireRefused(result.old, request, now);
      const holder = holderToAsk(output, request.holder);
      if (!holder) break;
      const decision = stoppedHolderDecision(output, await holderStatus(holder), input.takeOverStopped);
      if (decision.kind === 'done') {
        output = decision.output;
        const writer = currentRoles(input.database, output.writer ?? 'primary').primary;
        const kept = triggerToKeep(
          output,
          input.trigger,
          [writer.instanceId, writer.clusterId].filter((id): id is string => !!id).map((id) => id.toLowerCase()),
        );
        if (kept && output.heldBy) {
          const write = await conditionalUpdate(key, keepTriggerPlan(kept, output.heldBy, now));
          // The holder released meanwhile: the lease may be free now, so the acquisition is tried again.
          if (!write.ok) throw new ResourceBusyError('the lease holder changed while the trigger was being kept; try again', { heldBy: output.heldBy });
        }
        break;
      }
      const taken = await conditionalUpdate(key, takeOverPlan(request, decision.from, now));
      output = taken.ok ? takenOverOutcome(taken.item, decision.from, decision.status) : acquireRefused(taken.old, request, now);
      break;
    }
    case 'release': {
      const result = await conditionalUpdate(key, releasePlan(request));
      output = result.ok ? releasedAfterUpdate(result.item, request.triggeredAt) : releasedOutcome(result.old, request);
      // A failback that waited and ends without taking the lease again: its wait mark goes (drills may run again).
      if (!result.ok && result.old?.failbackWaiting === request.holder) await conditionalUpdate(key, clearWaitingPlan(request));
      break;
    }
    case 'record-failover': {
      const decision = recordFailover(await getItem(key), { ...request, keepLease: input.keepLease, standbyReplicates: input.standbyReplicates }, now);
      if (decision.kind === 'done') {
        output = decision.output;
        break;
      }
      const result = await conditionalUpdate(key, decision.plan);
      output = result.ok ? recordedAfterUpdate(result.item) : recordRefused(result.old, request);
      break;
    }
    case 'record-standby': {
      const decision = recordStandby(await getItem(key), request);
      if (decision.kind === 'done') {
        output = decision.output;
        break;
      }
      const result = await conditionalUpdate(key, decision.plan);
      output = result.ok ? standbyRecordedAfterUpdate(result.item) : recordStandbyRefused(result.old, request);
      break;
    }
    case 'read': {
      const read = readOutcome(await getItem(key));
      const holder = holderToAsk(read, request.holder);
      output = readDecision(read, holder ? await holderStatus(holder) : undefined);
      break;
    }
  }
  const current = currentRoles(input.database, output.writer);
  // The record says the other site is no standby: RDS may know better (a rebuild that was not recorded).
  if (asksRdsAboutStandby(output, input.action)) {
    const found = await (await replicaCheck()).replicaOfWriter(current);
    if (found) {
      logger.info('the other site replicates from the writer although the record says it is no standby: it is one', { ...found });
      output = standbyFoundOutcome(output);
    }
  }
  const standbyDetail = output.standbyNotReadySince ? standbyNotReadyDetail(current, output.standbyNotReadySince, now) : undefined;
  return { ...output, ...(standbyDetail ? { standbyDetail } : {}), current };
});
