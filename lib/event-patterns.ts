/**
 * The EventBridge patterns that start the failover workflow and forward signals to the control
 * Region, and the input the rules give the workflow. Pure: no constructs (the cloud twin and the
 * tests match events against exactly these).
 */
import { EventField, RuleTargetInput, type EventPattern } from 'aws-cdk-lib/aws-events';
import {
  ALARM_DETAIL_TYPE,
  RDS_CLUSTER_DETAIL_TYPE,
  RDS_CLUSTER_TRIGGER_EVENT_IDS,
  RDS_INSTANCE_DETAIL_TYPE,
  RDS_INSTANCE_TRIGGER_EVENT_IDS,
} from '../lambdas/accept-trigger/core.js';
import { isAurora, type DatabaseConfig } from '../lambdas/shared/config-schema.js';
import { DETAIL_TYPES } from '../lambdas/shared/contracts.js';
import { DRILL_INPUT_ROOM, drillGameDay, drillInputSize, FAILOVER_INPUT_ROOM, failoverInputSize, INPUT_TEMPLATE_LIMIT } from './rule-input-size.js';
import { alarmName, GAME_DAY_EVENT_SOURCE, HEARTBEAT_EVENT_SOURCE, LEASE_EVENT_SOURCE, OPERATOR_EVENT_SOURCE } from '../lambdas/shared/names.js';

/** A pattern as EventBridge reads it (top-level `$or` included). */
export type Pattern = Record<string, unknown>;

/** The primary's RDS identifier that RDS events name in `detail.SourceIdentifier`. */
export const primaryIdentifier = (db: DatabaseConfig): string | undefined => (isAurora(db.engine) ? db.primary.clusterId : db.primary.instanceId);

/** RDS event detail-type about the primary: instance events, or cluster events for Aurora. */
const rdsDetailType = (db: DatabaseConfig): string => (isAurora(db.engine) ? RDS_CLUSTER_DETAIL_TYPE : RDS_INSTANCE_DETAIL_TYPE);

/** Alarm state changes to ALARM of the given alarms. */
export function alarmPattern(alarmNames: string[], states: string[] = ['ALARM']): Pattern {
  return { source: ['aws.cloudwatch'], 'detail-type': [ALARM_DETAIL_TYPE], detail: { alarmName: alarmNames, state: { value: states } } };
}

/**
 * What starts a database's failover on the product bus, any of:
 * (i) a forwarded state change to ALARM of one of its heartbeat alarms;
 * (ii) an RDS event about its primary that is a trigger (the accept-trigger function's list);
 * (iii) an operator's "Failover Requested" for it;
 * (iv) a failed heartbeat of it asking for a verification ("Heartbeat Failed");
 * (v) a trigger of it re-delivered by a run that released the lease without failing over
 * ("Failover Trigger Redelivered", docs/design.md "No trigger is lost to a lease").
 */
export function failoverTriggerPattern(prefix: string, db: DatabaseConfig): Pattern {
  const id = primaryIdentifier(db);
  const eventIds: readonly string[] = isAurora(db.engine) ? RDS_CLUSTER_TRIGGER_EVENT_IDS : RDS_INSTANCE_TRIGGER_EVENT_IDS;
  const any: Pattern[] = [alarmPattern([alarmName(prefix, db.name, 'in-region'), alarmName(prefix, db.name, 'cross-region')])];
  if (id) any.push({ source: ['aws.rds'], 'detail-type': [rdsDetailType(db)], detail: { SourceIdentifier: [id], EventID: [...eventIds] } });
  any.push({ source: [OPERATOR_EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.operatorRequest], detail: { database: [db.name] } });
  any.push({ source: [HEARTBEAT_EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.heartbeatFailed], detail: { database: [db.name] } });
  any.push({ source: [LEASE_EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.triggerRedelivered], detail: { database: [db.name] } });
  return { $or: any };
}

/** On the control Region's default bus: the cross-Region heartbeat alarm of a database going to ALARM. */
export function crossRegionAlarmPattern(prefix: string, db: DatabaseConfig): Pattern {
  return alarmPattern([alarmName(prefix, db.name, 'cross-region')]);
}

/**
 * On the control Region's default bus: every state change of the cross-Region heartbeat alarms,
 * forwarded to the product bus by ONE rule (the per-database rules there pick the ALARMs), so a
 * database costs no extra rule on the default bus.
 */
export function forwardedCrossRegionAlarmPattern(prefix: string): Pattern {
  return alarmPrefixPattern(prefix);
}

/**
 * EventBridge refuses event patterns over 2,048 characters (the default quota): a pattern that
 * lists every database's name would break at a few dozen databases. Forwarding rules therefore
 * match the product's alarm-name prefix (every alarm the stacks create starts with it), and the
 * per-database rules on the product bus pick exact names.
 */
export const EVENT_PATTERN_LIMIT = 2048;

function alarmPrefixPattern(prefix: string): Pattern {
  return {
    source: ['aws.cloudwatch'],
    'detail-type': [ALARM_DETAIL_TYPE],
    detail: { alarmName: [{ prefix: `${prefix}-` }], state: { value: ['ALARM', 'OK', 'INSUFFICIENT_DATA'] } },
  };
}

/** In a primary Region: every state change of these databases' in-Region alarms (forwarded to the product bus). */
export function forwardedAlarmPattern(prefix: string): Pattern {
  return alarmPrefixPattern(prefix);
}

/**
 * In a primary Region: every RDS event about these primaries (forwarded to the product bus,
 * where other automation may use them too; the trigger rule picks the failures).
 */
export function forwardedRdsPattern(dbs: readonly DatabaseConfig[]): Pattern | undefined {
  return forwardedRdsPatterns(dbs)[0];
}

/** How many primary ids one forwarding rule lists: 25 ids of at most 63 characters stay under {@link EVENT_PATTERN_LIMIT}. */
export const RDS_IDS_PER_RULE = 25;

/** The RDS forwarding patterns of a Region: one per {@link RDS_IDS_PER_RULE} primaries. */
export function forwardedRdsPatterns(dbs: readonly DatabaseConfig[]): Pattern[] {
  const out: Pattern[] = [];
  for (let i = 0; i < dbs.length; i += RDS_IDS_PER_RULE) {
    const chunk = dbs.slice(i, i + RDS_IDS_PER_RULE);
    const ids = [...new Set(chunk.map(primaryIdentifier).filter((id): id is string => id !== undefined))];
    if (ids.length > 0) out.push({ source: ['aws.rds'], 'detail-type': [...new Set(chunk.map(rdsDetailType))], detail: { SourceIdentifier: ids } });
  }
  return out;
}

/** A {@link Pattern} for the CDK `Rule` API (which passes unknown keys such as `$or` through). */
export const asEventPattern = (p: Pattern): EventPattern => p as EventPattern;

/**
 * The failover workflow's input from a rule: `{ database: <the database's config>, event: <the
 * whole event> }` (the event inserted as JSON by the input transformer).
 */
export function failoverRuleInput(db: DatabaseConfig): RuleTargetInput {
  const database = JSON.parse(JSON.stringify(db)) as unknown;
  const size = failoverInputSize(db);
  if (size > INPUT_TEMPLATE_LIMIT - FAILOVER_INPUT_ROOM) {
    throw new Error(
      `database "${db.name}": its config is ${size} characters as JSON, too long for an EventBridge input template (${INPUT_TEMPLATE_LIMIT}): shorten it (fewer vantage points?)`,
    );
  }
  return RuleTargetInput.fromObject({ database, event: EventField.fromPath('$') });
}

/**
 * On the product bus: a "Drill Requested" of `requester`'s game day for its drill pair
 * (docs/game-days.md "Drill runs"). One rule per database with a `gameDay`.
 */
export function drillTriggerPattern(requester: DatabaseConfig, pair: DatabaseConfig): Pattern {
  return { source: [GAME_DAY_EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.drillRequest], detail: { database: [pair.name], requestedFor: [requester.name] } };
}

/**
 * The failover workflow's input from a drill rule: `{ database: <the drill pair's config>, event }`,
 * where `event` is the event's `source`, `detail-type`, `time` and `detail`, plus `gameDay`: the
 * requesting database's game-day settings from the config (accept-trigger's run-time guard reads
 * them; the event cannot set them, since only its fields are inserted).
 */
export function drillRuleInput(requester: DatabaseConfig, pair: DatabaseConfig): RuleTargetInput {
  const database = JSON.parse(JSON.stringify(pair)) as unknown;
  const gameDay = drillGameDay(requester, pair);
  const size = drillInputSize(requester, pair);
  if (size > INPUT_TEMPLATE_LIMIT - DRILL_INPUT_ROOM) {
    throw new Error(
      `database "${pair.name}": its config is ${size} characters as JSON, too long for the drill rule's input template (${INPUT_TEMPLATE_LIMIT})`,
    );
  }
  return RuleTargetInput.fromObject({
    database,
    event: {
      source: EventField.fromPath('$.source'),
      'detail-type': EventField.fromPath('$.detail-type'),
      time: EventField.fromPath('$.time'),
      detail: EventField.fromPath('$.detail'),
      gameDay,
    },
  });
}
