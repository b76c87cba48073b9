/**
 * The per-database lease (one incident at a time, with an epoch as fencing token) and the record of
 * which site takes writes. Pure: builds the DynamoDB expressions and decides outcomes from the item
 * and the clock passed in; the handler only sends what this module decides.
 *
 * Item `pk=DB#<database>, sk=STATE`: `holder`, `incidentId` (while held), `epoch` (number, +1 per
 * acquisition), `acquiredAt`, `writer` ('primary'|'standby', default 'primary'), `lastFailoverAt`,
 * `lastChangeAt` (ISO; start of the cooldown), `lastIncidentId` (the last recorded failover),
 * `standbyNotReadySince` (ISO; set by a recorded failover or failback: the site that stopped taking
 * writes is a former writer, not a standby, until the failback rebuilt it as a replica of the
 * current writer and recorded it with `record-standby`; absent: the other site is a standby),
 * `pendingTrigger` (a trigger that stood down because another run held the lease: the holder's
 * release hands it back to be re-delivered, docs/design.md "No trigger is lost to a lease").
 */
import type { ManageLeaseInput, ManageLeaseOutput, PendingTrigger } from '../shared/contracts.js';
import { ResourceBusyError, TerminalError } from '../shared/errors.js';

/** What the core decides: the output without the current-roles view (the handler adds it from the writer). */
export type LeaseOutcome = Omit<ManageLeaseOutput, 'current'>;

export type Site = 'primary' | 'standby';

/** The lease/roles item as stored (unmarshalled). */
export interface LeaseItem {
  holder?: string;
  incidentId?: string;
  epoch?: number;
  acquiredAt?: string;
  writer?: Site;
  lastFailoverAt?: string;
  lastChangeAt?: string;
  lastIncidentId?: string;
  /** The stopped execution this holder took the lease over from (an operator's request). */
  takenOverFrom?: string;
  /** Set while the non-writer site is a former writer that has not been rebuilt as a replica of the current writer. */
  standbyNotReadySince?: string;
  /** The latest trigger that stood down while this lease was held (by another run than its own). */
  pendingTrigger?: PendingTrigger;
  /** The failback that let the lease go while it only watches and asks (stability window, approval): drills stay off meanwhile. */
  failbackWaiting?: string;
}

/** What the core needs from the input. */
export interface LeaseRequest {
  holder: string;
  incidentId: string;
  ignoreCooldown: boolean;
  cooldownMinutes: number;
  /**
   * When the trigger happened (ISO 8601 UTC, as accept-trigger normalises it). With the cooldown
   * applying, a trigger from before the last failover or failback is stale (a late or replayed
   * delivery: EventBridge retries a target for up to 24 hours) and takes nothing.
   */
  triggeredAt?: string;
  /** acquire: the run is a drill, which stays off while a failback waits ({@link LeaseItem.failbackWaiting}). */
  drill?: boolean;
  /** release: a failback lets the lease go while it waits (marks `failbackWaiting`); acquire: that failback takes it again (clears it). */
  waiting?: boolean;
}

/** The parts of an UpdateItem request the core decides (values unmarshalled; the handler marshalls). */
export interface UpdatePlan {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
  /** What the update returns when it succeeds (default ALL_NEW: the item as written). */
  ReturnValues?: 'ALL_OLD';
}

/** record-failover was asked of an execution that does not hold the lease (and did not record it). */
export class LeaseNotHeldError extends TerminalError {
  override readonly name = 'LeaseNotHeldError';
}

const NAMES = {
  '#holder': 'holder',
  '#incidentId': 'incidentId',
  '#epoch': 'epoch',
  '#acquiredAt': 'acquiredAt',
  '#writer': 'writer',
  '#lastFailoverAt': 'lastFailoverAt',
  '#lastChangeAt': 'lastChangeAt',
  '#lastIncidentId': 'lastIncidentId',
  '#takenOverFrom': 'takenOverFrom',
  '#standbyNotReadySince': 'standbyNotReadySince',
  '#pendingTrigger': 'pendingTrigger',
  '#failbackWaiting': 'failbackWaiting',
} as const;
type NameKey = keyof typeof NAMES;

/** Only the names an expression uses (DynamoDB rejects unused ones). */
const namesUsedIn = (...expressions: string[]): Record<string, string> => {
  const text = expressions.join(' ');
  return Object.fromEntries((Object.keys(NAMES) as NameKey[]).filter((k) => new RegExp(`${k}\\b`).test(text)).map((k) => [k, NAMES[k]]));
};

/** Start of the cooldown window: failovers/failbacks at or after it block an automatic acquisition. */
export const cooldownStart = (now: Date, cooldownMinutes: number): string => new Date(now.getTime() - cooldownMinutes * 60_000).toISOString();

const otherSite = (site: Site): Site => (site === 'primary' ? 'standby' : 'primary');

const summary = (
  item: LeaseItem | undefined,
): Pick<LeaseOutcome, 'epoch' | 'writer' | 'lastFailoverAt' | 'lastIncidentId' | 'standbyReady' | 'standbyNotReadySince'> => ({
  epoch: item?.epoch ?? 0,
  writer: item?.writer ?? 'primary',
  ...(item?.lastFailoverAt ? { lastFailoverAt: item.lastFailoverAt } : {}),
  lastIncidentId: item?.lastIncidentId ?? '',
  // Safety rule: a former writer is no standby until it has been rebuilt as a replica of the current writer.
  standbyReady: !item?.standbyNotReadySince,
  ...(item?.standbyNotReadySince ? { standbyNotReadySince: item.standbyNotReadySince } : {}),
});

// ---------------------------------------------------------------- read

/** The lease and roles as they are (read changes nothing). */
export const readOutcome = (item: LeaseItem | undefined): LeaseOutcome => ({
  acquired: false,
  outcome: 'read',
  ...summary(item),
  ...(item?.holder ? { heldBy: item.holder } : {}),
});

// ---------------------------------------------------------------- acquire

/**
 * One conditional UpdateItem takes the lease: nobody holds it and (unless the cooldown is ignored)
 * no failover or failback happened within the cooldown. The epoch increments on every acquisition.
 */
export function acquirePlan(request: LeaseRequest, now: Date): UpdatePlan {
  const stale = !request.ignoreCooldown && request.triggeredAt !== undefined;
  // A drill also waits for a failback that let the lease go while it watches and asks.
  const free = request.drill ? 'attribute_not_exists(#holder) AND attribute_not_exists(#failbackWaiting)' : 'attribute_not_exists(#holder)';
  const condition = request.ignoreCooldown
    ? free
    : stale
      ? `(${free}) AND (attribute_not_exists(#lastChangeAt) OR (#lastChangeAt < :cooldownStart AND #lastChangeAt < :triggeredAt))`
      : `(${free}) AND (attribute_not_exists(#lastChangeAt) OR #lastChangeAt < :cooldownStart)`;
  return takePlan(request, now, condition, '', {
    ...(request.ignoreCooldown ? {} : { ':cooldownStart': cooldownStart(now, request.cooldownMinutes) }),
    ...(stale ? { ':triggeredAt': request.triggeredAt } : {}),
  });
}

/** Takes the lease for `request` under `condition` (epoch + 1); `also` adds SET clauses, `values` their values. */
function takePlan(request: LeaseRequest, now: Date, condition: string, also: string, values: Record<string, unknown>): UpdatePlan {
  const update = `SET #holder = :holder, #incidentId = :incidentId, #acquiredAt = :now, ${also}#writer = if_not_exists(#writer, :primary)${request.waiting ? ' REMOVE #failbackWaiting' : ''} ADD #epoch :one`;
  return {
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: namesUsedIn(condition, update),
    ExpressionAttributeValues: {
      ':holder': request.holder,
      ':incidentId': request.incidentId,
      ':now': now.toISOString(),
      ':primary': 'primary',
      ':one': 1,
      ...values,
    },
  };
}

/** The outcome of a successful acquisition, from the item as written (ALL_NEW). */
export const acquiredOutcome = (item: LeaseItem): LeaseOutcome => ({ acquired: true, outcome: 'acquired', ...summary(item) });

/**
 * Why the acquisition's condition failed, from the item as it was (ALL_OLD): held by this very
 * execution (a re-run after a crash or redrive: `reentered`, same epoch), held by another
 * (`already-handled`), within the cooldown, or a trigger older than the last change
 * (`stale-trigger`). An item that explains nothing (it changed under us)
 * is a {@link ResourceBusyError}: the workflow retries.
 */
export function acquireRefused(old: LeaseItem | undefined, request: LeaseRequest, now: Date): LeaseOutcome {
  if (old?.holder === request.holder) return { acquired: true, outcome: 'reentered', ...summary(old) };
  if (old?.holder) return { acquired: false, outcome: 'already-handled', heldBy: old.holder, ...summary(old) };
  // A drill stays off while a failback waits (it would fail the production pair over mid-failback).
  if (request.drill && old?.failbackWaiting) return { acquired: false, outcome: 'already-handled', heldBy: old.failbackWaiting, ...summary(old) };
  if (!request.ignoreCooldown && old?.lastChangeAt && old.lastChangeAt >= cooldownStart(now, request.cooldownMinutes)) {
    return { acquired: false, outcome: 'cooldown', ...summary(old) };
  }
  if (!request.ignoreCooldown && request.triggeredAt !== undefined && old?.lastChangeAt && old.lastChangeAt >= request.triggeredAt) {
    return { acquired: false, outcome: 'stale-trigger', ...summary(old) };
  }
  throw new ResourceBusyError('the lease item changed while it was being acquired; try again', { holder: request.holder });
}

// ---------------------------------------------------------------- a holder that stopped

/**
 * How the holder's execution stands (Step Functions DescribeExecution), or `GONE` when Step
 * Functions no longer knows it (executions are kept 90 days after they end).
 */
export type HolderStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'GONE';

/**
 * Is this holder an execution that nobody will go on with unless asked? A run that crashed, was
 * stopped, timed out or escalated keeps the lease (docs/design.md, rule 7: nothing else acts until a human looks);
 * `PENDING_REDRIVE` is a redrive under way, so it counts as running.
 */
export const holderStopped = (status: HolderStatus): boolean => status !== 'RUNNING' && status !== 'PENDING_REDRIVE';

/** Only execution ARNs are asked about (any other holder is treated as running: never taken over). */
export const isExecutionArn = (holder: string): boolean => /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(holder);

/**
 * An operator asked for a failover while the lease is held by a stopped run: take it over, only if
 * that stopped run still holds it (one conditional write; a concurrent taker wins or loses
 * cleanly). The epoch increments, so anything the stopped run left pending is fenced off.
 */
export function takeOverPlan(request: LeaseRequest, stoppedHolder: string, now: Date): UpdatePlan {
  return takePlan(request, now, '#holder = :stopped', '#takenOverFrom = :stopped, ', { ':stopped': stoppedHolder });
}

/** The outcome of a take-over (ALL_NEW). */
export const takenOverOutcome = (item: LeaseItem, from: string, status: HolderStatus): LeaseOutcome => ({
  acquired: true,
  outcome: 'taken-over',
  ...summary(item),
  takenOverFrom: from,
  holderStatus: status,
});

/**
 * An alarm or event (not a human) found the lease held by a stopped run: act on nothing, and say
 * so (the workflow records and notifies it: an incident is never left silently unhandled).
 */
export const heldByStoppedOutcome = (refused: LeaseOutcome, status: HolderStatus): LeaseOutcome => ({
  ...refused,
  acquired: false,
  outcome: 'held-by-stopped-run',
  holderStatus: status,
});

// ---------------------------------------------------------------- release

/**
 * Removes the holder, only if it is this execution (never someone else's lease), and in the same
 * write the trigger that stood down meanwhile (`pendingTrigger`), which the release hands back from
 * the item as it was (ALL_OLD): the workflow re-delivers it, or drops it after a completed failover.
 */
export function releasePlan(request: Pick<LeaseRequest, 'holder' | 'waiting'>): UpdatePlan {
  return holderPlan(
    '#holder = :holder',
    request.waiting ? 'REMOVE #holder, #incidentId, #pendingTrigger SET #failbackWaiting = :holder' : 'REMOVE #holder, #incidentId, #pendingTrigger',
    request.holder,
  );
}

/** A conditional update whose only value is the run's holder (`:holder`), returning the item as it was. */
const holderPlan = (condition: string, update: string, holder: string): UpdatePlan => ({
  UpdateExpression: update,
  ConditionExpression: condition,
  ExpressionAttributeNames: namesUsedIn(condition, update),
  ExpressionAttributeValues: { ':holder': holder },
  ReturnValues: 'ALL_OLD',
});

/**
 * A failback that let the lease go to wait, and ends without taking it again (the roles changed,
 * nobody answered, a rejection, policy never): its release finds the lease free or held by another
 * run, and clears its own wait mark only (drills may run again).
 */
export const clearWaitingPlan = (request: Pick<LeaseRequest, 'holder'>): UpdatePlan =>
  holderPlan('#failbackWaiting = :holder', 'REMOVE #failbackWaiting', request.holder);

/**
 * The outcome of a release that found the lease free or held by another (`item` = ALL_OLD, nothing
 * changed): always `released` (idempotent), with no pending trigger (it is not this run's to hand back).
 */
export function releasedOutcome(item: LeaseItem | undefined, request: Pick<LeaseRequest, 'holder'>): LeaseOutcome {
  const heldByOther = item?.holder && item.holder !== request.holder ? { heldBy: item.holder } : {};
  return { acquired: false, outcome: 'released', ...summary(item), ...heldByOther };
}

/**
 * The outcome of a release that removed this run's hold (`old` = the item before it: release only
 * removes the holder, so the roles and epoch are the same after), with the trigger that waited, if
 * any, and only if it happened after this run's own trigger (`triggeredAt`): one from before (a
 * duplicate or replayed delivery of the same signal) is covered by this run's own verification.
 */
export const releasedAfterUpdate = (old: LeaseItem, triggeredAt?: string): LeaseOutcome => {
  const waited = old.pendingTrigger;
  const newer = waited && (triggeredAt === undefined || waited.at > triggeredAt);
  return { acquired: false, outcome: 'released', ...summary(old), ...(newer ? { pendingTrigger: waited } : {}) };
};

// ---------------------------------------------------------------- a trigger that stood down

/**
 * The trigger to keep on the lease item, if any: only one that stood down because another run holds
 * the lease (`already-handled`, or `held-by-stopped-run`: that run may be redriven), never a
 * drill's (a drill that finds the lease held just stands down), in the form it is kept.
 */
export function triggerToKeep(outcome: LeaseOutcome, trigger: ManageLeaseInput['trigger'], writerIds: readonly string[] = []): PendingTrigger | undefined {
  if (!trigger || trigger.kind === 'drill' || (trigger.drill !== undefined && trigger.drill !== null)) return undefined;
  if ((outcome.outcome !== 'already-handled' && outcome.outcome !== 'held-by-stopped-run') || !outcome.heldBy) return undefined;
  // An RDS event about the site that does not take writes now (the one a failback fences, stops
  // and rebuilds) is no failure of the writer: a run would only find the writer healthy.
  if (trigger.kind === 'rds-event' && trigger.subject && writerIds.length > 0 && !writerIds.includes(trigger.subject.toLowerCase())) return undefined;
  const { kind, source, at, summary, requestedBy, subject } = trigger;
  return { kind, source, at, summary, ...(requestedBy ? { requestedBy } : {}), ...(subject ? { subject } : {}) };
}

/**
 * Keeps `trigger` on the lease item, only while `heldBy` still holds it (one conditional write;
 * the latest trigger replaces an earlier one: it is the newest evidence, and the cooldown and
 * stale-trigger rules judge its time as they would have judged it). A failed condition (the holder
 * released meanwhile) is a {@link ResourceBusyError} for the handler: the acquisition is tried again.
 */
export function keepTriggerPlan(trigger: PendingTrigger, heldBy: string, now: Date): UpdatePlan {
  const condition = '#holder = :heldBy';
  const update = 'SET #pendingTrigger = :trigger';
  return {
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: namesUsedIn(condition, update),
    ExpressionAttributeValues: { ':heldBy': heldBy, ':trigger': { ...trigger, stoodDownAt: now.toISOString(), heldBy } },
  };
}

// ---------------------------------------------------------------- record-failover

export type RecordDecision = { kind: 'done'; output: LeaseOutcome } | { kind: 'update'; plan: UpdatePlan };

/** The outcome once this incident's failover is recorded (the item after the change, or as found). */
const recordedOutcome = (item: LeaseItem | undefined): LeaseOutcome => ({ acquired: false, outcome: 'recorded', ...summary(item) });

/**
 * Records a completed failover (or failback): the writer moves to the other site, the cooldown
 * restarts, the site that stopped taking writes is no standby (`standbyNotReadySince`) unless it
 * goes on replicating (`standbyReplicates`: an Aurora switchover), and the lease is released unless
 * `keepLease` (the failback still rebuilds the other side under its lease). Already recorded for
 * this incident: done, nothing sent (checked first, so a re-run that kept the lease never flips the
 * writer twice). A trigger kept while the lease was held is dropped (it was about the old
 * primary). Not the holder and not recorded: {@link LeaseNotHeldError} (never change roles
 * without the lease).
 */
export function recordFailover(
  item: LeaseItem | undefined,
  request: Pick<LeaseRequest, 'holder' | 'incidentId'> & { keepLease?: boolean; standbyReplicates?: boolean },
  now: Date,
): RecordDecision {
  if (item?.lastIncidentId === request.incidentId) return { kind: 'done', output: recordedOutcome(item) };
  if (item?.holder === request.holder) {
    const condition = '#holder = :holder';
    // A trigger that waited for this lease was about the old primary: dropped, never re-delivered.
    const removed = [
      ...(request.standbyReplicates ? ['#standbyNotReadySince'] : []),
      ...(request.keepLease ? [] : ['#holder', '#incidentId']),
      '#pendingTrigger',
    ];
    const remove = removed.length ? ` REMOVE ${removed.join(', ')}` : '';
    const notReady = request.standbyReplicates ? '' : ', #standbyNotReadySince = :now';
    const update = `SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId${notReady}${remove}`;
    return {
      kind: 'update',
      plan: {
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesUsedIn(condition, update),
        ExpressionAttributeValues: {
          ':holder': request.holder,
          ':writer': otherSite(item.writer ?? 'primary'),
          ':now': now.toISOString(),
          ':incidentId': request.incidentId,
        },
      },
    };
  }
  throw new LeaseNotHeldError(
    `cannot record the failover of incident ${request.incidentId}: the lease is ${item?.holder ? `held by ${item.holder}` : 'not held'}, not by ${request.holder}`,
    { holder: request.holder, heldBy: item?.holder ?? null },
  );
}

/** After a successful record-failover update (ALL_NEW). */
export const recordedAfterUpdate = (item: LeaseItem): LeaseOutcome => recordedOutcome(item);

/** The record-failover condition failed (ALL_OLD): recorded already by a first attempt, or the lease is lost. */
export function recordRefused(old: LeaseItem | undefined, request: Pick<LeaseRequest, 'holder' | 'incidentId'>): LeaseOutcome {
  if (old?.lastIncidentId === request.incidentId) return recordedOutcome(old);
  throw new LeaseNotHeldError(
    `cannot record the failover of incident ${request.incidentId}: the lease is ${old?.holder ? `held by ${old.holder}` : 'not held'}, not by ${request.holder}`,
    { holder: request.holder, heldBy: old?.holder ?? null },
  );
}

// ---------------------------------------------------------------- record-standby

/** The outcome once the standby is recorded as rebuilt (the item after the change, or as found). */
const standbyRecordedOutcome = (item: LeaseItem | undefined): LeaseOutcome => ({ acquired: false, outcome: 'standby-recorded', ...summary(item) });

/**
 * The failback rebuilt the former writer as a replica of the current writer and saw it caught up:
 * it is a standby again. Already a standby: done, nothing sent (a re-run). Only the holder records
 * it (the failback holds the lease while it rebuilds); anyone else: {@link LeaseNotHeldError}.
 */
export function recordStandby(item: LeaseItem | undefined, request: Pick<LeaseRequest, 'holder' | 'incidentId'>): RecordDecision {
  if (!item?.standbyNotReadySince) return { kind: 'done', output: standbyRecordedOutcome(item) };
  if (item.holder === request.holder) {
    const condition = '#holder = :holder';
    const update = 'REMOVE #standbyNotReadySince';
    return {
      kind: 'update',
      plan: {
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesUsedIn(condition, update),
        ExpressionAttributeValues: { ':holder': request.holder },
      },
    };
  }
  throw new LeaseNotHeldError(
    `cannot record the rebuilt standby for incident ${request.incidentId}: the lease is ${item.holder ? `held by ${item.holder}` : 'not held'}, not by ${request.holder}`,
    { holder: request.holder, heldBy: item.holder ?? null },
  );
}

/** After a successful record-standby update (ALL_NEW). */
export const standbyRecordedAfterUpdate = (item: LeaseItem): LeaseOutcome => standbyRecordedOutcome(item);

/** The record-standby condition failed (ALL_OLD): recorded meanwhile, or the lease is lost. */
export function recordStandbyRefused(old: LeaseItem | undefined, request: Pick<LeaseRequest, 'holder' | 'incidentId'>): LeaseOutcome {
  if (!old?.standbyNotReadySince) return standbyRecordedOutcome(old);
  throw new LeaseNotHeldError(
    `cannot record the rebuilt standby for incident ${request.incidentId}: the lease is ${old.holder ? `held by ${old.holder}` : 'not held'}, not by ${request.holder}`,
    { holder: request.holder, heldBy: old.holder ?? null },
  );
}

// ---------------------------------------------------------------- a lease held by a stopped run

/**
 * Whose execution Step Functions is asked about: the run that holds the lease, when it refused an
 * acquisition or when the lease is read, unless it is the asker's own (undefined: nobody to ask).
 */
export function holderToAsk(outcome: LeaseOutcome, asker: string): string | undefined {
  if (outcome.outcome !== 'already-handled' && outcome.outcome !== 'read') return undefined;
  return outcome.heldBy && outcome.heldBy !== asker ? outcome.heldBy : undefined;
}

/**
 * A read of the lease: as it is, or `held-by-stopped-run` when the run holding it has stopped
 * (`status` as Step Functions says; undefined: not asked). The failback reports such a lease
 * instead of waiting on it.
 */
export const readDecision = (read: LeaseOutcome, status: HolderStatus | undefined): LeaseOutcome =>
  status && holderStopped(status) ? heldByStoppedOutcome(read, status) : read;

/**
 * An acquire was refused because another execution holds the lease, and that execution may have
 * stopped (`status`: RUNNING or PENDING_REDRIVE, or undefined when not asked: it runs). Only a human's request
 * (`takeOverStopped`) takes the lease over; a run of the same incident started again does not: it
 * would start over on top of whatever the stopped run left half-done (redrive that run instead).
 */
export type StoppedHolderDecision = { kind: 'done'; output: LeaseOutcome } | { kind: 'take-over'; from: string; status: HolderStatus };

export function stoppedHolderDecision(refused: LeaseOutcome, status: HolderStatus | undefined, takeOverStopped: boolean): StoppedHolderDecision {
  if (!status || !holderStopped(status) || !refused.heldBy || refused.outcome !== 'already-handled') return { kind: 'done', output: refused };
  return takeOverStopped ? { kind: 'take-over', from: refused.heldBy, status } : { kind: 'done', output: heldByStoppedOutcome(refused, status) };
}

// ---------------------------------------------------------------- the standby, as RDS knows it

/**
 * Should RDS be asked whether the other site replicates from the writer? Only when the record
 * says it is no standby, and only on acquire and read (the other actions record, they do not look).
 */
export const asksRdsAboutStandby = (outcome: LeaseOutcome, action: string): boolean =>
  outcome.standbyNotReadySince !== undefined && (action === 'acquire' || action === 'read');

/** RDS found the other site replicating from the writer (a rebuild that was not recorded): it is a standby. */
export function standbyFoundOutcome(outcome: LeaseOutcome): LeaseOutcome {
  const { standbyNotReadySince: _cleared, standbyDetail: _detail, ...rest } = outcome;
  return { ...rest, standbyReady: true };
}
