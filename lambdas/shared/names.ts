/**
 * Names of deployed resources and event sources, shared by `lib/` (which creates them) and the
 * functions (which recognise them). A name here is a contract between the two: change it only by
 * adding.
 */

/** Where a heartbeat (and its trigger alarm) runs: next to the primary, or from the control Region. */
export type HeartbeatSite = 'in-region' | 'cross-region';

/** Name of the trigger alarm of one database and heartbeat site: `${prefix}-${database}-heartbeat-${site}`. */
export const alarmName = (prefix: string, database: string, site: HeartbeatSite): string => `${prefix}-${database}-heartbeat-${site}`;

/** Name of the probe function deployed in every vantage Region: `${prefix}-probe`. */
export const probeFunctionName = (prefix: string): string => `${prefix}-probe`;

/** Short site tag in rule names (rule names are at most 64 characters). */
const SITE_TAG: Record<HeartbeatSite, string> = { 'in-region': 'in', 'cross-region': 'xr' };

/** Name of a database's heartbeat schedule rule at one site: `<prefix>-<database>-hb-<in|xr>` (≤ 55 characters). */
export const heartbeatRuleName = (prefix: string, database: string, site: HeartbeatSite): string => `${prefix}-${database}-hb-${SITE_TAG[site]}`;

/** The pattern every heartbeat schedule rule name of one site matches (one Lambda permission covers them all). */
export const heartbeatRuleNamePattern = (prefix: string, site: HeartbeatSite): string => `${prefix}-*-hb-${SITE_TAG[site]}`;

/** EventBridge `source` of operator failover requests (detail-type "Failover Requested"). */
export const OPERATOR_EVENT_SOURCE = 'rds-failover.operator';

/**
 * EventBridge `source` of a failed heartbeat asking for a verification (detail-type "Heartbeat
 * Failed", detail `{database, site, at, error}`), put on the product bus by the heartbeat function.
 */
export const HEARTBEAT_EVENT_SOURCE = 'rds-failover.heartbeat';

/**
 * EventBridge `source` of a drill request (detail-type "Drill Requested", detail `{database,
 * requestedFor, fault, scheduled}`), put on the product bus by a game-day schedule or by hand
 * (docs/game-days.md "Drill runs").
 */
export const GAME_DAY_EVENT_SOURCE = 'rds-failover.game-day';

/**
 * EventBridge `source` of a re-delivered trigger (detail-type "Failover Trigger Redelivered",
 * detail `{database, trigger, releasedBy}`), put on the product bus by a failover run that releases
 * its lease without failing over while a trigger waited for it (docs/design.md "No trigger is lost to a lease").
 */
export const LEASE_EVENT_SOURCE = 'rds-failover.lease';

/** Name of a database's game-day schedule (EventBridge Scheduler, ≤ 64 characters): `<prefix>-<database>-drill`. */
export const drillScheduleName = (prefix: string, database: string): string => `${prefix}-${database}-drill`;

/** Name of the schedule group holding every game-day schedule of a deployment: `<prefix>-game-days`. */
export const drillScheduleGroupName = (prefix: string): string => `${prefix}-game-days`;

/**
 * Name of the role every game-day schedule of a deployment uses (IAM names are global to the
 * account, so the control Region is part of it): `<prefix>-drill-scheduler-<control Region>`.
 */
export const drillSchedulerRoleName = (prefix: string, controlRegion: string): string => `${prefix}-drill-scheduler-${controlRegion}`;

/** Every heartbeat site. */
export const HEARTBEAT_SITES: readonly HeartbeatSite[] = ['in-region', 'cross-region'];

/** The pattern every trigger alarm name of one site matches (`${prefix}-*-heartbeat-${site}`), for IAM. */
export const alarmNamePattern = (prefix: string, site: HeartbeatSite): string => `${prefix}-*-heartbeat-${site}`;

/** Key of a database's lease/roles item in the state table. */
export const databaseStateKey = (database: string): { pk: string; sk: string } => ({ pk: `DB#${database}`, sk: 'STATE' });

/** Key of an incident's fence record (the ingress rules the fence revoked, kept for the failback). */
export const fenceRecordKey = (incidentId: string): { pk: string; sk: string } => ({ pk: `FENCE#${incidentId}`, sk: 'FENCE' });

/** Longest RDS instance identifier. */
export const MAX_INSTANCE_ID_LENGTH = 63;
/** Longest instance identifier the failback can preserve: `<id>-old-<epoch>` must fit in 63 characters with an epoch of up to 8 digits. */
export const MAX_PRESERVABLE_INSTANCE_ID_LENGTH = MAX_INSTANCE_ID_LENGTH - '-old-'.length - 8;

/**
 * The identifier an old primary is renamed to by the failback, `<id>-old-<epoch>` (it keeps
 * everything; its old endpoint disappears). IAM scopes the rename to `db:<id>-old-*`.
 */
export function preservedInstanceId(instanceId: string, epoch: number): string {
  const name = `${instanceId}-old-${epoch}`;
  if (name.length > MAX_INSTANCE_ID_LENGTH) throw new RangeError(`preserved instance name ${name} is longer than ${MAX_INSTANCE_ID_LENGTH} characters`);
  return name;
}

/** The snapshot the failback takes of an old primary before touching it: `<id>-pre-failback-<epoch>`. */
export const preFailbackSnapshotId = (instanceId: string, epoch: number): string => `${instanceId}-pre-failback-${epoch}`;

/** Name of the deny-all isolation group the fence finds or creates in an instance's VPC (one per VPC). */
export const ISOLATION_GROUP_NAME = 'rds-failover-isolation';
/** Tag on the isolation group: what IAM scopes its creation to (aws:RequestTag). */
export const ISOLATION_TAG = { key: 'rds-failover:purpose', value: 'fence-isolation' } as const;

/** Name of the table's sparse GSI listing pending approvals (partition key `pendingDatabase`). */
export const PENDING_APPROVALS_INDEX = 'pending';
