/**
 * Approval requests: the record `request-approval` writes, and how a human answers it. The CLI
 * (`failover approve|reject`), the approval page (POST only: GET never approves) and the cloud
 * twin all answer through {@link decideApproval}, so every answer is checked the same way:
 * the id must exist, be pending and not expired, and it can be used once, even when two people
 * answer at the same moment (a conditional write decides who wins).
 *
 * Record: `pk=APPROVAL#<id>, sk=APPROVAL`. The task token lives only in that record (never in a
 * message, a log or an output) and is removed as soon as the approval is answered or expires.
 * `pendingDatabase` is set only while pending, so the sparse GSI `pending` lists open requests.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { approvalKey } from './approval-key.js';
import { awsErrorName, toFailoverError } from './aws-errors.js';
import type { APPROVAL_DECISIONS, APPROVAL_STEPS, ApprovalResult } from './contracts.js';
import { ApprovalRefusedError, InvalidInputError } from './errors.js';
import { lazy } from './lazy.js';
import { logger } from './logger.js';
import { PENDING_APPROVALS_INDEX } from './names.js';

/** Step Functions' SendTaskSuccess, imported when an answer is delivered (request-approval's cold start does not need it). */
const sfnSdk = lazy(() => import('@aws-sdk/client-sfn'));

/** Name of the sparse GSI listing pending approvals (partition key `pendingDatabase`, sort key `createdAt`). */
export const PENDING_INDEX = PENDING_APPROVALS_INDEX;

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'abandoned', 'superseded'] as const;
/**
 * pending: waiting for an answer; approved / rejected: answered (single use); expired: the
 * deadline passed or the workflow stopped waiting; abandoned: the request could not be announced
 * and the workflow step was retried with a new request; superseded: a new trigger brought new
 * evidence and the workflow went back to verify the failure again (a new question follows if
 * one is still needed).
 */
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** The approval record as stored in DynamoDB. */
export interface ApprovalRecord {
  pk: string;
  sk: string;
  approvalId: string;
  /** Step Functions task token; present only while pending. Never returned to callers. */
  taskToken?: string;
  database: string;
  incidentId: string;
  step: (typeof APPROVAL_STEPS)[number];
  /** What the human is asked to allow. */
  decision: (typeof APPROVAL_DECISIONS)[number];
  reasons: string[];
  facts: Record<string, unknown>;
  status: ApprovalStatus;
  /** Set only while pending (sparse GSI `pending`). */
  pendingDatabase?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601: answers are refused from this moment on. */
  expiresAt: string;
  /** DynamoDB TTL, epoch seconds (30 days after expiry). */
  ttl: number;
  decidedAt?: string;
  approver?: string;
  reason?: string;
  /** What approving, rejecting and not answering do, in words (shown on the approval page). */
  effects?: ApprovalEffects;
}

/** What each answer does, in words. */
export interface ApprovalEffects {
  approve: string;
  reject: string;
  timeout: string;
}

/** An approval as listed for operators (never the token). */
export interface ApprovalSummary {
  id: string;
  database: string;
  incidentId: string;
  step: ApprovalRecord['step'];
  decision: ApprovalRecord['decision'];
  reasons: string[];
  createdAt: string;
  expiresAt: string;
}

/** An approval as shown on the approval page (never the token). */
export interface ApprovalView extends ApprovalSummary {
  status: ApprovalStatus;
  facts: Record<string, unknown>;
  decidedAt?: string;
  approver?: string;
  reason?: string;
  effects?: ApprovalEffects;
}

export interface ApprovalDeps {
  /** DynamoDB client in the control Region. */
  ddb: DynamoDBClient;
  /** Step Functions client in the control Region (the state machine's Region). */
  sfn: SFNClient;
  tableName: string;
}

export interface DecideApprovalRequest {
  approvalId: string;
  decision: 'approve' | 'reject';
  /** Who answers (IAM principal, SSO user, e-mail): recorded on the approval and in the workflow. */
  approver: string;
  reason?: string;
  now: Date;
}

/** What {@link decideApproval} did: the result sent to the workflow and the approval it answered. */
export interface DecidedApproval {
  result: ApprovalResult;
  approval: ApprovalSummary;
  decidedAt: string;
}

/** SendTaskSuccess errors meaning the workflow no longer waits for this token. */
const TOKEN_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Attributes read for listings and the page: everything but the task token. */
const PUBLIC_ATTRIBUTES = [
  'approvalId',
  'database',
  'incidentId',
  'step',
  'decision',
  'reasons',
  'facts',
  'status',
  'createdAt',
  'expiresAt',
  'decidedAt',
  'approver',
  'reason',
  'effects',
];
const projection = (): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } => ({
  ProjectionExpression: PUBLIC_ATTRIBUTES.map((_, i) => `#p${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(PUBLIC_ATTRIBUTES.map((name, i) => [`#p${i}`, name])),
});

const toSummary = (r: Partial<ApprovalRecord>): ApprovalSummary => ({
  id: r.approvalId ?? '',
  database: r.database ?? '',
  incidentId: r.incidentId ?? '',
  step: r.step as ApprovalRecord['step'],
  decision: r.decision as ApprovalRecord['decision'],
  reasons: r.reasons ?? [],
  createdAt: r.createdAt ?? '',
  expiresAt: r.expiresAt ?? '',
});

const toView = (r: Partial<ApprovalRecord>): ApprovalView => ({
  ...toSummary(r),
  status: r.status ?? 'pending',
  facts: r.facts ?? {},
  ...(r.decidedAt ? { decidedAt: r.decidedAt } : {}),
  ...(r.approver ? { approver: r.approver } : {}),
  ...(r.reason !== undefined ? { reason: r.reason } : {}),
  ...(r.effects ? { effects: r.effects } : {}),
});

/**
 * Why an approval cannot be answered at `now`, or null when it can. Pure: used by
 * {@link decideApproval} and by pages that show the state of a request.
 */
export function refusalFor(record: Pick<ApprovalRecord, 'status' | 'expiresAt'> | undefined, now: Date): ApprovalRefusedError['why'] | null {
  if (!record) return 'not-found';
  if (record.status === 'expired' || record.status === 'abandoned') return 'expired';
  if (record.status !== 'pending') return 'already-decided';
  if (!(record.expiresAt > now.toISOString())) return 'expired';
  return null;
}

function refusal(why: ApprovalRefusedError['why'], approvalId: string, record?: Partial<ApprovalRecord>): ApprovalRefusedError {
  const about = record?.database ? ` (${record.database}, incident ${record.incidentId}, ${record.step})` : '';
  const message =
    why === 'not-found'
      ? `Approval ${approvalId} does not exist: check the id in the notification (ids are case-sensitive).`
      : why === 'expired'
        ? `Approval ${approvalId}${about} has expired: the workflow no longer waits for it (deadline ${record?.expiresAt ?? 'passed'}). Nothing was changed.`
        : `Approval ${approvalId}${about} was already answered (${record?.status}${record?.approver ? ` by ${record.approver}` : ''}${record?.decidedAt ? ` at ${record.decidedAt}` : ''}); an approval can be used once.`;
  return new ApprovalRefusedError(why, message, { approvalId, status: record?.status });
}

async function readRecord(deps: ApprovalDeps, approvalId: string): Promise<ApprovalRecord | undefined> {
  try {
    const out = await deps.ddb.send(new GetItemCommand({ TableName: deps.tableName, Key: marshall(approvalKey(approvalId)), ConsistentRead: true }));
    return out.Item ? (unmarshall(out.Item) as ApprovalRecord) : undefined;
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (approval)');
  }
}

/** Marks a pending (or just-decided) approval expired and drops its token; best effort. */
async function markExpired(deps: ApprovalDeps, approvalId: string, fromStatus: ApprovalStatus, now: Date): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.tableName,
        Key: marshall(approvalKey(approvalId)),
        UpdateExpression: 'SET #status = :expired, expiredAt = :now REMOVE pendingDatabase, taskToken',
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':expired': 'expired', ':now': now.toISOString(), ':from': fromStatus }),
      }),
    );
  } catch (err) {
    logger.warn('could not mark the approval expired', { approvalId, error: awsErrorName(err) });
  }
}

/**
 * Answers an approval request once: checks it exists, is pending and has not expired, records
 * the answer with a conditional write (pending → approved/rejected, the token removed), then
 * resumes the workflow with SendTaskSuccess carrying {@link ApprovalResult} (a rejection is a
 * success too: the workflow's Choice branches on `decision`).
 *
 * @throws ApprovalRefusedError `not-found`, `expired` (also when the workflow stopped waiting:
 *   the record is then marked expired) or `already-decided` (also when another answer won a race).
 * @throws TransientAwsError / AwsCallFailedError when DynamoDB or Step Functions fail; the record
 *   is put back to pending first when the workflow could not be told, so the answer can be retried.
 */
export async function decideApproval(deps: ApprovalDeps, req: DecideApprovalRequest): Promise<DecidedApproval> {
  const approvalId = req.approvalId.trim();
  const approver = req.approver.trim();
  if (!approver) throw new InvalidInputError('An approver identity is required to answer an approval.');
  if (req.decision !== 'approve' && req.decision !== 'reject')
    throw new InvalidInputError(`decision must be "approve" or "reject", got ${JSON.stringify(req.decision)}`);
  if (!approvalId) throw refusal('not-found', approvalId);

  const nowIso = req.now.toISOString();
  const record = await readRecord(deps, approvalId);
  const why = refusalFor(record, req.now);
  if (why) {
    if (why === 'expired' && record?.status === 'pending') await markExpired(deps, approvalId, 'pending', req.now);
    throw refusal(why, approvalId, record);
  }
  const found = record as ApprovalRecord;
  const status: ApprovalStatus = req.decision === 'approve' ? 'approved' : 'rejected';
  const reason = req.reason ?? '';

  // Single use: only one answer can move the record out of `pending`, and only before expiry.
  let token: string | undefined;
  try {
    const out = await deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.tableName,
        Key: marshall(approvalKey(approvalId)),
        UpdateExpression: 'SET #status = :decided, decidedAt = :now, approver = :approver, #reason = :reason REMOVE pendingDatabase, taskToken',
        ConditionExpression: '#status = :pending AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: marshall({ ':decided': status, ':now': nowIso, ':approver': approver, ':reason': reason, ':pending': 'pending' }),
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    token = (out.Attributes ? (unmarshall(out.Attributes) as ApprovalRecord).taskToken : undefined) ?? found.taskToken;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || awsErrorName(err) === 'ConditionalCheckFailedException') {
      const item = (err as { Item?: Record<string, AttributeValue> }).Item;
      const current = item ? (unmarshall(item) as ApprovalRecord) : await readRecord(deps, approvalId);
      throw refusal(refusalFor(current, req.now) ?? 'already-decided', approvalId, current);
    }
    throw toFailoverError(err, 'DynamoDB UpdateItem (approval)');
  }

  const result: ApprovalResult = { decision: req.decision, approver, reason, approvalId };
  if (!token) {
    // A pending record always carries its token; without one the workflow cannot be resumed.
    await markExpired(deps, approvalId, status, req.now);
    throw refusal('expired', approvalId, found);
  }
  try {
    await deps.sfn.send(new (await sfnSdk()).SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(result) }));
  } catch (err) {
    if (TOKEN_GONE.has(awsErrorName(err))) {
      await markExpired(deps, approvalId, status, req.now);
      throw refusal('expired', approvalId, found);
    }
    await putBackPending(deps, found, token, status, approver);
    throw toFailoverError(err, 'Step Functions SendTaskSuccess');
  }
  logger.info('approval answered', { approvalId, database: found.database, incidentId: found.incidentId, step: found.step, decision: req.decision, approver });
  return { result, approval: toSummary(found), decidedAt: nowIso };
}

/** How many times one failover run goes back to verify because of new triggers. */
export const MAX_REVERIFICATIONS = 3;

/**
 * How many times in all when the last is the run's own probes finding the primary confirmed down
 * (the watch): one more than new triggers may use, so a primary that crashes after the triggers
 * used up theirs (a partition's heartbeats and alarms) is still failed over before the question
 * expires. A run asks at most this many + 1 verdict questions.
 */
export const MAX_REVERIFICATIONS_BY_OWN_PROBES = MAX_REVERIFICATIONS + 1;

/** A drill's questions, besides the verdict, that an RDS failure event withdraws (`failureEvent`). */
const DRILL_QUESTIONS = ['accept-data-loss', 'promote-unfenced'] as const;

export interface SupersedeRequest {
  database: string;
  /** The new trigger, in words (recorded as the reason). */
  trigger: string;
  now: Date;
  /**
   * A real trigger (a failure, not a drill) withdraws a drill's question however many times that
   * drill verified again: a real failure outranks a rehearsal, and the drill's question would
   * otherwise keep the real run waiting until it expires. The watch does not set it.
   */
  outranksDrills?: boolean;
  /** The run's own probes found the primary confirmed down (the watch): {@link MAX_REVERIFICATIONS_BY_OWN_PROBES} applies. */
  byOwnProbes?: boolean;
  /**
   * The trigger reports the primary failed (an RDS failure event, RDS_FAILURE_EVENT_IDS), which
   * no game day's fault causes: it also withdraws a drill's data-loss or unfenced-promotion
   * question. Other triggers during a drill are mostly its own fault's, and leave those stand.
   */
  failureEvent?: boolean;
  /**
   * The run with this incident id fenced the old primary again while its unfenced-promotion
   * question waited, and the fence is confirmed now: that question (drill or not) is withdrawn,
   * within {@link MAX_REVERIFICATIONS_BY_OWN_PROBES}. A human was asked only because the fence
   * failed; one that works needs no human.
   */
  unfencedOf?: string;
}

/**
 * New evidence for a failover that waits for a human to judge an ambiguous verdict: a later
 * trigger (an alarm, an RDS event) of the same database found the lease taken by that run. The
 * question is withdrawn (pending → superseded, single use like an answer) and the run resumes with
 * `decision: "reverify"`: it probes again and acts on what it sees now (a primary confirmed down
 * is failed over as the config says; still ambiguous, a human is asked again). Only the verdict
 * question is withdrawn: a data-loss, manual-mode or unfenced-promotion question stands (a new
 * trigger does not change it), and at most {@link MAX_REVERIFICATIONS} times per run (once more
 * by the run's own probes, `byOwnProbes`), except a drill's by a real trigger (`outranksDrills`).
 * An RDS failure event (`failureEvent`) also withdraws a drill's data-loss or unfenced-promotion
 * question, at most {@link MAX_REVERIFICATIONS} times per drill run: the real failure changes the
 * facts the rehearsal asked about (a primary that crashed since is fenced by being down), and the
 * drill's question would keep the real failure waiting on a human.
 *
 * @returns the ids of the approvals withdrawn (none is normal: nothing was waiting on a verdict).
 */
export async function supersedeVerdictApprovals(deps: ApprovalDeps, req: SupersedeRequest): Promise<string[]> {
  const pending = await listPendingApprovals(deps, req.database, { now: req.now });
  const nowIso = req.now.toISOString();
  const reason = `New evidence: ${req.trigger}`;
  const done: string[] = [];
  const fewReverifications = 'attribute_not_exists(#facts.#reverifications) OR #facts.#reverifications < :max';
  const drillQuestions: readonly string[] = DRILL_QUESTIONS;
  // A run's own fence withdraws its own unfenced question and nothing else.
  const own = req.unfencedOf !== undefined;
  const watched = (x: ApprovalSummary): boolean =>
    own
      ? x.decision === DRILL_QUESTIONS[1] && x.incidentId === req.unfencedOf
      : x.decision === 'promote' || (!!req.failureEvent && drillQuestions.includes(x.decision));
  const which = own
    ? `#decision = :unfenced AND incidentId = :incident AND (${fewReverifications})`
    : `(#decision = :promote AND #facts.#verdict = :ambiguous AND (${fewReverifications}${req.outranksDrills ? ' OR attribute_type(#facts.#drill, :map)' : ''}))` +
      `${req.failureEvent ? ` OR (#decision IN (:dataLoss, :unfenced) AND attribute_type(#facts.#drill, :map) AND (${fewReverifications}))` : ''}`;
  for (const p of pending.filter((x) => x.step === 'failover' && watched(x))) {
    let token: string | undefined;
    try {
      const out = await deps.ddb.send(
        new UpdateItemCommand({
          TableName: deps.tableName,
          Key: marshall(approvalKey(p.id)),
          UpdateExpression: 'SET #status = :superseded, decidedAt = :now, approver = :approver, #reason = :reason REMOVE pendingDatabase, taskToken',
          ConditionExpression: `#status = :pending AND expiresAt > :now AND (${which})`,
          // Only the names and values the condition uses: DynamoDB refuses unused ones.
          ExpressionAttributeNames: {
            '#status': 'status',
            '#reason': 'reason',
            '#decision': 'decision',
            '#facts': 'facts',
            '#reverifications': 'reverifications',
            ...(own ? {} : { '#verdict': 'verdict' }),
            ...(!own && (req.outranksDrills || req.failureEvent) ? { '#drill': 'drill' } : {}),
          },
          ExpressionAttributeValues: marshall({
            ':superseded': 'superseded',
            ':now': nowIso,
            ':approver': 'automation',
            ':reason': reason,
            ':pending': 'pending',
            ':max': req.byOwnProbes ? MAX_REVERIFICATIONS_BY_OWN_PROBES : MAX_REVERIFICATIONS,
            ...(own
              ? { ':unfenced': DRILL_QUESTIONS[1], ':incident': req.unfencedOf }
              : {
                  ':ambiguous': 'ambiguous',
                  ':promote': 'promote',
                  ...(req.outranksDrills || req.failureEvent ? { ':map': 'M' } : {}),
                  ...(req.failureEvent ? { ':dataLoss': DRILL_QUESTIONS[0], ':unfenced': DRILL_QUESTIONS[1] } : {}),
                }),
          }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      token = out.Attributes ? (unmarshall(out.Attributes) as ApprovalRecord).taskToken : undefined;
    } catch (err) {
      // Answered, expired, not about the verdict, or withdrawn enough times already: it stands.
      if (err instanceof ConditionalCheckFailedException || awsErrorName(err) === 'ConditionalCheckFailedException') continue;
      throw toFailoverError(err, 'DynamoDB UpdateItem (approval)');
    }
    if (!token) continue;
    const result: ApprovalResult = { decision: 'reverify', approver: 'automation', reason, approvalId: p.id };
    try {
      await deps.sfn.send(new (await sfnSdk()).SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(result) }));
    } catch (err) {
      if (TOKEN_GONE.has(awsErrorName(err))) {
        await markExpired(deps, p.id, 'superseded', req.now);
        continue;
      }
      // The run could not be told: the question goes back to pending, for a human to answer.
      await putBackPending(deps, { approvalId: p.id, database: p.database } as ApprovalRecord, token, 'superseded', 'automation');
      throw toFailoverError(err, 'Step Functions SendTaskSuccess');
    }
    logger.info('approval superseded by a new trigger', { approvalId: p.id, database: p.database, incidentId: p.incidentId });
    done.push(p.id);
  }
  return done;
}

/** The workflow could not be told: undo our answer so it can be given again. */
async function putBackPending(deps: ApprovalDeps, record: ApprovalRecord, token: string, status: ApprovalStatus, approver: string): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.tableName,
        Key: marshall(approvalKey(record.approvalId)),
        UpdateExpression: 'SET #status = :pending, taskToken = :token, pendingDatabase = :database REMOVE decidedAt, approver, #reason',
        ConditionExpression: '#status = :decided AND approver = :approver',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: marshall({
          ':pending': 'pending',
          ':token': token,
          ':database': record.database,
          ':decided': status,
          ':approver': approver,
        }),
      }),
    );
  } catch (err) {
    logger.error('could not put the approval back to pending after SendTaskSuccess failed', { approvalId: record.approvalId, error: awsErrorName(err) });
  }
}

/** One approval as shown on the approval page, or null when the id is unknown. Never the token. */
export async function getApproval(deps: Pick<ApprovalDeps, 'ddb' | 'tableName'>, approvalId: string): Promise<ApprovalView | null> {
  try {
    const out = await deps.ddb.send(
      new GetItemCommand({ TableName: deps.tableName, Key: marshall(approvalKey(approvalId)), ConsistentRead: true, ...projection() }),
    );
    return out.Item ? toView(unmarshall(out.Item) as ApprovalRecord) : null;
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (approval)');
  }
}

export interface ListPendingOptions {
  /** Leave out requests whose deadline has passed at this moment. Default: keep them all. */
  now?: Date;
}

/**
 * Pending approvals, oldest first: for one database (Query on the sparse GSI `pending`) or for
 * all (Scan with a filter). The GSI must project the listed attributes (ALL projection).
 */
export async function listPendingApprovals(
  deps: Pick<ApprovalDeps, 'ddb' | 'tableName'>,
  database?: string,
  options: ListPendingOptions = {},
): Promise<ApprovalSummary[]> {
  const items: ApprovalRecord[] = [];
  const { ProjectionExpression, ExpressionAttributeNames } = projection();
  let startKey: Record<string, AttributeValue> | undefined;
  try {
    do {
      const out = database
        ? await deps.ddb.send(
            new QueryCommand({
              TableName: deps.tableName,
              IndexName: PENDING_INDEX,
              KeyConditionExpression: 'pendingDatabase = :database',
              ProjectionExpression,
              ExpressionAttributeNames,
              ExpressionAttributeValues: marshall({ ':database': database }),
              ExclusiveStartKey: startKey,
            }),
          )
        : await deps.ddb.send(
            new ScanCommand({
              TableName: deps.tableName,
              FilterExpression: 'begins_with(pk, :prefix) AND #status = :pending',
              ProjectionExpression,
              ExpressionAttributeNames: { ...ExpressionAttributeNames, '#status': 'status' },
              ExpressionAttributeValues: marshall({ ':prefix': 'APPROVAL#', ':pending': 'pending' }),
              ExclusiveStartKey: startKey,
            }),
          );
      for (const item of out.Items ?? []) items.push(unmarshall(item) as ApprovalRecord);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  } catch (err) {
    throw toFailoverError(err, database ? 'DynamoDB Query (pending approvals)' : 'DynamoDB Scan (pending approvals)');
  }
  const nowIso = options.now?.toISOString();
  return items
    .filter((r) => r.status === 'pending' && (nowIso === undefined || r.expiresAt > nowIso))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map(toSummary);
}
