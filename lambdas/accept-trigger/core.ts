/**
 * Decides whether the event that started a failover run is a genuine trigger for this database,
 * and derives the run's identity and timings. Pure: no SDK, no env, no clock (the caller passes
 * `now`). Anything that is not exactly a trigger is refused with {@link InvalidTriggerError}, whose
 * message names what was wrong; a refused trigger changes nothing (this is the first state).
 */
import * as z from 'zod/mini';
import type { AcceptTriggerOutput } from '../shared/contracts.js';
import { DETAIL_TYPES, pendingTrigger } from '../shared/contracts.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { GAME_DAY_FAULTS, isAurora } from '../shared/config-values.js';
import { InvalidTriggerError } from '../shared/errors.js';
import { describeIssues } from '../shared/issues.js';
import { watchIntervalSeconds } from '../shared/history-budget.js';
import { alarmName, GAME_DAY_EVENT_SOURCE, HEARTBEAT_EVENT_SOURCE, HEARTBEAT_SITES, LEASE_EVENT_SOURCE, OPERATOR_EVENT_SOURCE } from '../shared/names.js';

/**
 * RDS instance events that start a verification (docs/aws-behaviour.md §4). Each only *starts* a run: the
 * probes decide whether the primary is really down.
 * - RDS-EVENT-0004 DB instance shutdown (availability)
 * - RDS-EVENT-0031 DB instance failed (failure)
 * - RDS-EVENT-0035 invalid parameters: the instance cannot start (failure)
 * - RDS-EVENT-0036 incompatible network: the instance cannot start (failure)
 * - RDS-EVENT-0221 storage full: the database was shut down (availability)
 *
 * Deliberately NOT triggers: 0006 restarted (it is back), 0013 Multi-AZ failover started and
 * 0015/0049 completed (RDS handles it in-Region; racing it would be harmful), 0034 "a requested
 * failover was not attempted because one happened recently" (about a request, e.g. a reboot with
 * failover, not about the primary's health: docs/aws-behaviour.md, "RDS events"), 0020/0021 recovery,
 * 0087 stopped (a person, or our own fence, stopped it), 0045/0046/0057/0202 (about replicas, not
 * the primary), 0181–0187 (an Aurora global failover in progress, possibly our own).
 */
export const RDS_INSTANCE_TRIGGER_EVENT_IDS = ['RDS-EVENT-0004', 'RDS-EVENT-0031', 'RDS-EVENT-0035', 'RDS-EVENT-0036', 'RDS-EVENT-0221'] as const;

/**
 * RDS cluster events (Aurora) that start a verification: only RDS-EVENT-0069 "cluster failover
 * failed" (Aurora could not move the writer inside the Region). A failed writer instance is
 * Aurora's own in-Region failover to handle; the heartbeat alarms cover the rest. 0070–0073
 * (in-Region failover in progress/finished) and the global events 0181–0187 are not triggers.
 */
export const RDS_CLUSTER_TRIGGER_EVENT_IDS = ['RDS-EVENT-0069'] as const;

export const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
export const RDS_INSTANCE_DETAIL_TYPE = 'RDS DB Instance Event';
export const RDS_CLUSTER_DETAIL_TYPE = 'RDS DB Cluster Event';

/** A CloudWatch alarm state change, as EventBridge delivers it. */
export const alarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal(ALARM_DETAIL_TYPE),
  time: z.optional(z.string()),
  detail: z.object({
    alarmName: z.string().check(z.minLength(1)),
    state: z.object({
      value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      reason: z.optional(z.string()),
      timestamp: z.string().check(z.minLength(1)),
    }),
  }),
});

/** An RDS instance or cluster event, as EventBridge delivers it. */
export const rdsEventSchema = z.object({
  source: z.literal('aws.rds'),
  'detail-type': z.enum([RDS_INSTANCE_DETAIL_TYPE, RDS_CLUSTER_DETAIL_TYPE]),
  time: z.optional(z.string()),
  detail: z.object({
    SourceIdentifier: z.string().check(z.minLength(1)),
    EventID: z.string().check(z.minLength(1)),
    Message: z.optional(z.string()),
    Date: z.optional(z.string()),
  }),
});

/** An operator's failover request (`failover start` CLI or PutEvents), detail-type "Failover Requested". */
export const operatorEventSchema = z.object({
  source: z.literal(OPERATOR_EVENT_SOURCE),
  'detail-type': z.literal(DETAIL_TYPES.operatorRequest),
  time: z.optional(z.string()),
  detail: z.object({
    database: z.string().check(z.minLength(1)),
    requestedBy: z.string().check(z.minLength(1)),
    reason: z.optional(z.string()),
  }),
});

/**
 * A failed heartbeat asking for a verification (put on the product bus by the heartbeat function,
 * detail-type "Heartbeat Failed"). `at` is when the failed attempt started.
 */
export const heartbeatEventSchema = z.object({
  source: z.literal(HEARTBEAT_EVENT_SOURCE),
  'detail-type': z.literal(DETAIL_TYPES.heartbeatFailed),
  time: z.optional(z.string()),
  detail: z.object({
    database: z.string().check(z.minLength(1)),
    site: z.enum(HEARTBEAT_SITES as unknown as ['in-region', 'cross-region']),
    at: z.string().check(z.minLength(1)),
    error: z.optional(z.string()),
  }),
});

/**
 * A drill request ("Drill Requested", docs/game-days.md "Drill runs") as the drill rule of the
 * requesting database delivers it: the event's own fields, plus `gameDay`, the requesting
 * database's game-day settings from the config, which the rule's input template adds (an event
 * cannot bring its own: the rule puts the event's `detail` inside the template, never its top level).
 */
export const drillEventSchema = z.object({
  source: z.literal(GAME_DAY_EVENT_SOURCE),
  'detail-type': z.literal(DETAIL_TYPES.drillRequest),
  time: z.optional(z.string()),
  detail: z.object({
    /** The drill pair the run acts on. */
    database: z.string().check(z.minLength(1)),
    /** The production database whose game day this is. */
    requestedFor: z.string().check(z.minLength(1)),
    /** The fault to inject; null or absent: the run starts none (it is injected another way). */
    fault: z.optional(z.nullable(z.enum(GAME_DAY_FAULTS))),
    scheduled: z.optional(z.boolean()),
    requestedBy: z.optional(z.string().check(z.minLength(1))),
  }),
  gameDay: z.optional(
    z.object({
      requestedFor: z.string().check(z.minLength(1)),
      drillPair: z.string().check(z.minLength(1)),
      allowProductionTarget: z.boolean(),
      faults: z.array(z.enum(GAME_DAY_FAULTS)),
      /** The requesting database's `gameDay.objectives`: the drill's figures are compared with them when it closes. */
      objectives: z.optional(z.object({ rtoSeconds: z.number().check(z.positive()), rpoSeconds: z.number().check(z.minimum(0)) })),
    }),
  ),
});

/**
 * A trigger re-delivered by a failover run that released the lease without failing over while the
 * trigger waited for it ("Failover Trigger Redelivered", docs/design.md "No trigger is lost to a
 * lease"): `trigger` is the waiting trigger as this function normalised it when it stood down.
 */
export const redeliveredEventSchema = z.object({
  source: z.literal(LEASE_EVENT_SOURCE),
  'detail-type': z.literal(DETAIL_TYPES.triggerRedelivered),
  time: z.optional(z.string()),
  detail: z.object({
    database: z.string().check(z.minLength(1)),
    trigger: pendingTrigger,
    /** The run whose release re-delivered it. */
    releasedBy: z.string().check(z.minLength(1)),
  }),
});

const TRIGGER_SOURCES = ['aws.cloudwatch', 'aws.rds', OPERATOR_EVENT_SOURCE, HEARTBEAT_EVENT_SOURCE, GAME_DAY_EVENT_SOURCE, LEASE_EVENT_SOURCE];

/** What the core needs besides the database and the event. */
export interface AcceptTriggerContext {
  /** Resource prefix (names the trigger alarms). */
  prefix: string;
  /** The execution ARN (or name) of this run. */
  executionId: string;
  /** Fallback time when an operator event carries none. */
  now: Date;
}

/** The execution name: the last `:` segment of an execution ARN (the whole string if it has none). */
export const incidentIdOf = (executionId: string): string => executionId.slice(executionId.lastIndexOf(':') + 1);

/**
 * Normalises an event timestamp to ISO 8601 UTC. Accepts CloudWatch's `2019-10-02T17:04:40.989+0000`
 * (offset without a colon) and anything ISO. Returns undefined when it is not a time.
 */
export function normaliseTimestamp(value: string): string | undefined {
  const withColon = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(withColon)) return undefined;
  const date = new Date(withColon);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const timeOrThrow = (value: string, what: string): string => {
  const at = normaliseTimestamp(value);
  if (!at) throw new InvalidTriggerError(`${what} "${value}" is not a timestamp`, { value });
  return at;
};

const shapeError = (kind: string, error: z.core.$ZodError, event: unknown): InvalidTriggerError =>
  new InvalidTriggerError(`malformed ${kind} event: ${describeIssues(error.issues, event)}`);

/** The derived settings every accepted trigger carries. */
function derived(
  database: DatabaseConfig,
  executionId: string,
): Pick<AcceptTriggerOutput, 'incidentId' | 'approvalTimeoutSeconds' | 'watchIntervalSeconds' | 'promotionTimeoutSeconds' | 'rounds'> {
  const { probeRounds, probeIntervalSeconds } = database.detection;
  const approvalTimeoutSeconds = database.failover.approvalTimeoutMinutes * 60;
  return {
    incidentId: incidentIdOf(executionId),
    approvalTimeoutSeconds,
    watchIntervalSeconds: watchIntervalSeconds(
      approvalTimeoutSeconds,
      database.detection.vantagePoints.length + (database.detection.includeControlPlane ? 1 : 0),
    ),
    promotionTimeoutSeconds: database.failover.promotionTimeoutMinutes * 60,
    rounds: Array.from({ length: probeRounds }, (_, i) => ({ round: i + 1, waitSeconds: i === 0 ? 0 : probeIntervalSeconds })),
  };
}

function acceptAlarm(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  const parsed = alarmEventSchema.safeParse(event);
  if (!parsed.success) throw shapeError('CloudWatch alarm', parsed.error, event);
  const { detail } = parsed.data;
  const own = HEARTBEAT_SITES.map((site) => alarmName(ctx.prefix, database.name, site));
  if (!own.includes(detail.alarmName)) {
    throw new InvalidTriggerError(
      `alarm "${detail.alarmName}" does not belong to database "${database.name}" (expected ${own.map((n) => `"${n}"`).join(' or ')})`,
      {
        alarmName: detail.alarmName,
      },
    );
  }
  if (detail.state.value !== 'ALARM') {
    throw new InvalidTriggerError(`alarm "${detail.alarmName}" changed to ${detail.state.value}, not ALARM: nothing to handle`, {
      alarmName: detail.alarmName,
      state: detail.state.value,
    });
  }
  const at = timeOrThrow(detail.state.timestamp, 'alarm state timestamp');
  return {
    kind: 'alarm',
    source: detail.alarmName,
    at,
    summary: `Alarm ${detail.alarmName} went to ALARM${detail.state.reason ? `: ${detail.state.reason}` : ''}`,
    ...derived(database, ctx.executionId),
  };
}

function acceptRdsEvent(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  const parsed = rdsEventSchema.safeParse(event);
  if (!parsed.success) throw shapeError('RDS', parsed.error, event);
  const { detail, time } = parsed.data;
  const detailType = parsed.data['detail-type'];
  const aurora = isAurora(database.engine);
  const expectedType = aurora ? RDS_CLUSTER_DETAIL_TYPE : RDS_INSTANCE_DETAIL_TYPE;
  const expectedId = aurora ? database.primary.clusterId : database.primary.instanceId;
  if (detailType !== expectedType) {
    throw new InvalidTriggerError(`"${detailType}" is not a trigger for ${database.engine} database "${database.name}" (expected "${expectedType}")`, {
      detailType,
    });
  }
  // RDS stores identifiers in lowercase; the config may spell them with capitals.
  if (!expectedId || detail.SourceIdentifier.toLowerCase() !== expectedId.toLowerCase()) {
    throw new InvalidTriggerError(
      `RDS event source "${detail.SourceIdentifier}" is not the primary of database "${database.name}" (expected "${expectedId ?? '(none configured)'}")`,
      { sourceIdentifier: detail.SourceIdentifier },
    );
  }
  const triggers: readonly string[] = aurora ? RDS_CLUSTER_TRIGGER_EVENT_IDS : RDS_INSTANCE_TRIGGER_EVENT_IDS;
  if (!triggers.includes(detail.EventID)) {
    throw new InvalidTriggerError(
      `RDS event ${detail.EventID} on "${detail.SourceIdentifier}" is not a failure or availability event (triggers: ${triggers.join(', ')})`,
      {
        eventId: detail.EventID,
      },
    );
  }
  const when = detail.Date ?? time;
  if (!when) throw new InvalidTriggerError(`RDS event ${detail.EventID} carries no time (neither detail.Date nor time)`);
  return {
    kind: 'rds-event',
    source: detail.EventID,
    at: timeOrThrow(when, 'RDS event time'),
    summary: `RDS event ${detail.EventID} on ${detail.SourceIdentifier}${detail.Message ? `: ${detail.Message}` : ''}`,
    ...(detail.SourceIdentifier ? { subject: detail.SourceIdentifier } : {}),
    ...derived(database, ctx.executionId),
  };
}

function acceptOperator(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  const parsed = operatorEventSchema.safeParse(event);
  if (!parsed.success) throw shapeError('operator request', parsed.error, event);
  const { detail, time } = parsed.data;
  if (detail.database !== database.name) {
    throw new InvalidTriggerError(`operator request is for database "${detail.database}", not "${database.name}"`, { requested: detail.database });
  }
  return {
    kind: 'operator',
    source: detail.requestedBy,
    at: time ? timeOrThrow(time, 'operator request time') : ctx.now.toISOString(),
    summary: `Failover requested by ${detail.requestedBy}${detail.reason ? `: ${detail.reason}` : ''}`,
    requestedBy: detail.requestedBy,
    ...derived(database, ctx.executionId),
  };
}

/**
 * A single failed heartbeat only starts a verification: the probes' quorum over several rounds
 * decides, and a healthy verdict ends the run as a false alarm.
 */
function acceptHeartbeat(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  const parsed = heartbeatEventSchema.safeParse(event);
  if (!parsed.success) throw shapeError('heartbeat', parsed.error, event);
  const { detail } = parsed.data;
  if (detail.database !== database.name) {
    throw new InvalidTriggerError(`failed heartbeat is of database "${detail.database}", not "${database.name}"`, { reported: detail.database });
  }
  return {
    kind: 'heartbeat',
    source: detail.site,
    at: timeOrThrow(detail.at, 'heartbeat time'),
    summary: `Heartbeat of ${database.name} failed (${detail.site})${detail.error ? `: ${detail.error}` : ''}`,
    ...derived(database, ctx.executionId),
  };
}

/**
 * A drill runs only on the drill pair its requesting database names (`gameDay.drillPair`), and on
 * a pair that is not a designated drill target (`drillTarget: true`) only with that database's
 * explicit `gameDay.allowProductionTarget`: the run-time guard behind the validate-time rule
 * (lib/config/rules.ts `gameDays`). A refused drill ends the run before the lease: nothing is touched.
 */
function acceptDrill(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  const parsed = drillEventSchema.safeParse(event);
  if (!parsed.success) throw shapeError('drill request', parsed.error, event);
  const { detail, time, gameDay } = parsed.data;
  if (!gameDay) {
    throw new InvalidTriggerError(
      `drill request for "${detail.database}" carries no game-day settings: a drill starts only through the drill rule of the database that asks for it (a database with gameDay), never from a bare event`,
      { requestedFor: detail.requestedFor },
    );
  }
  if (detail.requestedFor !== gameDay.requestedFor) {
    throw new InvalidTriggerError(
      `drill request is for the game day of "${detail.requestedFor}", but the rule that delivered it is "${gameDay.requestedFor}"'s`,
      {
        requestedFor: detail.requestedFor,
      },
    );
  }
  if (detail.database !== database.name || gameDay.drillPair !== database.name) {
    throw new InvalidTriggerError(
      `drill request targets "${detail.database}", but "${gameDay.requestedFor}" drills "${gameDay.drillPair}" and this run is for "${database.name}": a drill runs only on the configured drill pair`,
      { requested: detail.database, drillPair: gameDay.drillPair },
    );
  }
  if (database.drillTarget !== true && !gameDay.allowProductionTarget) {
    throw new InvalidTriggerError(
      `drill refused: "${database.name}" is a production pair (drillTarget is not true) and "${gameDay.requestedFor}" has no gameDay.allowProductionTarget: a drill never fails over a production pair without that explicit opt-in. Nothing was touched.`,
      { database: database.name, requestedFor: gameDay.requestedFor },
    );
  }
  const fault = detail.fault ?? null;
  if (fault !== null && !gameDay.faults.includes(fault)) {
    throw new InvalidTriggerError(
      `drill fault "${fault}" is not one of "${gameDay.requestedFor}"'s gameDay.faults (${gameDay.faults.join(', ')}): only those experiments are deployed`,
      { fault },
    );
  }
  const scheduled = detail.scheduled ?? false;
  const by = detail.requestedBy ?? (scheduled ? 'schedule' : 'operator');
  return {
    kind: 'drill',
    source: gameDay.requestedFor,
    at: time ? timeOrThrow(time, 'drill request time') : ctx.now.toISOString(),
    summary: `DRILL of ${gameDay.requestedFor} on drill pair ${database.name} (${fault ? `fault ${fault}` : 'no fault experiment'}; ${scheduled ? 'scheduled' : `requested by ${by}`})`,
    ...derived(database, ctx.executionId),
    drill: { requestedFor: gameDay.requestedFor, fault, scheduled, ...(gameDay.objectives ? { objectives: gameDay.objectives } : {}) },
  };
}

/**
 * A re-delivered trigger is the original trigger again (its kind, source and time: the cooldown and
 * stale-trigger rules judge it as they would have judged the original), marked as re-delivered for
 * the timeline. The new run verifies from scratch: re-delivery only restores the chance to act.
 */
function acceptRedelivered(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  const parsed = redeliveredEventSchema.safeParse(event);
  if (!parsed.success) throw shapeError('re-delivered trigger', parsed.error, event);
  const { detail } = parsed.data;
  if (detail.database !== database.name) {
    throw new InvalidTriggerError(`re-delivered trigger is for database "${detail.database}", not "${database.name}"`, { redelivered: detail.database });
  }
  const { kind, source, at, summary, requestedBy, subject, stoodDownAt, heldBy } = detail.trigger;
  const waited = stoodDownAt
    ? ` (re-delivered: it stood down at ${stoodDownAt} while ${heldBy ? incidentIdOf(heldBy) : 'another run'} held the lease)`
    : ' (re-delivered)';
  return {
    kind,
    source,
    // Its own time: the cooldown and stale-trigger rules judge it as they would have judged the original.
    at: timeOrThrow(at, 're-delivered trigger time'),
    summary: `${summary}${waited}`,
    ...(requestedBy ? { requestedBy } : {}),
    ...(subject ? { subject } : {}),
    ...derived(database, ctx.executionId),
    redelivered: { releasedBy: detail.releasedBy, ...(stoodDownAt ? { stoodDownAt } : {}), ...(heldBy ? { heldBy } : {}) },
  };
}

/**
 * Accepts exactly: a CloudWatch ALARM of one of this database's trigger alarms; an RDS failure or
 * availability event of its primary; an operator's "Failover Requested" for it; a failed
 * heartbeat of it ("Heartbeat Failed"); a "Drill Requested" for it as a drill pair (see
 * {@link acceptDrill}); a re-delivered trigger of it ("Failover Trigger Redelivered", see
 * {@link acceptRedelivered}). Throws
 * {@link InvalidTriggerError} for anything else.
 */
export function acceptTrigger(database: DatabaseConfig, event: unknown, ctx: AcceptTriggerContext): AcceptTriggerOutput {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidTriggerError('the trigger is not an EventBridge event (expected an object with source, detail-type and detail)');
  }
  const source = (event as { source?: unknown }).source;
  switch (source) {
    case 'aws.cloudwatch':
      return acceptAlarm(database, event, ctx);
    case 'aws.rds':
      return acceptRdsEvent(database, event, ctx);
    case OPERATOR_EVENT_SOURCE:
      return acceptOperator(database, event, ctx);
    case HEARTBEAT_EVENT_SOURCE:
      return acceptHeartbeat(database, event, ctx);
    case GAME_DAY_EVENT_SOURCE:
      return acceptDrill(database, event, ctx);
    case LEASE_EVENT_SOURCE:
      return acceptRedelivered(database, event, ctx);
    default:
      throw new InvalidTriggerError(
        `event source ${typeof source === 'string' ? `"${source}"` : '(missing)'} is not a trigger (expected one of ${TRIGGER_SOURCES.join(', ')})`,
        { source: typeof source === 'string' ? source : null },
      );
  }
}
